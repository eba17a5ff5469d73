/**
 * LoRA extractions interrupted by a closed tab or a crash, offered for resuming after a reload
 * (in every tool, as the MoE builder's are). Resuming extracts into the same folder, where the
 * modules the interrupted run finished are not decomposed again.
 */
import { ResumeNotice } from '../../shared/ResumeNotice.tsx';
import { useStudio } from '../../stores/store.ts';
import { interruptedLoraJobs, resumeLoraJob } from './lora-actions.ts';

export function LoraResumeBanner() {
  const status = useStudio((s) => s.loraRun.status);
  return <ResumeNotice status={status} what="extraction" load={interruptedLoraJobs} resume={resumeLoraJob} />;
}
