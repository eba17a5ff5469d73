/** The running merge: a progress bar with throughput, ETA and the current tensor; the log. */
import { JobProgress } from '../../shared/JobProgress.tsx';
import { progressText } from '../../shared/progress-text.ts';
import { useStudio } from '../../stores/store.ts';

export function RunProgress() {
  const status = useStudio((s) => s.runStatus);
  const p = useStudio((s) => s.progress);
  const logs = useStudio((s) => s.logs);
  const frac = p && p.bytesTotal > 0 ? Math.min(1, p.bytesWritten / p.bytesTotal) : 0;
  return (
    <JobProgress
      status={status}
      label="Merge progress"
      fraction={frac}
      text={p && progressText(p, status)}
      logs={logs}
    />
  );
}
