/**
 * Per-layer analysis of the current recipe: a button that reads a sample of layers (all of a
 * small model) in the preview worker, then a heatmap of layers x modules for the chosen metric,
 * with tooltips, and the warnings the numbers raise.
 */
import { useId, useState } from 'react';
import type { AnalysisResult, Metric } from '../../../../workers/analysis/types.ts';
import { analyzeRecipe } from '../../../engine/preview-client.ts';
import { formatBytes } from '../../../shared/format.ts';
import { selectModelIds, selectRecipeYaml } from '../../../stores/selectors.ts';
import { useStudio } from '../../../stores/store.ts';
import { Heatmap } from '../common/Heatmap.tsx';
import { NumberInput, useInvalidInputs } from '../common/NumberInput.tsx';
import { TaskStatus } from '../common/TaskStatus.tsx';
import { useWorkerTask } from '../common/use-worker-task.ts';
import { previewSources } from '../eval-texts.ts';
import { analysisGrid, colourScale, describeTensor, METRIC_INFO, metricInfo } from './metrics.ts';
import { WarningsList } from './WarningsList.tsx';

export function AnalysisView({ blocked }: { readonly blocked: string | undefined }) {
  const task = useWorkerTask<AnalysisResult>();
  const [metric, setMetric] = useState<Metric>('cosine');
  const [density, setDensity] = useState(0.5);
  const { invalid, validity } = useInvalidInputs();
  const start = (): void => {
    const s = useStudio.getState();
    const request = {
      recipeText: selectRecipeYaml(s),
      sources: previewSources(selectModelIds(s)),
      density,
    };
    void task.run((signal, report) =>
      analyzeRecipe(
        request,
        (p) => report({ done: p.tensorsDone, total: p.tensorsTotal, label: 'tensors' }),
        signal,
      ),
    );
  };
  const result = task.state.status === 'done' ? task.state.result : undefined;
  return (
    <div className="analysis-view">
      <p className="muted">
        Reads the models’ layer tensors with range requests (a sample of layers and rows for big models) and
        compares them: where the fine-tunes agree, where they fight, and what TIES and SLERP will do there.
      </p>
      <div className="row">
        <NumberInput
          label="Density where the recipe sets none"
          value={density}
          min={0.01}
          max={1}
          step={0.05}
          onChange={setDensity}
          onValidity={validity('density')}
        />
        <button
          type="button"
          className="primary"
          disabled={blocked !== undefined || invalid.length > 0}
          onClick={start}
        >
          Analyse layers
        </button>
      </div>
      {blocked && <p className="muted">{blocked}</p>}
      <TaskStatus state={task.state} onCancel={task.cancel} what="Analysis" />
      {result && <AnalysisResultView result={result} metric={metric} onMetric={setMetric} />}
    </div>
  );
}

function AnalysisResultView({
  result,
  metric: chosen,
  onMetric,
}: {
  readonly result: AnalysisResult;
  readonly metric: Metric;
  readonly onMetric: (m: Metric) => void;
}) {
  const id = useId();
  // Only metrics this analysis has numbers for (no task vectors without a base, no pairs of one model).
  const available = METRIC_INFO.filter((m) => result.tensors.some((t) => t.metrics[m.key] !== null));
  const metric = available.some((m) => m.key === chosen) ? chosen : (available[0]?.key ?? chosen);
  const grid = analysisGrid(result);
  const info = metricInfo(metric);
  const values = result.tensors.flatMap((t) => (t.metrics[metric] === null ? [] : [t.metrics[metric]]));
  const { colour, domain } = colourScale(metric, values);
  const all = result.layers.length === result.numLayers;
  return (
    <>
      <p className="analysis-meta">
        Read{' '}
        {all ? `all ${result.numLayers} layers` : `layers ${result.layers.join(', ')} of ${result.numLayers}`}
        {result.rowFraction < 1 &&
          `, ${(result.rowFraction * 100).toFixed(1)}% of each tensor’s rows`} of{' '}
        {result.base ? `${result.base} and ` : ''}
        {result.models.join(', ')}: {formatBytes(result.bytesRead)} in {result.requests} requests (all layers:{' '}
        {formatBytes(result.bytesAllLayers)}), {result.elapsedMs} ms.
        {result.densitySource !== 'recipe' &&
          ' Densities the recipe does not set are taken as the one above.'}
      </p>
      <div className="row">
        <label htmlFor={`${id}-metric`}>Metric</label>
        <select id={`${id}-metric`} value={metric} onChange={(e) => onMetric(e.target.value as Metric)}>
          {available.map((m) => (
            <option key={m.key} value={m.key}>
              {m.label}
            </option>
          ))}
        </select>
        <span className="muted">{info.help}</span>
      </div>
      {values.length === 0 ? (
        <p className="muted">
          No metric applies: task-vector metrics need a base model, the others two models.
        </p>
      ) : (
        <Heatmap
          label={`${info.label} per layer and module`}
          rows={grid.rows}
          cols={grid.cols}
          rowTitle="layer"
          colTitle="module"
          value={(r, c) => grid.cells[r]?.[c]?.metrics[metric] ?? null}
          colour={colour}
          describe={(r, c) => {
            const t = grid.cells[r]?.[c];
            return t ? describeTensor(t, metric) : [`${grid.rows[r]} has no ${grid.cols[c]}`];
          }}
          legend={{ domain, format: info.format }}
        />
      )}
      <WarningsList warnings={result.warnings} />
    </>
  );
}
