/**
 * Each model's weight for the methods mergekit averages with equal weights (karcher,
 * model_stock): merge_studio.weights, by model name. mergekit's parameter lists for these
 * methods have no `weight` (a recipe's `weight` there is refused, as mergekit would ignore it),
 * so the weights live in the block mergekit's loader drops. A weight of 1 is a model the block
 * does not name, so setting every weight back to 1 leaves mergekit's YAML. A weight for a
 * model the method does not weigh (removed since, or only the base) is listed with a button
 * that removes it.
 *
 * No hooks of its own (NumberField has its state), so tests call it as a plain function.
 */
import type { MergeMethod } from '../../../workers/methods/types.ts';
import type { Recipe } from '../../../workers/plan/recipe.ts';
import { weighedModels } from '../../../workers/plan/validate-studio.ts';
import type { StudioState } from '../../stores/store.ts';
import { withStudioWeight } from '../../stores/studio-edits.ts';
import { NumberField } from '../../shared/NumberField.tsx';

export interface StudioWeightFieldsProps {
  readonly recipe: Recipe;
  readonly method: MergeMethod;
  readonly edit: Pick<StudioState, 'setStudioOption'>;
}

export function StudioWeightFields({ recipe, method, edit }: StudioWeightFieldsProps) {
  const weights = recipe.merge_studio?.weights;
  const models = weighedModels(recipe, method);
  const stray = Object.keys(weights ?? {}).filter((m) => !models.includes(m));
  const what = method.base === 'required' ? 'the average of the fine-tunes' : 'the mean';
  const hint = `How much each model counts in ${what}, relative to the others (merge_studio.weights; mergekit weighs them equally).`;
  const set = (model: string, w: number | undefined): void =>
    edit.setStudioOption('weights', withStudioWeight(weights, model, w));
  return (
    <fieldset className="studio-weights">
      <legend>Model weights</legend>
      <p className="field-hint">{hint}</p>
      {models.map((m) => (
        <NumberField
          key={m}
          label={`weight of ${m}`}
          value={weights && Object.hasOwn(weights, m) ? weights[m]! : 1}
          min={0}
          max={4}
          step={0.05}
          lower={{ value: 0, exclusive: true }}
          onChange={(v) => set(m, v)}
        />
      ))}
      {models.length === 0 && <p className="muted">Add models to weigh them.</p>}
      {stray.map((m) => (
        <p key={m} className="field-hint">
          merge_studio.weights names {m}, which {method.prettyName} does not weigh here.{' '}
          <button type="button" className="link-button" onClick={() => set(m, undefined)}>
            Remove the weight of {m}
          </button>
        </p>
      ))}
    </fieldset>
  );
}
