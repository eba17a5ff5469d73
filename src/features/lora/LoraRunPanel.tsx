/**
 * Running the extraction: the output folder's name, the plan (what will be written, from the
 * headers), the Extract button (the folder picker opens on its click; without one the adapter
 * goes to browser storage and is offered as downloads), progress with Cancel, and the result.
 * An interrupted extraction is offered after a reload by LoraResumeBanner, above every tool.
 */
import { useId } from 'react';
import { canPickFolders } from '../../engine/save-target.ts';
import { isBusy, OutputNameField, RunButtons, RunError } from '../../shared/RunControls.tsx';
import { defaultLoraOutputName } from '../../stores/lora-edits.ts';
import { selectLoraFoldersBlock, selectLoraProblems } from '../../stores/lora-selectors.ts';
import { useStudio } from '../../stores/store.ts';
import { LoraPlanPreview } from './LoraPlanPreview.tsx';
import { LoraProgress } from './LoraProgress.tsx';
import { LoraResult } from './LoraResult.tsx';
import { cancelLora, startLoraFromPage } from './lora-actions.ts';

export function LoraRunPanel() {
  const id = useId();
  const name = useStudio((s) => s.loraOutputName);
  const setName = useStudio((s) => s.setLoraOutputName);
  const placeholder = useStudio((s) => defaultLoraOutputName(s.lora));
  const { status, error } = useStudio((s) => s.loraRun);
  const linkError = useStudio((s) => s.loraLinkError);
  const problems = useStudio(selectLoraProblems);
  const foldersBlock = useStudio(selectLoraFoldersBlock);
  const busy = isBusy(status);
  const waitFor = problems[0]?.message ?? foldersBlock;
  return (
    <section className="run-panel" aria-labelledby={`${id}-t`}>
      <h2 id={`${id}-t`}>Extract</h2>
      {linkError && (
        <p className="field-error" role="alert">
          {linkError}
        </p>
      )}
      <div className="run-options">
        <OutputNameField id={id} value={name} busy={busy} placeholder={placeholder} onChange={setName} />
      </div>
      <LoraPlanPreview />
      <p className="muted">
        {canPickFolders()
          ? 'You will choose a folder; the adapter is written into a sub-folder named as above.'
          : 'This browser cannot write to a folder you pick: the adapter is written to browser storage and offered as downloads.'}{' '}
        adapter_config.json is written last. After Cancel or a closed tab, extracting again into the same
        folder resumes: the modules finished before are not decomposed again.
      </p>
      <RunButtons
        label={canPickFolders() ? 'Choose folder and extract' : 'Extract'}
        status={status}
        blocked={waitFor !== undefined}
        onStart={() => void startLoraFromPage()}
        onCancel={cancelLora}
      />
      {!busy && waitFor && <p className="field-hint">Extract waits: {waitFor}</p>}
      <LoraProgress />
      <RunError status={status} error={error} />
      <LoraResult />
    </section>
  );
}
