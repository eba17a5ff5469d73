/** The running extraction: a progress bar of modules, the line that says where it is, and the log. */
import { JobProgress } from '../../shared/JobProgress.tsx';
import { useStudio } from '../../stores/store.ts';
import { loraProgressText } from './lora-progress-text.ts';

export function LoraProgress() {
  const { status, progress: p, logs } = useStudio((s) => s.loraRun);
  const frac = p && p.modulesTotal > 0 ? Math.min(1, p.modulesDone / p.modulesTotal) : 0;
  return (
    <JobProgress
      status={status}
      label="Extraction progress"
      fraction={frac}
      text={loraProgressText(p, status)}
      logs={logs}
    />
  );
}
