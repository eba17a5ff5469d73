/**
 * The method settings' controls for the `merge_studio` options mergekit has inside but does not
 * expose: how the sign is elected (consensus), where the method elects one, and what the rescale
 * keeps (rescale_norm), where it sparsifies. Choosing mergekit's value removes the key, so the
 * YAML stays mergekit's. An option the recipe sets for a method that does not take it (after a
 * switch of method) is listed with a button that removes it.
 *
 * `StudioOptionFields` has no hooks, so tests call it as a plain function with the store's
 * state and press its controls; ParamControls feeds it from the store.
 */
import type {
  ConsensusMethod,
  MergeMethod,
  RescaleNorm,
  StudioOptionName,
} from '../../../workers/methods/types.ts';
import type { Recipe } from '../../../workers/plan/recipe.ts';
import type { StudioState } from '../../stores/store.ts';

export interface StudioOptionFieldsProps {
  /** Prefix of the controls' ids (the panel's useId). */
  readonly id: string;
  readonly recipe: Recipe;
  readonly method: MergeMethod;
  readonly edit: Pick<StudioState, 'setStudioOption'>;
}

/** Each choice and its text; the first is mergekit's (no key in the YAML). */
const CONSENSUS: readonly (readonly [ConsensusMethod, string])[] = [
  ['sum', 'Sum: the sign of the weighted sum (TIES, mergekit)'],
  ['count', 'Count: the sign most models have'],
];
const NORMS: readonly (readonly [RescaleNorm, string])[] = [
  ['l1', 'L1 norm (mergekit)'],
  ['l2', 'L2 norm'],
  ['linf', 'L∞ norm (the largest entry)'],
  ['inverse_density', '1 / density (the DARE paper)'],
];

const pick = <T extends string>(choices: readonly (readonly [T, string])[], v: string): T | undefined =>
  choices.find(([c]) => c === v)?.[0];

/** Whether the recipe's top-level `rescale` (else the method's default) is plainly off. */
function rescaleOff(recipe: Recipe, method: MergeMethod): boolean {
  const set = recipe.parameters?.['rescale'];
  return (set ?? method.params.find((p) => p.name === 'rescale')?.default) === false;
}

export function StudioOptionFields({ id, recipe, method, edit }: StudioOptionFieldsProps) {
  const studio = recipe.merge_studio ?? {};
  const takes = method.studioOptions ?? [];
  const stray = (['consensus', 'rescale_norm'] as const).filter(
    (k) => studio[k] !== undefined && !takes.includes(k),
  );
  const off = takes.includes('rescale_norm') && rescaleOff(recipe, method);
  return (
    <>
      {takes.includes('consensus') && (
        <div className="param-control">
          <label htmlFor={`${id}-consensus`}>Sign consensus</label>
          <select
            id={`${id}-consensus`}
            value={studio.consensus ?? 'sum'}
            aria-describedby={`${id}-consensus-hint`}
            onChange={(e) => {
              const v = pick(CONSENSUS, e.target.value);
              if (v) edit.setStudioOption('consensus', v === 'sum' ? undefined : v);
            }}
          >
            {CONSENSUS.map(([v, text]) => (
              <option key={v} value={v}>
                {text}
              </option>
            ))}
          </select>
          <p className="field-hint" id={`${id}-consensus-hint`}>
            How each entry’s sign is elected before the agreeing task vectors are averaged
            (merge_studio.consensus; mergekit always sums).
          </p>
        </div>
      )}
      {takes.includes('rescale_norm') && (
        <div className="param-control">
          <label htmlFor={`${id}-rescale-norm`}>Rescale norm</label>
          <select
            id={`${id}-rescale-norm`}
            value={studio.rescale_norm ?? 'l1'}
            aria-describedby={`${id}-rescale-norm-hint`}
            onChange={(e) => {
              const v = pick(NORMS, e.target.value);
              if (v) edit.setStudioOption('rescale_norm', v === 'l1' ? undefined : v);
            }}
          >
            {NORMS.map(([v, text]) => (
              <option key={v} value={v}>
                {text}
              </option>
            ))}
          </select>
          <p className="field-hint" id={`${id}-rescale-norm-hint`}>
            What rescale keeps of each sparsified task vector (merge_studio.rescale_norm; mergekit always
            keeps the L1 norm).
            {off && ' Rescale is off: turn it on for this to apply.'}
          </p>
        </div>
      )}
      {stray.map((k: StudioOptionName) => (
        <p key={k} className="field-hint">
          merge_studio.{k}: {String(studio[k])} does not apply to {method.prettyName}.{' '}
          <button type="button" className="link-button" onClick={() => edit.setStudioOption(k, undefined)}>
            Remove {k}
          </button>
        </p>
      ))}
    </>
  );
}
