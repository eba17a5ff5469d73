/**
 * Jobs interrupted by a closed tab or a crash, offered for resuming after a reload: the merge's,
 * the MoE build's and the LoRA extraction's banners. Output names come from the user: text only.
 */
import { useEffect, useState } from 'react';
import { deleteJob, type AnyJobRecord } from '../engine/job-db.ts';
import type { RunStatus } from '../stores/run-slice.ts';

export function ResumeNotice<T extends AnyJobRecord>({
  status,
  what,
  load,
  resume,
}: {
  /** The mode's run status: jobs are looked up, and offered, only while it is idle. */
  readonly status: RunStatus;
  /** "merge", "build", "extraction": what the banner calls a job. */
  readonly what: string;
  readonly load: () => Promise<T[]>;
  readonly resume: (job: T) => Promise<void>;
}) {
  const [jobs, setJobs] = useState<T[]>([]);
  useEffect(() => {
    if (status === 'idle') void load().then(setJobs, () => setJobs([]));
  }, [status, load]);
  if (jobs.length === 0 || status !== 'idle') return null;
  const a = /^[aeiou]/i.test(what) ? 'An' : 'A';
  return (
    <div className="notice" role="region" aria-label={`Interrupted ${what}s`}>
      {jobs.map((j) => (
        <p key={j.id}>
          {a} {what} into “{j.request.outputName}” was interrupted {new Date(j.updatedAt).toLocaleString()}.{' '}
          <button type="button" onClick={() => void resume(j)}>
            Resume {what} into {j.request.outputName}
          </button>{' '}
          <button
            type="button"
            onClick={() => {
              void deleteJob(j.id);
              setJobs(jobs.filter((x) => x !== j));
            }}
          >
            Forget it
          </button>
        </p>
      ))}
    </div>
  );
}
