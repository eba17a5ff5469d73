/**
 * Building the MoE: output folder name, largest shard, seed (random gates, noise), mergekit's
 * same-model override, the warnings the config already tells, the plan (what the build
 * writes), the Build button (the folder picker opens on its click), progress with Cancel, and
 * the result.
 */
import { useId } from 'react';
import { formatPath, type RecipeProblem } from '../../../workers/plan/problems.ts';
import { canPickFolders } from '../../engine/save-target.ts';
import { isBusy, OutputNameField, RunButtons, RunError, ShardSizeField } from '../../shared/RunControls.tsx';
import { moeFormWarnings } from '../../stores/moe-edits.ts';
import { selectMoeErrors, selectMoeFoldersBlock } from '../../stores/moe-selectors.ts';
import { DEFAULT_MOE_OUTPUT_NAME } from '../../stores/moe-slice.ts';
import { useStudio } from '../../stores/store.ts';
import { MoePlanPreview } from './MoePlanPreview.tsx';
import { MoeProgress } from './MoeProgress.tsx';
import { MoeResultSummary } from './MoeResultSummary.tsx';
import { NumberBox } from './NumberBox.tsx';
import { cancelMoe, startMoeFromPage } from './moe-actions.ts';

/** Where a problem is, as the YAML's problem list says it: "line 5, experts[0]: ". */
function where(p: RecipeProblem): string {
  const at = [p.line !== undefined ? `line ${p.line}` : '', formatPath(p.path)].filter((x) => x !== '');
  return at.length > 0 ? `${at.join(', ')}: ` : '';
}

export function MoeBuildPanel() {
  const id = useId();
  const opts = useStudio((s) => s.moeOptions);
  const setOpts = useStudio((s) => s.setMoeOptions);
  const moe = useStudio((s) => s.moe);
  const { status, error } = useStudio((s) => s.moeRun);
  const errors = useStudio(selectMoeErrors);
  const foldersBlock = useStudio(selectMoeFoldersBlock);
  const busy = isBusy(status);
  const random = moe.gate_mode === 'random' || moe.gate_mode === 'uniform_random';
  const seeded =
    random || [...moe.experts, ...(moe.shared_experts ?? [])].some((e) => e.noise_scale !== undefined);
  const warnings = moeFormWarnings(moe);
  return (
    <section className="run-panel" aria-labelledby={`${id}-t`}>
      <h2 id={`${id}-t`}>Build</h2>
      <div className="run-options">
        <OutputNameField
          id={id}
          value={opts.outputName}
          busy={busy}
          placeholder={DEFAULT_MOE_OUTPUT_NAME}
          onChange={(outputName) => setOpts({ outputName })}
        />
        <ShardSizeField id={id} value={opts.shardBytes} onChange={(shardBytes) => setOpts({ shardBytes })} />
        {seeded && (
          <NumberBox
            label="Random seed"
            integer
            min={0}
            value={opts.seed}
            hint="Seeds the random routers and the experts’ noise: the same seed gives the same bytes."
            onChange={(seed) => seed !== undefined && setOpts({ seed })}
          />
        )}
        <label className="moe-check">
          <input
            type="checkbox"
            checked={opts.allowAllSame}
            onChange={(e) => setOpts({ allowAllSame: e.target.checked })}
          />{' '}
          Allow every expert to be the same model (sparse upcycling, to be trained)
        </label>
      </div>
      {warnings.length > 0 && (
        <ul className="problems" aria-label="MoE warnings">
          {warnings.map((w) => (
            <li key={w} className="warning">
              {w}
            </li>
          ))}
        </ul>
      )}
      <MoePlanPreview />
      <p className="muted">
        {canPickFolders()
          ? 'You will choose a folder; the MoE is written into a sub-folder named as above.'
          : 'This browser cannot write to a folder you pick: the MoE is written to browser storage and offered as downloads.'}{' '}
        Routers whose prompts are too similar are reported during the build.
      </p>
      <RunButtons
        label={canPickFolders() ? 'Choose folder and build' : 'Build'}
        status={status}
        blocked={errors.length > 0 || foldersBlock !== undefined}
        onStart={() => void startMoeFromPage()}
        onCancel={cancelMoe}
      />
      {!busy && foldersBlock && <p className="field-hint">{foldersBlock}</p>}
      {errors.length > 0 && (
        <p className="field-hint">
          Build waits for the config: {where(errors[0]!)}
          {errors[0]!.message}
          {errors.length > 1 ? ` (and ${errors.length - 1} more problem(s), listed with the YAML)` : ''}
        </p>
      )}
      <MoeProgress />
      <RunError status={status} error={error} />
      <MoeResultSummary />
    </section>
  );
}
