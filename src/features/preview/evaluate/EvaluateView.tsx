/**
 * Losses of the recipe's models on their own and of the recipe's merge (merged in memory in
 * the preview worker, behind the engine's size guard), on the chosen texts.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { EvaluateResult } from '../../../../workers/runtime/preview-api.ts';
import { evaluateModels } from '../../../engine/preview-client.ts';
import { formatBytes } from '../../../shared/format.ts';
import { selectModelIds, selectRecipeYaml } from '../../../stores/selectors.ts';
import { useStudio } from '../../../stores/store.ts';
import { TaskStatus } from '../common/TaskStatus.tsx';
import { useWorkerTask } from '../common/use-worker-task.ts';
import { loadTexts, previewSources, type TextChoice } from '../eval-texts.ts';
import { LossTable } from './LossTable.tsx';
import { ModelChecks } from '../common/ModelChecks.tsx';

export function EvaluateView({
  texts,
  blocked,
}: {
  readonly texts: TextChoice;
  readonly blocked: string | undefined;
}) {
  const client = useQueryClient();
  const ids = useStudio(selectModelIds);
  const [skipped, setSkipped] = useState<ReadonlySet<string>>(new Set());
  const [withMerge, setWithMerge] = useState(true);
  const task = useWorkerTask<EvaluateResult>();
  const models = ids.filter((m) => !skipped.has(m));
  const start = (): void => {
    const s = useStudio.getState();
    const recipeText = withMerge ? selectRecipeYaml(s) : undefined;
    void task.run(async (signal, report) => {
      const request = {
        sources: previewSources(ids),
        texts: await loadTexts(client, texts),
        models,
        windows: texts.windows,
        ...(recipeText !== undefined && { recipeText }),
      };
      return evaluateModels(request, (p) => report({ ...p, label: p.phase }), signal);
    });
  };
  const result = task.state.status === 'done' ? task.state.result : undefined;
  const canRun = blocked === undefined && (models.length > 0 || withMerge);
  return (
    <div className="evaluate-view">
      <fieldset>
        <legend>Evaluate</legend>
        <div className="row">
          <ModelChecks ids={ids} skipped={skipped} onChange={setSkipped} />
          <label>
            <input type="checkbox" checked={withMerge} onChange={(e) => setWithMerge(e.target.checked)} /> the
            merge of the current recipe (in memory)
          </label>
        </div>
      </fieldset>
      <button type="button" className="primary" disabled={!canRun} onClick={start}>
        Evaluate
      </button>
      {blocked && <p className="muted">{blocked}</p>}
      <TaskStatus state={task.state} onCancel={task.cancel} what="Evaluation" />
      {result && (
        <>
          <LossTable
            rows={result.rows}
            caption={`Mean loss in nats per token (lower is better), ${windowsText(result)}.`}
          />
          <p className="muted">
            {(result.elapsedMs / 1000).toFixed(1)} s; models held in memory: about{' '}
            {formatBytes(result.estimatedBytes)}.
          </p>
        </>
      )}
    </div>
  );
}

function windowsText(r: EvaluateResult): string {
  const s = r.rows[0]?.scores ?? [];
  return s.map((x) => `${x.text}: ${x.windows} of ${x.availableWindows} windows`).join(', ');
}
