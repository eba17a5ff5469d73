/** One axis of a sweep: which parameter, its range and steps, and optionally a model set to 1 − x. */
import { useId } from 'react';
import { NumberInput } from '../common/NumberInput.tsx';
import type { AxisForm, ParamOption } from '../sweep-axes.ts';

export function AxisEditor({
  n,
  form,
  options,
  onChange,
  validity,
}: {
  /** 1 or 2, for the labels. */
  readonly n: number;
  readonly form: AxisForm;
  readonly options: readonly ParamOption[];
  readonly onChange: (f: AxisForm) => void;
  /** onValidity for each number box, by its name (from, to, steps). */
  readonly validity?: (name: string) => (valid: boolean) => void;
}) {
  const id = useId();
  const option = options.find((o) => o.key === form.key);
  const partners = option?.model
    ? options.filter((o) => o.param === option.param && o.model !== undefined && o.model !== option.model)
    : [];
  return (
    <fieldset className="axis-editor">
      <legend>Axis {n}</legend>
      <div className="row">
        <label htmlFor={`${id}-p`}>Parameter (axis {n})</label>
        <select
          id={`${id}-p`}
          value={form.key}
          onChange={(e) => {
            const o = options.find((x) => x.key === e.target.value)!;
            onChange({ key: o.key, from: o.from, to: o.to, steps: form.steps });
          }}
        >
          {options.map((o) => (
            <option key={o.key} value={o.key}>
              {o.label}
            </option>
          ))}
        </select>
      </div>
      <div className="row">
        <NumberInput
          label={`From (axis ${n})`}
          value={form.from}
          step={0.05}
          onChange={(from) => onChange({ ...form, from })}
          {...(validity && { onValidity: validity('from') })}
        />
        <NumberInput
          label={`To (axis ${n})`}
          value={form.to}
          step={0.05}
          onChange={(to) => onChange({ ...form, to })}
          {...(validity && { onValidity: validity('to') })}
        />
        <NumberInput
          label={`Steps (axis ${n})`}
          value={form.steps}
          min={2}
          max={21}
          step={1}
          integer
          onChange={(steps) => onChange({ ...form, steps })}
          {...(validity && { onValidity: validity('steps') })}
        />
      </div>
      {partners.length > 0 && (
        <div className="row">
          <label htmlFor={`${id}-c`}>
            Set {option!.param} to 1 − x on (axis {n})
          </label>
          <select
            id={`${id}-c`}
            value={form.complement ?? ''}
            onChange={(e) => {
              const { complement: _drop, ...rest } = form;
              onChange(e.target.value ? { ...rest, complement: e.target.value } : rest);
            }}
          >
            <option value="">no other model</option>
            {partners.map((p) => (
              <option key={p.model} value={p.model}>
                {p.model}
              </option>
            ))}
          </select>
        </div>
      )}
    </fieldset>
  );
}
