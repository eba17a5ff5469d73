/** Resuming a job: this tab's token goes along only to the hub origin it was given for. */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobRecord } from '../../engine/job-db.ts';
import type { MergeRequest } from '../../../workers/runtime/requests.ts';
import type { MergeResult } from '../../../workers/protocol.ts';
import { useStudio } from '../../stores/store.ts';
import { resumeJob } from './run-actions.ts';

const started: MergeRequest[] = [];

vi.mock('../../engine/job-db.ts', () => ({
  saveJob: async () => undefined,
  updateJob: async () => undefined,
  interruptedJobs: async () => [],
}));
vi.mock('../../engine/merge-client.ts', () => ({
  MergeCancelledError: class extends Error {},
  startMerge: (request: MergeRequest) => {
    started.push(request);
    return { result: Promise.resolve({} as MergeResult), cancel: () => undefined };
  },
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
