/**
 * TIES step by step, on toy vectors or on a 16x16 patch of the merge's real task vectors:
 * trim (the density slider shows what is kept), elect a sign per entry, take the disjoint
 * mean, and compare with the plain average. Play steps through them.
 */
import { useEffect, useMemo, useState } from 'react';
import { NumberField } from '../../../shared/NumberField.tsx';
import { useStudio } from '../../../stores/store.ts';
import { DataSwitch, RecipeLink, type DataMode } from '../common/Controls.tsx';
import { TaskVectorControls } from '../common/TaskVectorControls.tsx';
import { useLinkedValue } from '../common/use-linked-value.ts';
import { useTaskVectors } from '../common/use-task-vectors.ts';
import { densityLinks, recipeDensity, TIES_METHODS, withDensity } from '../recipe-link.ts';
import { TIES_STEPS, tiesCounts, tiesPanels } from '../ties-panels.ts';
import { tiesSteps } from '../ties-steps.ts';
import { StepGrid } from './StepGrid.tsx';
import { useTiesInputs } from './use-ties-inputs.ts';

/** Milliseconds per step when playing. */
const STEP_MS = 1400;
/** Task vectors drawn side by side at most (the merge may have more). */
const MAX_MODELS = 4;

const CAPTIONS = [
  'Each model’s task vector: the model minus the base.',
  'Trim: each task vector keeps only its largest-magnitude entries (the density); the faded ones become 0.',
  'Elect sign: per entry, the sign of the sum of the kept values wins; faded values pull the other way and are outvoted.',
  'Disjoint mean: per entry, the mean of the values that agree with the elected sign. The plain average mixes them all and shrinks toward 0.',
];

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function TiesView() {
  const recipe = useStudio((s) => s.recipe);
  const setRecipe = useStudio((s) => s.setRecipe);
  const [wantMode, setMode] = useState<DataMode>('toy');
  const blocked =
    (recipe.models?.length ?? 0) < 2
      ? 'Add a base and at least one other model to see their task vectors.'
      : undefined;
  // Real tensors need models: with too few (one removed meanwhile), the toy shows instead.
  const mode: DataMode = blocked ? 'toy' : wantMode;
  const [step, setStep] = useState(3);
  const [playing, setPlaying] = useState(false);
  const src = useTaskVectors(mode === 'real', MAX_MODELS);
  const linked = densityLinks(recipe, TIES_METHODS);
  const rDensity = recipeDensity(recipe, undefined, mode === 'real' ? src.place : undefined);
  const apply = (v: number) => setRecipe(withDensity(useStudio.getState().recipe, v, TIES_METHODS, 'ties'));
  const density = useLinkedValue(linked ? rDensity : undefined, linked, 0.5, apply);
  useEffect(() => {
    if (!playing) return;
    const id = setInterval(() => setStep((s) => (s + 1) % TIES_STEPS.length), STEP_MS);
    return () => clearInterval(id);
  }, [playing]);
  const data = useTiesInputs(mode, src, recipe);
  const steps = useMemo(
    () =>
      data &&
      tiesSteps(
        data.base,
        data.inputs,
        { ...data.settings, densities: data.inputs.map(() => density.value) },
        data.shape,
      ),
    [data, density.value],
  );
  const panels = steps && data && tiesPanels(steps, data.names, step, data.rows, data.cols, data.crop);
  const counts = steps && data && tiesCounts(steps, data.crop);
  const colorMax =
    steps && data ? Math.max(1e-12, ...steps.deltas.flatMap((d) => Array.from(data.crop(d), Math.abs))) : 1;
  return (
    <div className="vis-view vis-ties">
      <div className="vis-controls">
        <DataSwitch mode={mode} onChange={setMode} realBlocked={blocked} />
        {mode === 'real' && <TaskVectorControls src={src} />}
        <NumberField
          label="density"
          value={density.value}
          min={0}
          max={1}
          step={0.05}
          lower={{ value: 0 }}
          upper={{ value: 1 }}
          hint="Fraction of each task vector the trim keeps."
          onChange={density.set}
        />
        <RecipeLink
          param="density"
          value={density.value}
          recipeValue={rDensity}
          linked={linked}
          switchTo="TIES"
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
      <div className="vis-figure wide">
        <div className="vis-steps" role="radiogroup" aria-label="TIES step">
          {TIES_STEPS.map((name, i) => (
            <label key={name} className={i === step ? 'selected' : undefined}>
              <input type="radio" name="ties-step" checked={i === step} onChange={() => setStep(i)} /> {i + 1}
              . {name}
            </label>
          ))}
          <button type="button" aria-pressed={playing} onClick={() => setPlaying(!playing)}>
            {playing ? 'Pause' : 'Play the steps'}
          </button>
        </div>
        {panels && counts && (
          <>
            <StepGrid
              panels={panels}
              layout={mode === 'toy' ? 'stack' : 'row'}
              colorMax={colorMax}
              label={`TIES step ${step + 1}, ${TIES_STEPS[step]} (density ${density.value}): ${CAPTIONS[step]} Kept per model: ${counts.kept.join(', ')} of ${counts.total}.`}
            />
            <p className="vis-caption">{CAPTIONS[step]}</p>
            <p className="muted" data-testid="ties-counts">
              Kept per model: {counts.kept.join(', ')} of {counts.total}. After the trim,{' '}
              {plural(counts.conflicts, 'entry has', 'entries have')} a sign conflict (
              {plural(counts.outvoted, 'value', 'values')} outvoted); {counts.noVote} with no vote left.
            </p>
            {steps.warnings.length > 0 && <p className="field-error">{steps.warnings.join(' ')}</p>}
          </>
        )}
      </div>
    </div>
  );
}
