/**
 * Presets for the active curve: flat, ramp up, ramp down, V and A, between a low and a high
 * value that start at the parameter's useful range and can be typed. A value outside the
 * parameter's hard limits is refused next to its box and the presets keep the last good one.
 */
import { useId, useState } from 'react';
import { clampValue, PRESETS, presetAnchors, type PresetName, type ValueLimits } from './curve-model.ts';

export interface PresetBarProps {
  readonly curveLabel: string;
  readonly limits: ValueLimits;
  readonly current: readonly number[];
  readonly onApply: (anchors: readonly number[]) => void;
}

function EndValue(props: {
  readonly label: string;
  readonly value: number;
  readonly limits: ValueLimits;
  readonly onChange: (v: number) => void;
}) {
  const id = useId();
  const [text, setText] = useState(String(props.value));
  const [error, setError] = useState<string>();
  const { hardMin, hardMax } = props.limits;
  return (
    <span className="preset-end">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        type="number"
        step={props.limits.step}
        value={text}
        aria-invalid={error !== undefined}
        aria-describedby={error ? `${id}-e` : undefined}
        onChange={(e) => {
          setText(e.target.value);
          const v = e.target.value.trim() === '' ? NaN : Number(e.target.value);
          const problem = !Number.isFinite(v)
            ? 'enter a number'
            : v < hardMin
              ? `must be at least ${hardMin}`
              : v > hardMax
                ? `must be at most ${hardMax}`
                : undefined;
          setError(problem);
          if (!problem) props.onChange(v);
        }}
      />
      {error && (
        <span className="field-error" id={`${id}-e`} role="alert">
          {props.label} {error}
        </span>
      )}
    </span>
  );
}

export function PresetBar(p: PresetBarProps) {
  const [low, setLow] = useState(p.limits.low);
  const [high, setHigh] = useState(p.limits.high);
  const apply = (name: PresetName) =>
    p.onApply(presetAnchors(name, low, high, p.current).map((v) => clampValue(v, p.limits)));
  return (
    <fieldset className="preset-bar">
      <legend>Shape of the {p.curveLabel} curve</legend>
      <div className="row" role="group" aria-label="Presets">
        {PRESETS.map((preset) => (
          <button key={preset.name} type="button" onClick={() => apply(preset.name)}>
            {preset.label}
          </button>
        ))}
      </div>
      <div className="row">
        <EndValue label="Low" value={low} limits={p.limits} onChange={setLow} />
        <EndValue label="High" value={high} limits={p.limits} onChange={setHigh} />
      </div>
    </fieldset>
  );
}
