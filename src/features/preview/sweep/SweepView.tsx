/**
 * Sweeps: one or two parameters of the current recipe over a range, every point merged in
 * memory and evaluated in the preview worker; the chart fills in as points arrive; the best
 * point goes into the recipe in one click (the engine's applySweepPoint, through the store).
 */
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { applySweepPoint, type SweepAxes } from '../../../../workers/eval/sweep/sweep-points.ts';
import type { SweepPoint, SweepResult } from '../../../../workers/runtime/preview-api.ts';
import { runSweep } from '../../../engine/preview-client.ts';
import { selectModelIds, selectRecipe, selectRecipeYaml } from '../../../stores/selectors.ts';
import { useStudio } from '../../../stores/store.ts';
import { useInvalidInputs } from '../common/NumberInput.tsx';
import { TaskStatus } from '../common/TaskStatus.tsx';
import { messageOf, useWorkerTask } from '../common/use-worker-task.ts';
import { loadTexts, previewSources, type TextChoice } from '../eval-texts.ts';
import { defaultAxis, sweepableParams, toSweepAxes, type AxisForm } from '../sweep-axes.ts';
import { AxisEditor } from './AxisEditor.tsx';
import { pointText, SweepResults } from './SweepResults.tsx';

const PHASES = {
  loading: 'loading models',
  baselines: 'models alone',
  points: 'points',
  done: 'points',
} as const;

interface Run {
  readonly axes: SweepAxes;
  readonly points: readonly SweepPoint[];
}

export function SweepView({
  texts,
  blocked,
}: {
  readonly texts: TextChoice;
  readonly blocked: string | undefined;
}) {
  const client = useQueryClient();
  const recipe = useStudio(selectRecipe);
  const options = sweepableParams(recipe);
  const [forms, setForms] = useState<readonly AxisForm[]>([]);
  const [baselines, setBaselines] = useState(true);
  const [run, setRun] = useState<Run | undefined>();
  const [formError, setFormError] = useState<string | undefined>();
  const [applied, setApplied] = useState<string | undefined>();
  const task = useWorkerTask<SweepResult>();
  // The form follows the recipe: axes naming parameters it no longer has start over.
  const valid = forms.length > 0 && forms.every((f) => options.some((o) => o.key === f.key));
  const first = defaultAxis(recipe);
  const shown: readonly AxisForm[] = valid ? forms : first ? [first] : [];
  const { invalid, validity } = useInvalidInputs();
  // Boxes of an axis no longer shown do not count.
  const refused = invalid.filter((n) => Number(n.split('-')[0]) < shown.length);
  const setAxis = (i: number, f: AxisForm): void => setForms(shown.map((x, j) => (j === i ? f : x)));
  const second = (on: boolean): void => {
    if (!on) return setForms(shown.slice(0, 1));
    const other = options.find((o) => o.key !== shown[0]?.key);
    if (!other || !shown[0]) return;
    const a = { ...shown[0], steps: Math.min(shown[0].steps, 6) };
    setForms([a, { key: other.key, from: other.from, to: other.to, steps: 5 }]);
  };

  const start = (): void => {
    const s = useStudio.getState();
    let axes: SweepAxes;
    try {
      axes = toSweepAxes(s.recipe, shown);
    } catch (e) {
      setFormError(messageOf(e));
      return;
    }
    setFormError(undefined);
    setApplied(undefined);
    setRun({ axes, points: [] });
    const recipeText = selectRecipeYaml(s);
    const ids = selectModelIds(s);
    void task.run(async (signal, report) => {
      const request = {
        recipeText,
        axes,
        sources: previewSources(ids),
        texts: await loadTexts(client, texts),
        windows: texts.windows,
        baselines,
      };
      return runSweep(
        request,
        {
          onProgress: (p) => report({ done: p.pointsDone, total: p.pointsTotal, label: PHASES[p.phase] }),
          onPoint: (pt) => setRun((r) => r && { ...r, points: [...r.points, pt] }),
        },
        signal,
      );
    });
  };

  const result = task.state.status === 'done' ? task.state.result : undefined;
  const apply = (): void => {
    if (!result || !run) return;
    try {
      const s = useStudio.getState();
      s.setRecipe(applySweepPoint(s.recipe, run.axes, result.best.values));
      setApplied(`Applied ${pointText(run.axes, result.best.values)} to the recipe.`);
    } catch (e) {
      setApplied(`Could not apply the point: ${messageOf(e)}`);
    }
  };
  return (
    <div className="sweep-view">
      {shown.length === 0 ? (
        <p className="muted">This method has no numeric parameter to sweep.</p>
      ) : (
        shown.map((f, i) => (
          <AxisEditor
            key={i}
            n={i + 1}
            form={f}
            options={options}
            onChange={(x) => setAxis(i, x)}
            validity={(name) => validity(`${i}-${name}`)}
          />
        ))
      )}
      <div className="row">
        <label>
          <input
            type="checkbox"
            checked={shown.length === 2}
            disabled={options.length < 2}
            onChange={(e) => second(e.target.checked)}
          />{' '}
          Two parameters (a grid)
        </label>
        <label>
          <input type="checkbox" checked={baselines} onChange={(e) => setBaselines(e.target.checked)} /> Also
          evaluate each model alone
        </label>
        <button
          type="button"
          className="primary"
          disabled={blocked !== undefined || shown.length === 0 || refused.length > 0}
          onClick={start}
        >
          Run sweep
        </button>
      </div>
      {blocked && <p className="muted">{blocked}</p>}
      {formError && (
        <p className="task-error" role="alert">
          {formError}
        </p>
      )}
      <TaskStatus state={task.state} onCancel={task.cancel} what="Sweep" />
      {run && (run.points.length > 0 || result) && (
        <SweepResults
          axes={run.axes}
          points={result?.points ?? run.points}
          baselines={result?.baselines ?? []}
          best={result?.best}
          elapsedMs={result?.elapsedMs}
          onApply={result ? apply : undefined}
          applied={applied}
        />
      )}
    </div>
  );
}
