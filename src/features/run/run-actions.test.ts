/**
 * Starting and resuming jobs: this tab's token goes along only to the hub origin it was given
 * for; a job holds its lock while it runs (from before it is recorded as running), and a job
 * another tab runs is not started twice.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobRecord } from '../../engine/job-db.ts';
import type { MergeRequest } from '../../../workers/runtime/requests.ts';
import type { MergeResult } from '../../../workers/protocol.ts';
import { fakeLocks } from '../../../workers/io/browser/test-helpers.ts';
import { heldLockNames } from '../../../workers/io/browser/web-lock.ts';
import { holdJobLock } from '../../engine/job-lock.ts';
import { useStudio } from '../../stores/store.ts';
import { resumeJob, startMergeFromPage } from './run-actions.ts';

const started: MergeRequest[] = [];
/** Lock names held when a job was recorded. */
const heldWhenSaved: Set<string>[] = [];
/** With holdOpen, a started merge runs until `finish` is called; without, it ends at once. */
let holdOpen = false;
let finish: (() => void) | undefined;

vi.mock('../../engine/job-db.ts', () => ({
  saveJob: async () => void heldWhenSaved.push(await heldLockNames()),
  updateJob: async () => undefined,
  interruptedJobs: async () => [],
}));
vi.mock('../../engine/merge-client.ts', () => ({
  MergeCancelledError: class extends Error {},
  startMerge: (request: MergeRequest) => {
    started.push(request);
    const result = holdOpen
      ? new Promise<MergeResult>((r) => (finish = () => r({} as MergeResult)))
      : Promise.resolve({} as MergeResult);
    return { result, cancel: () => undefined };
  },
}));
vi.mock('../../engine/save-target.ts', () => ({
  SaveCancelled: class extends Error {},
  chooseSaveTarget: async (name: string) => ({ kind: 'opfs', folder: `merges/${name}` }),
}));

const TOKEN = 'hf_secretsecretsecret';

function job(hubUrl: string): JobRecord {
  return {
    id: 'j1',
    request: {
      recipeText: 'merge_method: linear\nmodels:\n  - model: org/a\n  - model: org/b\n',
      sources: { hub: { url: hubUrl } },
      outputName: 'out',
    },
    target: { kind: 'opfs', folder: 'out' },
    status: 'running',
    startedAt: 0,
    updatedAt: 0,
  };
}

const s = () => useStudio.getState();

beforeEach(() => {
  started.length = 0;
  heldWhenSaved.length = 0;
  holdOpen = false;
  s().setHubUrl('https://huggingface.co');
  s().setToken(TOKEN);
});

describe('resumeJob', () => {
  it('sends the token when the job reads from the current hub’s origin', async () => {
    await resumeJob(job('https://huggingface.co/'));
    expect(started[0]?.sources.hub).toEqual({ url: 'https://huggingface.co/', token: TOKEN });
  });

  it('resumes a job on another hub without the token given for this one, and says so', async () => {
    await resumeJob(job('https://other-hub.example'));
    expect(started[0]?.sources.hub).toEqual({ url: 'https://other-hub.example' });
    expect(JSON.stringify(started[0])).not.toContain(TOKEN);
    expect(s().logs).toContain(
      'This merge reads from https://other-hub.example: the token given for https://huggingface.co ' +
        'is not sent there, so it resumes without a token.',
    );
  });

  it('treats another port or scheme as another hub', async () => {
    await resumeJob(job('http://huggingface.co'));
    await resumeJob(job('https://huggingface.co:8443'));
    expect(started.map((r) => r.sources.hub?.token)).toEqual([undefined, undefined]);
  });
});

describe('the output folder', () => {
  const VALID =
    'merge_method: linear\nmodels:\n  - model: org/a\n    parameters: {weight: 1}\n' +
    '  - model: org/b\n    parameters: {weight: 1}\n';

  it('a resumed job shows its own folder name, and its result remembers its folder', async () => {
    s().setRunOptions({ outputName: 'merged-model' });
    await resumeJob({
      ...job('https://huggingface.co'),
      target: { kind: 'opfs', folder: 'merges/slow-out' },
    });
    expect(s().runOptions.outputName).toBe('out');
    expect(s().savedFolder).toBe('merges/slow-out');
  });

  it('a merge started with an empty name box is saved under the default name, which the box then shows', async () => {
    s().editYaml(VALID);
    s().setRunOptions({ outputName: '  ' });
    await startMergeFromPage();
    expect(started[0]?.outputName).toBe('merged-model');
    expect(s().runOptions.outputName).toBe('merged-model');
    expect(s().savedFolder).toBe('merges/merged-model');
  });

  it('a local folder lost in a reload blocks the merge until it is opened again', async () => {
    s().editYaml(VALID);
    useStudio.setState({ lostLocalFolders: ['org/a'] });
    started.length = 0;
    await startMergeFromPage();
    expect(started).toEqual([]); // not looked up on the hub in its place
    expect(s().runStatus).toBe('failed');
    expect(s().runError).toMatch(/^Open the folder of org\/a again first/);
    useStudio.setState({ lostLocalFolders: [] });
  });

  it('a merge into browser storage remembers its folder when the name box changes afterwards', async () => {
    s().editYaml(VALID);
    s().setRunOptions({ outputName: 'demo-out' });
    await startMergeFromPage();
    s().setRunOptions({ outputName: 'other-name' });
    expect(s().savedFolder).toBe('merges/demo-out');
  });
});

/** Lets the merge started last end, then waits for the run to settle. */
async function endMerge(run: Promise<void>): Promise<void> {
  await vi.waitFor(() => expect(finish).toBeDefined());
  finish!();
  finish = undefined;
  await run;
}

const jobLocks = async (): Promise<string[]> =>
  [...(await heldLockNames())].filter((n) => n.startsWith('merge-studio:job:'));

describe('a job’s lock', () => {
  beforeEach(() => {
    vi.stubGlobal('navigator', { locks: fakeLocks() });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('is held from before the job is recorded as running until its merge ends', async () => {
    // A recipe of its own: the tests before may leave one that does not validate.
    s().editYaml(
      'merge_method: linear\nmodels:\n  - model: org/a\n    parameters: {weight: 1}\n' +
        '  - model: org/b\n    parameters: {weight: 1}\n',
    );
    holdOpen = true;
    const run = startMergeFromPage();
    await vi.waitFor(() => expect(started).toHaveLength(1));
    const held = await jobLocks();
    expect(held).toHaveLength(1);
    expect([...heldWhenSaved[0]!]).toEqual(held);
    await endMerge(run);
    await new Promise((r) => setTimeout(r));
    expect(await jobLocks()).toEqual([]);
  });

  it('a job that another tab runs already is not resumed a second time', async () => {
    await holdJobLock('j1'); // that tab resumed it first
    await resumeJob(job('https://huggingface.co'));
    expect(started).toEqual([]);
    expect(s().runStatus).toBe('failed');
    expect(s().runError).toBe('This merge is already running in another tab.');
  });

  it('a resumed job holds it while it runs', async () => {
    holdOpen = true;
    const run = resumeJob(job('https://huggingface.co'));
    await vi.waitFor(() => expect(started).toHaveLength(1));
    expect(await holdJobLock('j1')).toBe('taken');
    await endMerge(run);
    await new Promise((r) => setTimeout(r));
    expect(await holdJobLock('j1')).toBeTypeOf('function');
  });
});
