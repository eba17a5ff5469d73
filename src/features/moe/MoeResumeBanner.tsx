/** MoE builds interrupted by a closed tab or a crash, offered for resuming after a reload. */
import { useEffect, useState } from 'react';
import { deleteJob, type MoeJobRecord } from '../../engine/job-db.ts';
import { useStudio } from '../../stores/store.ts';
import { interruptedMoeJobs, resumeMoeJob } from './moe-actions.ts';

export function MoeResumeBanner() {
  const [jobs, setJobs] = useState<MoeJobRecord[]>([]);
  const status = useStudio((s) => s.moeRun.status);
  useEffect(() => {
    if (status === 'idle') void interruptedMoeJobs().then(setJobs, () => setJobs([]));
  }, [status]);
  if (jobs.length === 0 || status !== 'idle') return null;
  return (
    <div className="notice" role="region" aria-label="Interrupted builds">
      {jobs.map((j) => (
        <p key={j.id}>
          A build into “{j.request.outputName}” was interrupted {new Date(j.updatedAt).toLocaleString()}.{' '}
          <button type="button" onClick={() => void resumeMoeJob(j)}>
            Resume build into {j.request.outputName}
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
