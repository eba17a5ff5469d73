/**
 * One source of an output slice: which model, which layers ([from, to), `to` excluded, as
 * mergekit's layer_range), and its own parameters. A layer number outside the model or an
 * empty range is refused next to its box and not taken.
 */
import { useId, useState } from 'react';
import type { MergeMethod } from '../../../workers/methods/types.ts';
import type { InputSlice, ParameterSetting } from '../../../workers/plan/recipe.ts';
import { NumberField } from '../../shared/NumberField.tsx';

function LayerField(props: {
  readonly label: string;
  /** Read by screen readers after the label: which source this is. */
  readonly where: string;
  readonly value: number;
  readonly min: number;
  /** Undefined while the model's layer count is unknown. */
  readonly max: number | undefined;
  readonly why: { readonly min: string; readonly max: string };
  readonly onChange: (v: number) => void;
}) {
  const id = useId();
  const [text, setText] = useState(String(props.value));
  const [error, setError] = useState<string>();
  const [shown, setShown] = useState(props.value);
  if (shown !== props.value) {
    setShown(props.value);
    setText(String(props.value));
    setError(undefined);
  }
  const commit = (raw: string) => {
    setText(raw);
    const v = raw.trim() === '' ? NaN : Number(raw);
    const problem = !Number.isInteger(v)
      ? 'must be a whole number'
      : v < props.min
        ? `must be at least ${props.min} (${props.why.min})`
        : props.max !== undefined && v > props.max
          ? `must be at most ${props.max} (${props.why.max})`
          : undefined;
    setError(problem);
    if (!problem && v !== props.value) props.onChange(v);
  };
  return (
    <span className="layer-field">
      <label htmlFor={id}>
        {props.label}
        <span className="visually-hidden"> ({props.where})</span>
      </label>
      <input
        id={id}
        type="number"
        step={1}
        min={props.min}
        max={props.max}
        value={text}
        aria-invalid={error !== undefined}
        aria-describedby={error ? `${id}-e` : undefined}
        onChange={(e) => commit(e.target.value)}
      />
      {error && (
        <span className="field-error" id={`${id}-e`} role="alert">
          {props.label} {error}
        </span>
      )}
    </span>
  );
}

export interface SourceRowProps {
  readonly source: InputSlice;
  /** "source 1 of slice 2", for labels. */
  readonly where: string;
  readonly models: readonly string[];
  readonly count: number | undefined;
  readonly method: MergeMethod;
  readonly isBase: boolean;
  /** What applies where the source sets nothing (top-level value or default), per parameter. */
  readonly fallback: (name: string) => ParameterSetting | undefined;
  readonly canRemove: boolean;
  readonly onModel: (model: string) => void;
  readonly onRange: (range: readonly [number, number]) => void;
  readonly onParam: (name: string, value: ParameterSetting | undefined) => void;
  readonly onRemove: () => void;
}

export function SourceRow(p: SourceRowProps) {
  const id = useId();
  const [start, end] = p.source.layer_range;
  const specs = p.isBase ? [] : p.method.params.filter((s) => s.scope === 'model' && s.type === 'number');
  return (
    <li className="source-row">
      <div className="row">
        <label htmlFor={`${id}-m`}>
          Model<span className="visually-hidden"> of {p.where}</span>
        </label>
        <select id={`${id}-m`} value={p.source.model} onChange={(e) => p.onModel(e.target.value)}>
          {p.models.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
        {p.isBase && <span className="badge base">base</span>}
        <span className="muted">{p.count === undefined ? 'layers: reading…' : `${p.count} layers`}</span>
        {p.canRemove && (
          <button type="button" onClick={p.onRemove} aria-label={`Remove ${p.where}`}>
            Remove
          </button>
        )}
      </div>
      <div className="row">
        <LayerField
          label="From layer"
          where={p.where}
          value={start}
          min={0}
          max={end - 1}
          why={{ min: 'the first layer is 0', max: 'the range needs at least one layer' }}
          onChange={(v) => p.onRange([v, end])}
        />
        <LayerField
          label="To layer, excluded"
          where={p.where}
          value={end}
          min={start + 1}
          max={p.count}
          why={{ min: 'the range needs at least one layer', max: `${p.source.model} has ${p.count} layers` }}
          onChange={(v) => p.onRange([start, v])}
        />
      </div>
      {specs.length > 0 && (
        <details className="source-params">
          <summary>Parameters of {p.source.model} here</summary>
          {specs.map((spec) => {
            const own = p.source.parameters?.[spec.name];
            const fb = p.fallback(spec.name);
            const label = `${spec.name} of ${p.source.model} (${p.where})`;
            if (own !== undefined && typeof own !== 'number') {
              return (
                <p key={spec.name}>
                  {label} varies by tensor or layer: edit it in the YAML.{' '}
                  <button type="button" onClick={() => p.onParam(spec.name, undefined)}>
                    Clear
                  </button>
                </p>
              );
            }
            const value =
              typeof own === 'number' ? own : typeof fb === 'number' ? fb : (spec.ui?.min ?? spec.min ?? 0);
            return (
              <NumberField
                key={spec.name}
                label={label}
                value={value}
                min={spec.ui?.min ?? spec.min ?? 0}
                max={spec.ui?.max ?? spec.max ?? 1}
                step={spec.ui?.step ?? (spec.integer ? 1 : 0.01)}
                {...(spec.min !== undefined && {
                  lower: { value: spec.min, ...(spec.minExclusive && { exclusive: true }) },
                })}
                {...(spec.max !== undefined && {
                  upper: { value: spec.max, ...(spec.maxExclusive && { exclusive: true }) },
                })}
                hint={`${spec.description}${own === undefined ? (fb === undefined ? ' (not set)' : ' (inherited)') : ''}`}
                onChange={(v) => p.onParam(spec.name, v)}
              />
            );
          })}
        </details>
      )}
    </li>
  );
}
