/**
 * Running the transplant: the output folder's name, the plan (from the headers and
 * tokenizers), the Transplant button (the folder picker opens on its click; without one the
 * model goes to browser storage and is offered as downloads), progress with Cancel, and the
 * result. An interrupted transplant is offered after a reload by SurgeryResumeBanner.
 */
import { ToolRunPanel } from '../../shared/ToolRunPanel.tsx';
import { useStudio } from '../../stores/store.ts';
import { defaultSurgeryOutputName } from '../../stores/tokensurgeon-edits.ts';
import { selectSurgeryFoldersBlock, selectSurgeryProblems } from '../../stores/tokensurgeon-selectors.ts';
import { SurgeryPlanPreview } from './SurgeryPlanPreview.tsx';
import { SurgeryProgress } from './SurgeryProgress.tsx';
import { SurgeryResult } from './SurgeryResult.tsx';
import { cancelSurgery, startSurgeryFromPage } from './surgery-actions.ts';

export function SurgeryRunPanel() {
  const name = useStudio((s) => s.surgeryOutputName);
  const setName = useStudio((s) => s.setSurgeryOutputName);
  const placeholder = useStudio((s) => defaultSurgeryOutputName(s.surgery));
  const { status, error } = useStudio((s) => s.surgeryRun);
  const linkError = useStudio((s) => s.surgeryLinkError);
  const problems = useStudio(selectSurgeryProblems);
  const foldersBlock = useStudio(selectSurgeryFoldersBlock);
  return (
    <ToolRunPanel
      title="Transplant"
      outputName={name}
      setOutputName={setName}
      placeholder={placeholder}
      status={status}
      error={error}
      linkError={linkError}
      waitFor={problems[0]?.message ?? foldersBlock}
      plan={<SurgeryPlanPreview />}
      writes="the model"
      note="config.json is written last. After Cancel or a closed tab, running again into the same folder resumes: finished shards are kept."
      progress={<SurgeryProgress />}
      result={<SurgeryResult />}
      onStart={() => void startSurgeryFromPage()}
      onCancel={cancelSurgery}
    />
  );
}
