/** MoE builds interrupted by a closed tab or a crash, offered for resuming after a reload. */
import { ResumeNotice } from '../../shared/ResumeNotice.tsx';
import { useStudio } from '../../stores/store.ts';
import { interruptedMoeJobs, resumeMoeJob } from './moe-actions.ts';

export function MoeResumeBanner() {
  const status = useStudio((s) => s.moeRun.status);
  return <ResumeNotice status={status} what="build" load={interruptedMoeJobs} resume={resumeMoeJob} />;
}
