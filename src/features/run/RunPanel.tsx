/** Output options, the Merge button, progress with cancel, and the result. */
import { useId } from 'react';
import { COMPUTE_DTYPES, type TorchDType } from '../../../workers/plan/recipe.ts';
import { canPickFolders } from '../../engine/save-target.ts';
import { selectMethod, selectRecipeProblems } from '../../stores/selectors.ts';
import { useStudio } from '../../stores/store.ts';
import { BigMergeNotice } from './BigMergeNotice.tsx';
import { ResultSummary } from './ResultSummary.tsx';
import { ResumeBanner } from './ResumeBanner.tsx';
import { RunProgress } from './RunProgress.tsx';
import { cancelMerge, startMergeFromPage } from './run-actions.ts';

const SHARD_CHOICES = [
  { label: '1 GB', bytes: 1e9 },
  { label: '2 GB', bytes: 2e9 },
  { label: '5 GB (mergekit default)', bytes: 5e9 },
  { label: '10 GB', bytes: 10e9 },
];

export function RunPanel() {
  const id = useId();
  const opts = useStudio((s) => s.runOptions);
  const setOpts = useStudio((s) => s.setRunOptions);
  const outDtype = useStudio((s) => s.recipe.out_dtype);
  const dtype = useStudio((s) => s.recipe.dtype);
  const setDtype = useStudio((s) => s.setDtype);
  const status = useStudio((s) => s.runStatus);
  const error = useStudio((s) => s.runError);
  const method = useStudio(selectMethod);
  const errors = useStudio(selectRecipeProblems).filter((p) => p.severity === 'error');
  const busy = status === 'running' || status === 'cancelling';
  return (
    <section className="run-panel" aria-labelledby={`${id}-t`}>
      <h2 id={`${id}-t`}>Run</h2>
      <ResumeBanner />
      <div className="run-options">
        <label htmlFor={`${id}-name`}>Output folder name</label>
        <input
          id={`${id}-name`}
          value={opts.outputName}
          onChange={(e) =>
            setOpts({ outputName: e.target.value.replace(/[\\/:*?"<>|]/g, '-') || 'merged-model' })
          }
        />
        <label htmlFor={`${id}-dt`}>Output dtype</label>
        <select
          id={`${id}-dt`}
          value={outDtype ?? dtype ?? ''}
          onChange={(e) => setDtype('out_dtype', (e.target.value || undefined) as TorchDType | undefined)}
        >
          <option value="">same as the models</option>
          {COMPUTE_DTYPES.map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
        </select>
        <label htmlFor={`${id}-shard`}>Largest shard</label>
        <select
          id={`${id}-shard`}
          value={opts.shardBytes}
          onChange={(e) => setOpts({ shardBytes: Number(e.target.value) })}
        >
          {SHARD_CHOICES.map((c) => (
            <option key={c.bytes} value={c.bytes}>
              {c.label}
            </option>
          ))}
        </select>
        {method.random && (
          <>
            <label htmlFor={`${id}-seed`}>Random seed</label>
            <input
              id={`${id}-seed`}
              type="number"
              min={0}
              step={1}
              value={opts.seed}
              onChange={(e) => setOpts({ seed: Math.max(0, Math.trunc(Number(e.target.value) || 0)) })}
            />
          </>
        )}
        <label htmlFor={`${id}-be`}>Compute on</label>
        <select
          id={`${id}-be`}
          value={opts.backend}
          onChange={(e) => setOpts({ backend: e.target.value as 'auto' | 'cpu' | 'webgpu' })}
        >
          <option value="auto">automatic (GPU when faster)</option>
          <option value="cpu">CPU</option>
          <option value="webgpu">GPU (WebGPU)</option>
        </select>
      </div>
      <BigMergeNotice />
      <p className="muted">
        {canPickFolders()
          ? 'You will choose a folder; the merged model is written into a sub-folder named as above.'
          : 'This browser cannot write to a folder you pick: the model is written to browser storage and offered as downloads.'}
      </p>
      <div className="row">
        <button
          type="button"
          className="primary"
          disabled={busy || errors.length > 0}
          onClick={() => void startMergeFromPage()}
        >
          {canPickFolders() ? 'Choose folder and merge' : 'Merge'}
        </button>
        {busy && (
          <button type="button" onClick={cancelMerge} disabled={status === 'cancelling'}>
            Cancel
          </button>
        )}
      </div>
      {errors.length > 0 && <p className="muted">Fix the recipe problems shown with the YAML to merge.</p>}
      <RunProgress />
      {error && (
        <p className={status === 'cancelled' ? 'notice' : 'field-error'} role="alert">
          {error}
        </p>
      )}
      <ResultSummary />
    </section>
  );
}
