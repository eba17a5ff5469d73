/**
 * The hub of a resumed job (a merge or a MoE build). The token was never stored with the job,
 * and the one in this tab was given for the hub chosen now, so it goes with the job only when
 * the job reads from that hub's origin: a job started on another hub resumes without it
 * (public models still load; a gated one asks for that hub's token).
 */
import type { ModelSources } from '../../workers/runtime/requests.ts';
import { hubOrigin } from '../stores/sources-slice.ts';

type JobHub = NonNullable<ModelSources['hub']>;

export interface ResumedHub {
  readonly hub: JobHub | undefined;
  /** A line for the log when this tab's token was kept from the job's hub. */
  readonly note: string | undefined;
}

/** `job`: what the log line calls the job ("merge", "build"). */
export function resumeHub(
  jobHub: JobHub | undefined,
  hubUrl: string,
  token: string,
  job = 'merge',
): ResumedHub {
  if (!jobHub) return { hub: undefined, note: undefined };
  const same = hubOrigin(jobHub.url) === hubOrigin(hubUrl);
  if (same || token === '') return { hub: { url: jobHub.url, ...(token && { token }) }, note: undefined };
  return {
    hub: { url: jobHub.url },
    note:
      `This ${job} reads from ${hubOrigin(jobHub.url)}: the token given for ${hubOrigin(hubUrl)} ` +
      'is not sent there, so it resumes without a token.',
  };
}
