/**
 * The method's global parameters while the recipe uses slices (the parameter panel hands them
 * over then): top-level values, which apply to every slice. A gradient starts again in each
 * slice; "Vary … per layer" opens the curve editor on the top-level setting.
 */
import type { MergeMethod } from '../../../workers/methods/types.ts';
import type { ParameterMap } from '../../../workers/plan/recipe.ts';
import { NumberField } from '../../shared/NumberField.tsx';
import { useStudio } from '../../stores/store.ts';

export function SliceGlobals({
  method,
  top,
}: {
  readonly method: MergeMethod;
  readonly top: ParameterMap | undefined;
}) {
  const setGlobalParam = useStudio((s) => s.setGlobalParam);
  const setCurveTarget = useStudio((s) => s.setCurveTarget);
  const globals = method.params.filter((p) => p.scope === 'global');
  if (globals.length === 0) return null;
  return (
    <fieldset className="slice-globals">
      <legend>{method.prettyName} settings for every slice</legend>
      {globals.map((spec) => {
        const own = top?.[spec.name];
        const value = own ?? spec.default;
        const vary = (
          <button type="button" className="link-button" onClick={() => setCurveTarget({ name: spec.name })}>
            Vary {spec.name} per layer…
          </button>
        );
        if (spec.type === 'boolean') {
          return (
            <label key={spec.name} className="slice-switch">
              <input
                type="checkbox"
                role="switch"
                checked={value === true}
                onChange={(e) => setGlobalParam(spec.name, e.target.checked)}
              />{' '}
              {spec.name}
            </label>
          );
        }
        if (value !== undefined && typeof value !== 'number') {
          return (
            <p key={spec.name}>
              {spec.name} varies by layer or tensor. {vary}
            </p>
          );
        }
        return (
          <div key={spec.name}>
            <NumberField
              label={spec.name}
              value={value ?? spec.ui?.min ?? spec.min ?? 0}
              min={spec.ui?.min ?? spec.min ?? 0}
              max={spec.ui?.max ?? spec.max ?? 1}
              step={spec.ui?.step ?? (spec.integer ? 1 : 0.01)}
              {...(spec.min !== undefined && {
                lower: { value: spec.min, ...(spec.minExclusive && { exclusive: true }) },
              })}
              {...(spec.max !== undefined && {
                upper: { value: spec.max, ...(spec.maxExclusive && { exclusive: true }) },
              })}
              {...(spec.integer && { integer: true })}
              hint={`${spec.description}${own === undefined ? ' (default)' : ''}`}
              onChange={(v) => setGlobalParam(spec.name, v)}
            />
            {vary}
          </div>
        );
      })}
    </fieldset>
  );
}
