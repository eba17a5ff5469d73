/**
 * Tokenizer transplants interrupted by a closed tab or a crash, offered for resuming after a
 * reload (in every tool, as the other tools' are). Resuming writes into the same folder, where
 * the shards the interrupted run finished are kept.
 */
import { ResumeNotice } from '../../shared/ResumeNotice.tsx';
import { useStudio } from '../../stores/store.ts';
import { interruptedSurgeryJobs, resumeSurgeryJob } from './surgery-actions.ts';

export function SurgeryResumeBanner() {
  const status = useStudio((s) => s.surgeryRun.status);
  return (
    <ResumeNotice status={status} what="transplant" load={interruptedSurgeryJobs} resume={resumeSurgeryJob} />
  );
}
