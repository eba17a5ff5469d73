/** Merges interrupted by a closed tab or a crash, offered for resuming after a reload. */
import { ResumeNotice } from '../../shared/ResumeNotice.tsx';
import { useStudio } from '../../stores/store.ts';
import { interruptedJobs, resumeJob } from './run-actions.ts';

export function ResumeBanner() {
  const status = useStudio((s) => s.runStatus);
  return <ResumeNotice status={status} what="merge" load={interruptedJobs} resume={resumeJob} />;
}
