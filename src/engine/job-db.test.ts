/**
 * Which recorded jobs are offered for resuming: those recorded as running whose lock no tab
 * holds, each kind (merge, MoE build, LoRA extraction) by its own tool. A job live in another
 * tab holds its lock (job-lock.ts), so it is left out. Records never hold the token, and say
 * how a job ended. IndexedDB is a small stand-in (one object store of records by id).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeLocks } from '../../workers/io/browser/test-helpers.ts';
import {
  interruptedJobs,
  interruptedLoraJobs,
  interruptedMoeJobs,
  listJobs,
  saveJob,
  updateJob,
  type JobRecord,
  type JobStatus,
  type LoraJobRecord,
  type MoeJobRecord,
} from './job-db.ts';
import { holdJobLock } from './job-lock.ts';

/** The IDBRequest shape job-db uses: result, then onsuccess a moment later. */
function request<T>(result: T): IDBRequest<T> {
  const r = { result } as { result: T; onsuccess?: () => void; onupgradeneeded?: () => void };
  setTimeout(() => {
    r.onupgradeneeded?.();
    r.onsuccess?.();
  });
  return r as unknown as IDBRequest<T>;
}

function fakeIndexedDb(): IDBFactory {
  const rows = new Map<string, JobRecord>();
  const store = {
    put: (v: JobRecord) => request(void rows.set(v.id, structuredClone(v))),
    get: (id: string) => request(rows.get(id)),
    getAll: () => request([...rows.values()]),
    delete: (id: string) => request(void rows.delete(id)),
  };
  const db = {
    createObjectStore: () => store,
    transaction: () => ({ objectStore: () => store }),
    close: () => undefined,
  };
  return { open: () => request(db) } as unknown as IDBFactory;
}

const job = (id: string, status: JobStatus, startedAt: number): JobRecord => ({
  id,
  request: { recipeText: 'merge_method: linear\n', sources: {}, outputName: id },
  target: { kind: 'opfs', folder: `merges/${id}` },
  status,
  startedAt,
  updatedAt: startedAt,
});

