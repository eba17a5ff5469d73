/** Merges interrupted by a closed tab or a crash, offered for resuming after a reload. */
import { useEffect, useState } from 'react';
import { deleteJob, type JobRecord } from '../../engine/job-db.ts';
import { useStudio } from '../../stores/store.ts';
import { interruptedJobs, resumeJob } from './run-actions.ts';

export function ResumeBanner() {
  const [jobs, setJobs] = useState<JobRecord[]>([]);
  const status = useStudio((s) => s.runStatus);
  useEffect(() => {
    if (status === 'idle') void interruptedJobs().then(setJobs, () => setJobs([]));
  }, [status]);
  if (jobs.length === 0 || status !== 'idle') return null;
  return (
    <div className="notice" role="region" aria-label="Interrupted merges">
      {jobs.map((j) => (
        <p key={j.id}>
          A merge into “{j.request.outputName}” was interrupted {new Date(j.updatedAt).toLocaleString()}.{' '}
          <button type="button" onClick={() => void resumeJob(j)}>
            Resume merge into {j.request.outputName}
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
