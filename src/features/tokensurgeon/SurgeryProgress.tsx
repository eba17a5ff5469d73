/** The running transplant: a progress bar of the current step, the line that says where it is, and the log. */
import { JobProgress } from '../../shared/JobProgress.tsx';
import { useStudio } from '../../stores/store.ts';
import { surgeryFraction, surgeryProgressText } from './surgery-progress-text.ts';

export function SurgeryProgress() {
  const { status, progress, logs } = useStudio((s) => s.surgeryRun);
  return (
    <JobProgress
      status={status}
      label="Transplant progress"
      fraction={surgeryFraction(progress)}
      text={surgeryProgressText(progress, status)}
      logs={logs}
    />
  );
}
