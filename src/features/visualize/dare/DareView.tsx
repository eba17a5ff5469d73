/**
 * DARE and DELLA step by step: drop entries of a task vector (DARE: each with probability
 * 1 - density; DELLA: small magnitudes more often than large), rescale the survivors, and see
 * that the delta is preserved in expectation. Toy vector or a real model's task vector; the
 * seed is the merge's, so on a whole tensor the mask shown is the one the merge will draw.
 */
import { useId, useMemo, useState } from 'react';
import { NumberField } from '../../../shared/NumberField.tsx';
import { useStudio } from '../../../stores/store.ts';
import { Choice, DataSwitch, RecipeLink, type DataMode } from '../common/Controls.tsx';
import { TaskVectorControls } from '../common/TaskVectorControls.tsx';
import { useLinkedValue } from '../common/use-linked-value.ts';
import { useTaskVectors } from '../common/use-task-vectors.ts';
import type { DropKind } from '../dare-steps.ts';
import { densityLinks, DROP_METHODS, paramValue, recipeDensity, withDensity } from '../recipe-link.ts';
import { DropHistogram, ExpectationChart, KeepRateChart } from './DropCharts.tsx';
import { useDropData } from './use-drop-data.ts';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const num = (x: number) => x.toPrecision(4);

export function DareView() {
  const id = useId();
  const recipe = useStudio((s) => s.recipe);
  const setRecipe = useStudio((s) => s.setRecipe);
  const runSeed = useStudio((s) => s.runOptions.seed);
  const [wantMode, setMode] = useState<DataMode>('toy');
  const blocked =
    (recipe.models?.length ?? 0) < 2 ? 'Add a base and another model to see a task vector.' : undefined;
  // Real tensors need models: with too few (one removed meanwhile), the toy shows instead.
  const mode: DataMode = blocked ? 'toy' : wantMode;
  const [kind, setKind] = useState<DropKind>(recipe.merge_method.startsWith('della') ? 'della' : 'dare');
  const recipeEps = paramValue(recipe, 'epsilon');
  const [epsilon, setEpsilon] = useState(typeof recipeEps === 'number' ? recipeEps : 0.15);
  const [rescale, setRescale] = useState(true);
  const [seed, setSeed] = useState(recipe.merge_studio?.seed ?? runSeed);
  const [wantModel, setModel] = useState<string>();
  const src = useTaskVectors(mode === 'real', Infinity);
  const model = wantModel && src.modelIds.includes(wantModel) ? wantModel : src.modelIds[0];
  const linked = densityLinks(recipe, DROP_METHODS);
  const rDensity = recipeDensity(recipe, model, mode === 'real' ? src.place : undefined);
  const fallback = kind === 'dare' ? 'dare_ties' : 'della';
  const apply = (v: number) => setRecipe(withDensity(useStudio.getState().recipe, v, DROP_METHODS, fallback));
  // A TIES recipe has densities too: the view starts from the recipe's, linked or not.
  const density = useLinkedValue(rDensity, linked, 0.5, apply);
  // DELLA needs density ± epsilon inside (0, 1), as the engine checks before a merge.
  const eps =
    kind === 'della' ? Math.max(0, Math.min(epsilon, density.value - 0.001, 0.999 - density.value)) : 0;
  const options = useMemo(
    () => ({ kind, density: density.value, epsilon: eps, rescale, seed }),
    [kind, density.value, eps, rescale, seed],
  );
  const view = useDropData(mode, src, model, options);
  const what = mode === 'toy' ? 'the toy task vector' : `${model} − ${src.baseId}, ${src.tensor}`;
  return (
    <div className="vis-view vis-dare">
      <div className="vis-controls">
        <DataSwitch mode={mode} onChange={setMode} realBlocked={blocked} />
        {mode === 'real' && (
          <>
            {src.modelIds.length > 1 && model && (
              <Choice
                label="Task vector of"
                value={model}
                options={src.modelIds.map((m) => ({ value: m, text: m }))}
                onChange={setModel}
              />
            )}
            <TaskVectorControls src={src} />
          </>
        )}
        <fieldset className="vis-kind">
          <legend>Drop</legend>
          <label>
            <input
              type="radio"
              name={`${id}-kind`}
              checked={kind === 'dare'}
              onChange={() => setKind('dare')}
            />{' '}
            DARE: uniform
          </label>
          <label>
            <input
              type="radio"
              name={`${id}-kind`}
              checked={kind === 'della'}
              onChange={() => setKind('della')}
            />{' '}
            DELLA: by magnitude rank
          </label>
        </fieldset>
        <NumberField
          label="density"
          value={density.value}
          min={0.05}
          max={1}
          step={0.05}
          lower={{ value: 0 }}
          upper={{ value: 1 }}
          hint="Keep probability (DELLA: on average)."
          onChange={density.set}
        />
        {kind === 'della' && (
          <NumberField
            label="epsilon"
            value={epsilon}
            min={0}
            max={0.5}
            step={0.01}
            lower={{ value: 0 }}
            upper={{ value: 1 }}
            hint={
              eps !== epsilon
                ? `Limited to ${num(eps)} so density ± epsilon stays inside (0, 1).`
                : 'Keep probabilities run from density − epsilon to density + epsilon.'
            }
            onChange={setEpsilon}
          />
        )}
        <NumberField
          label="seed"
          value={seed}
          min={0}
          max={100}
          step={1}
          integer
          lower={{ value: 0 }}
          upper={{ value: 4294967295 }}
          hint="The merge’s seed (merge_studio.seed, or the run’s)."
          onChange={setSeed}
        />
        <label className="vis-check">
          <input type="checkbox" checked={rescale} onChange={(e) => setRescale(e.target.checked)} /> Rescale
          the survivors (keep the L1 norm)
        </label>
        <RecipeLink
          param="density"
          value={density.value}
          recipeValue={rDensity}
          linked={linked}
          methods="DARE or DELLA"
          switchTo={kind === 'dare' ? 'DARE TIES' : 'DELLA'}
          live={density.live}
          onLive={density.setLive}
          onApply={() => apply(density.value)}
          blocked={
            recipe.slices
              ? 'This recipe uses slices: set density in the slices editor or the YAML.'
              : undefined
          }
        />
      </div>
      {view && (
        <div className="vis-figure wide">
          <div className="vis-row">
            <DropHistogram
              bins={view.bins}
              label={`Histogram of ${what} before (${view.stats.total} entries) and of the ${view.stats.kept} survivors after the drop, rescaled by ${num(view.stats.factor)}.`}
            />
            <ExpectationChart
              before={view.sample.before}
              once={view.sample.once}
              mean={view.sample.mean}
              seeds={view.seeds}
              label={`Each sampled entry's value before against after: one seed scatters between 0 and about ${num(view.stats.factor)} times the value; the mean over ${view.seeds} seeds sits on the diagonal, so the delta is preserved in expectation.`}
            />
            <KeepRateChart
              rates={view.keepRates}
              kind={kind}
              density={density.value}
              epsilon={eps}
              label={`Share of entries kept by magnitude rank within their row, over ${view.seeds} seeds: ${Array.from(view.keepRates, (r) => pct(r)).join(', ')}.`}
            />
          </div>
          <p className="muted" data-testid="drop-stats">
            Kept {view.stats.kept} of {view.stats.total} ({pct(view.stats.kept / view.stats.total)});
            survivors ×{num(view.stats.factor)}. Sum {num(view.stats.sumBefore)} → {num(view.stats.sumAfter)};
            L1 {num(view.stats.l1Before)} → {num(view.stats.l1After)}.
            {mode === 'real' &&
              !view.whole &&
              ' (A band of rows: the merge draws a different mask for the whole tensor.)'}
          </p>
          <p className="vis-caption">
            The engine rescales as mergekit does: survivors are scaled so the task vector keeps its L1 norm,
            which is 1 / density on average (the paper’s factor). Any one draw is far from the original, but
            the mean over seeds matches it.
          </p>
        </div>
      )}
    </div>
  );
}