beforeEach(() => {
  vi.stubGlobal('indexedDB', fakeIndexedDb());
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('interruptedJobs', () => {
  it('offers jobs recorded as running whose tab is gone, newest first; not one that runs in another tab', async () => {
    vi.stubGlobal('navigator', { locks: fakeLocks() });
    for (const j of [job('gone', 'running', 1), job('live', 'running', 2), job('newer', 'running', 3)])
      await saveJob(j);
    await saveJob(job('done', 'done', 4));
    await saveJob(job('failed', 'failed', 5));
    const release = await holdJobLock('live'); // another tab runs it
    expect((await interruptedJobs()).map((j) => j.id)).toEqual(['newer', 'gone']);
    // That tab closes (or its merge ends without a word): the browser lets go of the lock.
    (release as () => void)();
    await new Promise((r) => setTimeout(r)); // the browser lets go a moment later
    expect((await interruptedJobs()).map((j) => j.id)).toEqual(['newer', 'live', 'gone']);
  });

  it('without Web Locks, every job recorded as running', async () => {
    vi.stubGlobal('navigator', {});
    await saveJob(job('a', 'running', 1));
    expect(await holdJobLock('a')).toBeUndefined();
    expect((await interruptedJobs()).map((j) => j.id)).toEqual(['a']);
  });
});

const moe = (id: string, startedAt: number): MoeJobRecord => ({
  id,
  kind: 'moe',
  request: {
    configText: 'base_model: tinymix-base\n',
    sources: { hub: { url: 'https://huggingface.co', token: 'hf_secretsecret' } },
    outputName: id,
  },
  target: { kind: 'opfs', folder: `merges/${id}` },
  status: 'running',
  startedAt,
  updatedAt: startedAt,
});

describe('MoE builds', () => {
  it('are offered by their own panel only; a record without a kind is a merge', async () => {
    vi.stubGlobal('navigator', { locks: fakeLocks() });
    await saveJob(job('merge-a', 'running', 1));
    await saveJob(moe('moe-a', 2));
    expect((await interruptedJobs()).map((j) => j.id)).toEqual(['merge-a']);
    expect((await interruptedMoeJobs()).map((j) => j.id)).toEqual(['moe-a']);
  });

  it('are stored without the token', async () => {
    vi.stubGlobal('navigator', {});
    await saveJob(moe('moe-b', 3));
    const stored = (await listJobs()).find((j) => j.id === 'moe-b');
    expect(stored?.request.sources.hub).toEqual({ url: 'https://huggingface.co' });
    expect(JSON.stringify(stored)).not.toContain('hf_secret');
  });
});

const TOKEN = 'hf_loratokenloratoken';

const lora = (id: string, startedAt: number): LoraJobRecord => ({
  id,
  kind: 'lora',
  request: {
    model: 'tinymix-code',
    base: 'tinymix-base',
    options: {
      maxRank: 8,
      svEpsilon: 0,
      distributeScale: true,
      embedLora: false,
      skipUndecomposable: false,
      saveModules: [],
      includeRegexes: ['self_attn'],
      excludeRegexes: [],
    },
    sources: { hub: { url: 'http://127.0.0.1:5174', token: TOKEN } },
    outputName: id,
  },
  target: { kind: 'opfs', folder: `merges/${id}` },
  status: 'running',
  startedAt,
  updatedAt: startedAt,
});

describe('LoRA extractions', () => {
  it('are offered by the LoRA tool only, never as merges or MoE builds', async () => {
    vi.stubGlobal('navigator', { locks: fakeLocks() });
    await saveJob(job('merge-a', 'running', 1));
    await saveJob(moe('moe-a', 2));
    await saveJob(lora('lora-a', 3));
    await saveJob(lora('lora-b', 4));
    expect((await interruptedJobs()).map((j) => j.id)).toEqual(['merge-a']);
    expect((await interruptedMoeJobs()).map((j) => j.id)).toEqual(['moe-a']);
    expect((await interruptedLoraJobs()).map((j) => j.id)).toEqual(['lora-b', 'lora-a']);
    // One that runs in another tab is not offered.
    await holdJobLock('lora-b');
    expect((await interruptedLoraJobs()).map((j) => j.id)).toEqual(['lora-a']);
  });

  it('keep the request and the target, without the token', async () => {
    vi.stubGlobal('navigator', {});
    await saveJob(lora('lora-c', 5));
    const [stored] = await interruptedLoraJobs();
    const { token: _t, ...hub } = lora('lora-c', 5).request.sources.hub!;
    expect(stored).toEqual({
      ...lora('lora-c', 5),
      request: { ...lora('lora-c', 5).request, sources: { hub } },
    });
    expect(JSON.stringify(await listJobs())).not.toContain(TOKEN);
  });

  it('say how they ended: done, failed or cancelled ones are not offered', async () => {
    vi.stubGlobal('navigator', {});
    for (const id of ['done', 'failed', 'cancelled', 'left']) await saveJob(lora(id, 6));
    await updateJob('done', 'done');
    await updateJob('failed', 'failed', 'tinymix-code has no tensor model.norm.weight');
    await updateJob('cancelled', 'cancelled', 'The extraction was cancelled.');
    const byId = new Map((await listJobs()).map((j) => [j.id, j]));
    expect(byId.get('failed')).toMatchObject({ kind: 'lora', status: 'failed', message: 'tinymix-code has no tensor model.norm.weight' }); // prettier-ignore
    expect(byId.get('cancelled')).toMatchObject({ kind: 'lora', status: 'cancelled', request: { model: 'tinymix-code' } }); // prettier-ignore
    expect(byId.get('done')?.status).toBe('done');
    expect((await interruptedLoraJobs()).map((j) => j.id)).toEqual(['left']);
  });
});
