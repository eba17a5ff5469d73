/**
 * The method settings' controls for the `merge_studio` options mergekit lacks: how the sign is
 * elected (consensus), where the method elects one; what the rescale keeps (rescale_norm),
 * where it sparsifies; over what the top-k by magnitude ranks (topk_scope), where it keeps one;
 * and each model's weight (weights, StudioWeightFields) for the methods mergekit averages with
 * equal weights. Choosing mergekit's value removes the key, so the YAML stays mergekit's. An
 * option the recipe sets for a method that does not take it (after a switch of method) is
 * listed with a button that removes it.
 *
 * `StudioOptionFields` has no hooks, so tests call it as a plain function with the store's
 * state and press its controls; ParamControls feeds it from the store.
 */
import type {
  ConsensusMethod,
  MergeMethod,
  RescaleNorm,
  StudioOptionName,
  TopkScope,
} from '../../../workers/methods/types.ts';
import type { Recipe } from '../../../workers/plan/recipe.ts';
import type { StudioState } from '../../stores/store.ts';
import { StudioWeightFields } from './StudioWeightFields.tsx';

export interface StudioOptionFieldsProps {
  /** Prefix of the controls' ids (the panel's useId). */
  readonly id: string;
  readonly recipe: Recipe;
  readonly method: MergeMethod;
  readonly edit: Pick<StudioState, 'setStudioOption'>;
}

/** Each choice and its text; the first is mergekit's (no key in the YAML). */
type Choices<T extends string> = readonly (readonly [T, string])[];
const CONSENSUS: Choices<ConsensusMethod> = [
  ['sum', 'Sum: the sign of the weighted sum (TIES, mergekit)'],
  ['count', 'Count: the sign most models have'],
];
const NORMS: Choices<RescaleNorm> = [
  ['l1', 'L1 norm (mergekit)'],
  ['l2', 'L2 norm'],
  ['linf', 'L∞ norm (the largest entry)'],
  ['inverse_density', '1 / density (the DARE paper)'],
];
const SCOPES: Choices<TopkScope> = [
  ['tensor', 'The whole tensor (mergekit)'],
  ['row', 'Each row on its own'],
];

/** Whether the recipe's top-level `rescale` (else the method's default) is plainly off. */
function rescaleOff(recipe: Recipe, method: MergeMethod): boolean {
  const set = recipe.parameters?.['rescale'];
  return (set ?? method.params.find((p) => p.name === 'rescale')?.default) === false;
}

const OPTIONS = ['consensus', 'rescale_norm', 'topk_scope', 'weights'] as const;

interface OptionSelect<T extends string> {
  readonly id: string;
  readonly label: string;
  readonly choices: Choices<T>;
  readonly value: T | undefined;
  /** The choice picked; undefined for mergekit's (the first). */
  readonly onPick: (v: T | undefined) => void;
  readonly hint: string;
}

/** A labelled select of an option's choices, described by its hint (inline elements, no component). */
function optionSelect<T extends string>({ id, label, choices, value, onPick, hint }: OptionSelect<T>) {
  return (
    <div className="param-control">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value ?? choices[0]![0]}
        aria-describedby={`${id}-hint`}
        onChange={(e) => {
          const v = choices.find(([c]) => c === e.target.value)?.[0];
          if (v) onPick(v === choices[0]![0] ? undefined : v);
        }}
      >
        {choices.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
      <p className="field-hint" id={`${id}-hint`}>
        {hint}
      </p>
    </div>
  );
}

export function StudioOptionFields({ id, recipe, method, edit }: StudioOptionFieldsProps) {
  const studio = recipe.merge_studio ?? {};
  const takes = method.studioOptions ?? [];
  const stray = OPTIONS.filter((k) => studio[k] !== undefined && !takes.includes(k));
  const off = takes.includes('rescale_norm') && rescaleOff(recipe, method);
  return (
    <>
      {takes.includes('consensus') &&
        optionSelect({
          id: `${id}-consensus`,
          label: 'Sign consensus',
          choices: CONSENSUS,
          value: studio.consensus,
          onPick: (v) => edit.setStudioOption('consensus', v),
          hint: 'How each entry’s sign is elected before the agreeing task vectors are averaged (merge_studio.consensus; mergekit always sums).',
        })}
      {takes.includes('rescale_norm') &&
        optionSelect({
          id: `${id}-rescale-norm`,
          label: 'Rescale norm',
          choices: NORMS,
          value: studio.rescale_norm,
          onPick: (v) => edit.setStudioOption('rescale_norm', v),
          hint: `What rescale keeps of each sparsified task vector (merge_studio.rescale_norm; mergekit always keeps the L1 norm).${
            off ? ' Rescale is off: turn it on for this to apply.' : ''
          }`,
        })}
      {takes.includes('topk_scope') &&
        optionSelect({
          id: `${id}-topk-scope`,
          label: 'Top-k scope',
          choices: SCOPES,
          value: studio.topk_scope,
          onPick: (v) => edit.setStudioOption('topk_scope', v),
          hint: 'Where the largest entries of each task vector are kept at the density: over the whole tensor (mergekit), or in each row (merge_studio.topk_scope). One cut over the whole model is not offered: every model would have to be read in full before the first tensor is merged.',
        })}
      {takes.includes('weights') && <StudioWeightFields recipe={recipe} method={method} edit={edit} />}
      {stray.map((k: StudioOptionName) => (
        <p key={k} className="field-hint">
          merge_studio.{k}
          {k === 'weights' ? '' : `: ${String(studio[k])}`} does not apply to {method.prettyName}.{' '}
          <button type="button" className="link-button" onClick={() => edit.setStudioOption(k, undefined)}>
            Remove {k}
          </button>
        </p>
      ))}
    </>
  );
}
