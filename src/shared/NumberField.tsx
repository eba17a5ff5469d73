/**
 * A slider with a number box for one parameter. The slider spans a useful range; the box
 * accepts any value inside the parameter's hard limits and refuses others with a message next
 * to the control (the value is not taken).
 */
import { useId, useState } from 'react';

export interface NumberFieldProps {
  readonly label: string;
  readonly value: number;
  readonly onChange: (v: number) => void;
  /** Slider range and step. */
  readonly min: number;
  readonly max: number;
  readonly step: number;
  /** Hard limits (the parameter's valid range); open when absent. */
  readonly lower?: { readonly value: number; readonly exclusive?: boolean };
  readonly upper?: { readonly value: number; readonly exclusive?: boolean };
  readonly integer?: boolean;
  readonly hint?: string;
  readonly disabled?: boolean;
}

function problemOf(v: number, p: NumberFieldProps): string | undefined {
  if (!Number.isFinite(v)) return 'enter a number';
  if (p.integer && !Number.isInteger(v)) return 'enter a whole number';
  const { lower, upper } = p;
  if (lower && (lower.exclusive ? v <= lower.value : v < lower.value))
    return `must be ${lower.exclusive ? 'above' : 'at least'} ${lower.value}`;
  if (upper && (upper.exclusive ? v >= upper.value : v > upper.value))
    return `must be ${upper.exclusive ? 'below' : 'at most'} ${upper.value}`;
  return undefined;
}

export function NumberField(p: NumberFieldProps) {
  const id = useId();
  const [text, setText] = useState(String(p.value));
  const [error, setError] = useState<string | undefined>();
  // Follow the value when it changes from outside (derived state, updated during render).
  const [shown, setShown] = useState(p.value);
  if (shown !== p.value) {
    setShown(p.value);
    setText(String(p.value));
    setError(undefined);
  }
  const commit = (raw: string) => {
    setText(raw);
    const v = raw.trim() === '' ? NaN : Number(raw);
    const problem = problemOf(v, p);
    setError(problem);
    if (!problem && v !== p.value) p.onChange(v);
  };
  const sliderMin = Math.min(p.min, p.value);
  const sliderMax = Math.max(p.max, p.value);
  return (
    <div className="number-field">
      <label htmlFor={`${id}-n`}>{p.label}</label>
      <div className="number-field-row">
        <input
          type="range"
          aria-label={`${p.label} slider`}
          min={sliderMin}
          max={sliderMax}
          step={p.step}
          value={p.value}
          disabled={p.disabled}
          onChange={(e) => commit(e.target.value)}
        />
        <input
          id={`${id}-n`}
          type="number"
          inputMode="decimal"
          step={p.step}
          value={text}
          disabled={p.disabled}
          aria-invalid={error !== undefined}
          aria-describedby={error ? `${id}-e` : p.hint ? `${id}-h` : undefined}
          onChange={(e) => commit(e.target.value)}
        />
      </div>
      {error ? (
        <p className="field-error" id={`${id}-e`} role="alert">
          {p.label} {error}
        </p>
      ) : (
        p.hint && (
          <p className="field-hint" id={`${id}-h`}>
            {p.hint}
          </p>
        )
      )}
    </div>
  );
}
