/**
 * A job that runs in a tab holds a Web Lock named after it until it ends, and the browser lets
 * go of it when the tab goes away. So "recorded as running" and "running now" can be told
 * apart: a job whose lock is held is live in some tab, and must not be offered for resuming
 * (resuming it would write into its folder a second time); one whose lock is free was
 * interrupted.
 */
import { heldLockNames, holdLock, type HeldLock } from '../../workers/io/browser/web-lock.ts';

const lockName = (jobId: string): string => `merge-studio:job:${jobId}`;

/** Takes the job's lock if it is free: the release, 'taken' when another tab runs the job. */
export function holdJobLock(jobId: string): Promise<HeldLock> {
  return holdLock(lockName(jobId), 0);
}

/** Whether some tab runs the job now (false without Web Locks: nothing can tell). */
export async function runningJobs(): Promise<(jobId: string) => boolean> {
  const held = await heldLockNames();
  return (jobId) => held.has(lockName(jobId));
}
