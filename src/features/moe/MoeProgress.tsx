/** The running build: a progress bar with throughput, ETA and the current tensor; the log. */
import { JobProgress } from '../../shared/JobProgress.tsx';
import { progressText } from '../../shared/progress-text.ts';
import { useStudio } from '../../stores/store.ts';

export function MoeProgress() {
  const { status, progress: p, logs } = useStudio((s) => s.moeRun);
  const frac = p && p.bytesTotal > 0 ? Math.min(1, p.bytesWritten / p.bytesTotal) : 0;
  return (
    <JobProgress
      status={status}
      label="Build progress"
      fraction={frac}
      text={p && progressText(p, status)}
      logs={logs}
    />
  );
}
