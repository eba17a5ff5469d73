/**
 * Greedy soup (Wortsman et al., 2022): rank the chosen models by their own loss, start the
 * soup with the best, keep each next model only if the uniform average improves. The result
 * can replace the recipe (a linear merge with equal weights).
 */
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { GreedySoupResult, SoupStep } from '../../../../workers/runtime/preview-api.ts';
import { greedySoup } from '../../../engine/preview-client.ts';
import { selectModelIds } from '../../../stores/selectors.ts';
import { useStudio } from '../../../stores/store.ts';
import { TaskStatus } from '../common/TaskStatus.tsx';
import { useWorkerTask } from '../common/use-worker-task.ts';
import { loadTexts, previewSources, type TextChoice } from '../eval-texts.ts';
import { ModelChecks } from '../common/ModelChecks.tsx';

export function SoupView({ texts }: { readonly texts: TextChoice }) {
  const client = useQueryClient();
  const ids = useStudio(selectModelIds);
  const [skipped, setSkipped] = useState<ReadonlySet<string>>(new Set());
  const [steps, setSteps] = useState<readonly SoupStep[]>([]);
  const [used, setUsed] = useState(false);
  const task = useWorkerTask<GreedySoupResult>();
  const models = ids.filter((m) => !skipped.has(m));
  const start = (): void => {
    setSteps([]);
    setUsed(false);
    void task.run(async (signal, report) => {
      const request = {
        models,
        sources: previewSources(models),
        texts: await loadTexts(client, texts),
        windows: texts.windows,
      };
      let done = 0;
      return greedySoup(
        request,
        (s) => {
          setSteps((x) => [...x, s]);
          report({ done: ++done, total: models.length, label: 'steps' });
        },
        signal,
      );
    });
  };
  const result = task.state.status === 'done' ? task.state.result : undefined;
  return (
    <div className="soup-view">
      <fieldset>
        <legend>Candidates for the soup (fine-tunes of one base)</legend>
        <div className="row">
          <ModelChecks ids={ids} skipped={skipped} onChange={setSkipped} />
        </div>
      </fieldset>
      <button type="button" className="primary" disabled={models.length < 2} onClick={start}>
        Make a greedy soup
      </button>
      {models.length < 2 && (
        <p className="muted">Choose at least two models (add them to the merge first).</p>
      )}
      <TaskStatus state={task.state} onCancel={task.cancel} what="Soup" />
      {steps.length > 0 && (
        <ol className="soup-steps" aria-label="Soup steps">
          {steps.map((s, i) => (
            <li key={s.model}>
              {i === 0 ? `Start with ${s.model}` : `Try adding ${s.model}`}: mean loss {s.mean.toFixed(4)}{' '}
              {i === 0 ? '' : s.kept ? '(kept: better)' : '(dropped: no better)'}
            </li>
          ))}
        </ol>
      )}
      {result && (
        <div role="region" aria-label="Soup result">
          <p>
            <strong>Soup:</strong> {result.soup.join(' + ')}, mean loss {result.mean.toFixed(4)} (best model
            alone: {result.ranking[0]!.model}, {result.ranking[0]!.mean.toFixed(4)}).
          </p>
          <button
            type="button"
            onClick={() => {
              useStudio.getState().setRecipe(result.recipe);
              setUsed(true);
            }}
          >
            Use the soup as the recipe
          </button>
          {used && <p role="status">The recipe is now a linear merge of {result.soup.join(', ')}.</p>}
        </div>
      )}
    </div>
  );
}
