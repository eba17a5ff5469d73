/**
 * One parameter's control, generated from the method's schema: a slider with a number box for
 * numbers, a switch for booleans. A value that varies by layer or tensor (a gradient or filter
 * list) shows its shape and opens the per-layer curve editor.
 */
import type { ParamSpec } from '../../../workers/methods/types.ts';
import type { ParameterSetting } from '../../../workers/plan/recipe.ts';
import { NumberField } from '../../shared/NumberField.tsx';
import { flatValue } from '../curves/curve-model.ts';

export interface ParamControlProps {
  readonly spec: ParamSpec;
  readonly label: string;
  /** The value set at this level, if any. */
  readonly value: ParameterSetting | undefined;
  /** What applies when nothing is set here (inherited or the default). */
  readonly fallback: ParameterSetting | undefined;
  readonly onChange: (v: ParameterSetting | undefined) => void;
  readonly onEditCurve: () => void;
}

/**
 * The one value that replaces a curve: its mean (to 4 significant digits, whole for integer
 * parameters), or the schema's default when the curve cannot be read. Never unset: a
 * parameter without a default (slerp's t, a model's weight) would make the recipe invalid.
 */
export function oneValueFor(spec: ParamSpec, s: ParameterSetting): number | undefined {
  const mean = flatValue(s);
  if (mean === undefined) return typeof spec.default === 'number' ? spec.default : undefined;
  return spec.integer ? Math.round(mean) : Number(mean.toPrecision(4));
}

function describeSetting(s: ParameterSetting): string {
  if (!Array.isArray(s)) return String(s);
  if (s.every((x) => typeof x !== 'object')) return `gradient [${s.join(', ')}]`;
  return (s as readonly { filter?: string; value: unknown }[])
    .map(
      (c) =>
        `${c.filter ?? 'other tensors'}: ${Array.isArray(c.value) ? `[${c.value.join(', ')}]` : String(c.value)}`,
    )
    .join('; ');
}

export function ParamControl({ spec, label, value, fallback, onChange, onEditCurve }: ParamControlProps) {
  const effective = value ?? fallback;
  if (spec.type === 'boolean') {
    return (
      <div className="param-control">
        <label>
          <input
            type="checkbox"
            role="switch"
            checked={effective === true}
            onChange={(e) => onChange(e.target.checked)}
          />{' '}
          {label}
        </label>
        <p className="field-hint">{spec.description}</p>
      </div>
    );
  }
  if (effective !== undefined && typeof effective !== 'number') {
    return (
      <div className="param-control varies">
        <span className="param-label">{label}</span>
        <p>
          Varies by layer or tensor: <code>{describeSetting(effective)}</code>
        </p>
        <button type="button" onClick={onEditCurve}>
          Edit {label} per layer
        </button>
        <button type="button" onClick={() => onChange(oneValueFor(spec, effective))}>
          Use one value for {label}
        </button>
      </div>
    );
  }
  const lo = spec.ui?.min ?? spec.min ?? 0;
  const hi = spec.ui?.max ?? spec.max ?? 1;
  return (
    <div className="param-control">
      <NumberField
        label={label}
        value={typeof effective === 'number' ? effective : lo}
        min={lo}
        max={hi}
        step={spec.ui?.step ?? (spec.integer ? 1 : 0.01)}
        {...(spec.min !== undefined && {
          lower: { value: spec.min, ...(spec.minExclusive && { exclusive: true }) },
        })}
        {...(spec.max !== undefined && {
          upper: { value: spec.max, ...(spec.maxExclusive && { exclusive: true }) },
        })}
        {...(spec.integer && { integer: true })}
        hint={`${spec.description}${value === undefined ? (fallback === undefined ? ' (not set)' : ' (default)') : ''}`}
        onChange={(v) => onChange(v)}
      />
      <button type="button" className="link-button" onClick={onEditCurve}>
        Vary {label} per layer…
      </button>
    </div>
  );
}
