/**
 * Running the extraction: the output folder's name, the plan (what will be written, from the
 * headers), the Extract button (the folder picker opens on its click; without one the adapter
 * goes to browser storage and is offered as downloads), progress with Cancel, and the result.
 * An interrupted extraction is offered after a reload by LoraResumeBanner, above every tool.
 */
import { ToolRunPanel } from '../../shared/ToolRunPanel.tsx';
import { defaultLoraOutputName } from '../../stores/lora-edits.ts';
import { selectLoraFoldersBlock, selectLoraProblems } from '../../stores/lora-selectors.ts';
import { useStudio } from '../../stores/store.ts';
import { LoraPlanPreview } from './LoraPlanPreview.tsx';
import { LoraProgress } from './LoraProgress.tsx';
import { LoraResult } from './LoraResult.tsx';
import { cancelLora, startLoraFromPage } from './lora-actions.ts';

export function LoraRunPanel() {
  const name = useStudio((s) => s.loraOutputName);
  const setName = useStudio((s) => s.setLoraOutputName);
  const placeholder = useStudio((s) => defaultLoraOutputName(s.lora));
  const { status, error } = useStudio((s) => s.loraRun);
  const linkError = useStudio((s) => s.loraLinkError);
  const problems = useStudio(selectLoraProblems);
  const foldersBlock = useStudio(selectLoraFoldersBlock);
  return (
    <ToolRunPanel
      title="Extract"
      outputName={name}
      setOutputName={setName}
      placeholder={placeholder}
      status={status}
      error={error}
      linkError={linkError}
      waitFor={problems[0]?.message ?? foldersBlock}
      plan={<LoraPlanPreview />}
      writes="the adapter"
      note="adapter_config.json is written last. After Cancel or a closed tab, extracting again into the same folder resumes: the modules finished before are not decomposed again."
      progress={<LoraProgress />}
      result={<LoraResult />}
      onStart={() => void startLoraFromPage()}
      onCancel={cancelLora}
    />
  );
}
