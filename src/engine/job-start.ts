/**
 * Starting and resuming a recorded job (a merge or a MoE build): the job's Web Lock and its
 * IndexedDB record in the order that keeps "interrupted" true (./job-lock.ts), and the write
 * permission a picked folder needs again after a reload.
 */
import type { HeldLock } from '../../workers/io/browser/web-lock.ts';
import type { SaveTarget } from '../../workers/runtime/requests.ts';
import { saveJob, type AnyJobRecord } from './job-db.ts';
import { holdJobLock } from './job-lock.ts';

/**
 * Starts a job's record: its lock first, taken before the record says 'running' so that no tab
 * ever sees the job as interrupted (a new id's lock is free), then the record. Resume is a
 * bonus: a private window may refuse IndexedDB. The lock, or undefined when another tab has it.
 */
export async function beginJob(job: AnyJobRecord): Promise<Exclude<HeldLock, 'taken'> | undefined> {
  const lock = await holdJobLock(job.id);
  await saveJob(job).catch(() => undefined);
  return lock === 'taken' ? undefined : lock;
}

/**
 * Whether the job may write to its target again after a reload: a picked folder's permission is
 * asked for again (call from a click); browser storage needs none.
 */
export async function mayWriteAgain(target: SaveTarget): Promise<boolean> {
  if (target.kind !== 'directory') return true;
  const h = target.handle as unknown as { requestPermission?(o: { mode: string }): Promise<string> };
  return !h.requestPermission || (await h.requestPermission({ mode: 'readwrite' })) === 'granted';
}
