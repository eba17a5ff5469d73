/** Output options, the Merge button, progress with cancel, and the result. */
import { useEffect, useId, useState } from 'react';
import { COMPUTE_DTYPES, type TorchDType } from '../../../workers/plan/recipe.ts';
import { canPickFolders } from '../../engine/save-target.ts';
import { isBusy, OutputNameField, RunButtons, RunError, ShardSizeField } from '../../shared/RunControls.tsx';
import { DEFAULT_OUTPUT_NAME } from '../../stores/run-slice.ts';
import { selectFoldersBlock, selectMethod, selectRecipeProblems } from '../../stores/selectors.ts';
import { useStudio } from '../../stores/store.ts';
import { BigMergeNotice } from './BigMergeNotice.tsx';
import { PlanSummary } from './PlanSummary.tsx';
import { ResultSummary } from './ResultSummary.tsx';
import { ResumeBanner } from './ResumeBanner.tsx';
import { RunProgress } from './RunProgress.tsx';
import { TokenizerOptions } from './TokenizerOptions.tsx';
import { cancelMerge, startMergeFromPage } from './run-actions.ts';
import { webGpuMissingReason, webGpuUnavailableReason } from './webgpu-probe.ts';

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
  const foldersBlock = useStudio(selectFoldersBlock);
  const busy = isBusy(status);
  // A seed in the recipe wins over the box (build-plan.ts): the box shows it and is locked.
  const recipeSeed = useStudio((s) => s.recipe.merge_studio?.seed);
  const noGpu = useWebGpuUnavailable();
  const nameHint = busy
    ? 'The running merge writes to this folder; the name can change once it ends.'
    : opts.outputName.trim() === ''
      ? `Empty: the merge is saved as “${DEFAULT_OUTPUT_NAME}”.`
      : undefined;
  return (
    <section className="run-panel" aria-labelledby={`${id}-t`}>
      <h2 id={`${id}-t`}>Run</h2>
      <ResumeBanner />
      <div className="run-options">
        <OutputNameField
          id={id}
          value={opts.outputName}
          busy={busy}
          placeholder={DEFAULT_OUTPUT_NAME}
          hint={nameHint}
          onChange={(outputName) => setOpts({ outputName })}
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
        <TokenizerOptions id={id} />
        <ShardSizeField id={id} value={opts.shardBytes} onChange={(shardBytes) => setOpts({ shardBytes })} />
        {method.random && (
          <>
            <label htmlFor={`${id}-seed`}>Random seed</label>
            <input
              id={`${id}-seed`}
              type="number"
              min={0}
              step={1}
              value={recipeSeed ?? opts.seed}
              disabled={recipeSeed !== undefined}
              aria-describedby={recipeSeed !== undefined ? `${id}-seed-hint` : undefined}
              onChange={(e) => setOpts({ seed: Math.max(0, Math.trunc(Number(e.target.value) || 0)) })}
            />
            {recipeSeed !== undefined && (
              <p id={`${id}-seed-hint`} className="field-hint">
                Set by the recipe (merge_studio.seed: {recipeSeed}); change it in the YAML.
              </p>
            )}
          </>
        )}
        <label htmlFor={`${id}-be`}>Compute on</label>
        <select
          id={`${id}-be`}
          value={opts.backend}
          aria-describedby={noGpu ? `${id}-be-hint` : undefined}
          onChange={(e) => setOpts({ backend: e.target.value as 'auto' | 'cpu' | 'webgpu' })}
        >
          <option value="auto">automatic (GPU when faster)</option>
          <option value="cpu">CPU</option>
          <option value="webgpu" disabled={noGpu !== undefined}>
            {noGpu ? 'GPU (WebGPU): not available' : 'GPU (WebGPU)'}
          </option>
        </select>
        {noGpu && (
          <p id={`${id}-be-hint`} className="field-hint">
            GPU (WebGPU) can’t be chosen: {noGpu}. Merges run on the CPU.
          </p>
        )}
      </div>
      <BigMergeNotice />
      <PlanSummary />
      <p className="muted">
        {canPickFolders()
          ? 'You will choose a folder; the merged model is written into a sub-folder named as above.'
          : 'This browser cannot write to a folder you pick: the model is written to browser storage and offered as downloads.'}
      </p>
      <RunButtons
        label={canPickFolders() ? 'Choose folder and merge' : 'Merge'}
        status={status}
        blocked={errors.length > 0 || foldersBlock !== undefined}
        onStart={() => void startMergeFromPage()}
        onCancel={cancelMerge}
      >
        {!busy && foldersBlock && <span className="field-hint">{foldersBlock}</span>}
      </RunButtons>
      {errors.length > 0 && <p className="muted">Fix the recipe problems shown with the YAML to merge.</p>}
      <RunProgress />
      <RunError status={status} error={error} />
      <ResultSummary />
    </section>
  );
}

/** Why "GPU (WebGPU)" can't be chosen here (undefined: it can, or the probe has not answered). */
function useWebGpuUnavailable(): string | undefined {
  const [reason, setReason] = useState(webGpuMissingReason);
  const backend = useStudio((s) => s.runOptions.backend);
  const setOpts = useStudio((s) => s.setRunOptions);
  useEffect(() => {
    let live = true;
    void webGpuUnavailableReason().then((r) => live && setReason(r));
    return () => {
      live = false;
    };
  }, []);
  // A choice that cannot run goes back to the one that falls back to the CPU.
  useEffect(() => {
    if (reason && backend === 'webgpu') setOpts({ backend: 'auto' });
  }, [reason, backend, setOpts]);
  return reason;
}
