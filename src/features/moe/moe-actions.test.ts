/**
 * Starting and resuming MoE builds: the request is the form's YAML and this tab's sources (the
 * token in memory, to the worker only); the job is recorded as a MoE build; a config with
 * errors never starts; a resumed build fills the form from its YAML and gets the token only
 * for the hub it was given for; a build another tab runs is not started twice.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AnyJobRecord, MoeJobRecord } from '../../engine/job-db.ts';
import type { MoeResult } from '../../../workers/moe/build-moe.ts';
import type { MoeRequest } from '../../../workers/runtime/requests.ts';
import { fakeLocks } from '../../../workers/io/browser/test-helpers.ts';
import { holdJobLock } from '../../engine/job-lock.ts';
import { EMPTY_MOE } from '../../stores/moe-edits.ts';
import { selectMoeYaml } from '../../stores/moe-selectors.ts';
import { useStudio } from '../../stores/store.ts';
import { resumeMoeJob, startMoeFromPage } from './moe-actions.ts';

const started: MoeRequest[] = [];
const saved: AnyJobRecord[] = [];

vi.mock('../../engine/job-db.ts', () => ({
  saveJob: async (j: AnyJobRecord) => void saved.push(j),
  updateJob: async () => undefined,
  interruptedMoeJobs: async () => [],
}));
vi.mock('../../engine/merge-client.ts', () => ({
  MergeCancelledError: class extends Error {},
  startMoeBuild: (request: MoeRequest) => {
    started.push(request);
    return { result: Promise.resolve({ files: [] } as unknown as MoeResult), cancel: () => undefined };
  },
}));
vi.mock('../../engine/save-target.ts', () => ({
  SaveCancelled: class extends Error {},
  chooseSaveTarget: async (name: string) => ({ kind: 'opfs', folder: `merges/${name}` }),
}));

const TOKEN = 'hf_secretsecretsecret';
const CONFIG = `base_model: tinymix-base
gate_mode: cheap_embed
experts_per_token: 2
experts:
  - source_model: tinymix-code
    positive_prompts:
      - "def f(x):"
  - source_model: tinymix-math
    positive_prompts:
      - 37+45=82
`;

const s = () => useStudio.getState();

function job(hubUrl: string): MoeJobRecord {
  return {
    id: 'moe-1',
    kind: 'moe',
    request: { configText: CONFIG, sources: { hub: { url: hubUrl } }, outputName: 'moe-out', seed: 7 },
    target: { kind: 'opfs', folder: 'merges/moe-out' },
    status: 'running',
    startedAt: 0,
    updatedAt: 0,
  };
}

beforeEach(() => {
  started.length = 0;
  saved.length = 0;
  s().setHubUrl('https://huggingface.co');
  s().setToken(TOKEN);
  s().setMoe(EMPTY_MOE);
  s().setStudioMode('merge');
});

describe('startMoeFromPage', () => {
  it('builds the form’s YAML; the token goes to the worker, recorded as a MoE job', async () => {
    s().editMoeYaml(CONFIG);
    s().setMoeOptions({ outputName: '  ' });
    await startMoeFromPage();
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({
      configText: selectMoeYaml(s()),
      outputName: 'moe-model',
      sources: { local: {}, hub: { url: 'https://huggingface.co', token: TOKEN } },
    });
    expect(started[0]?.configText).not.toContain(TOKEN);
    expect(saved[0]).toMatchObject({ kind: 'moe', target: { kind: 'opfs', folder: 'merges/moe-model' } });
    expect(s().moeOptions.outputName).toBe('moe-model');
    expect(s().moeRun).toMatchObject({ status: 'done', savedFolder: 'merges/moe-model' });
  });

  it('a config with errors does not start, and says why', async () => {
    s().editMoeYaml(CONFIG.replace('    positive_prompts:\n      - "def f(x):"\n', ''));
    await startMoeFromPage();
    expect(started).toEqual([]);
    expect(s().moeRun.status).toBe('failed');
    expect(s().moeRun.error).toMatch(/^Fix the MoE config first: expert 0 has no positive_prompts/);
  });
});

describe('resumeMoeJob', () => {
  it('shows the build in the form and sends the token to the hub it was given for', async () => {
    await resumeMoeJob(job('https://huggingface.co/'));
    expect(s().studioMode).toBe('moe');
    expect(s().moe.experts.map((e) => e.source_model)).toEqual(['tinymix-code', 'tinymix-math']);
    expect(s().moeOptions).toMatchObject({ outputName: 'moe-out', seed: 7 });
    expect(started[0]?.configText).toBe(CONFIG); // the job's own text, as it started
    expect(started[0]?.sources.hub).toEqual({ url: 'https://huggingface.co/', token: TOKEN });
  });

  it('resumes a build on another hub without this hub’s token, and says so', async () => {
    await resumeMoeJob(job('https://other-hub.example'));
    expect(started[0]?.sources.hub).toEqual({ url: 'https://other-hub.example' });
    expect(JSON.stringify(started[0])).not.toContain(TOKEN);
    expect(s().moeRun.logs).toContain(
      'This build reads from https://other-hub.example: the token given for https://huggingface.co ' +
        'is not sent there, so it resumes without a token.',
    );
  });

  describe('with Web Locks', () => {
    beforeEach(() => {
      vi.stubGlobal('navigator', { locks: fakeLocks() });
    });
    afterEach(() => {
      vi.unstubAllGlobals();
    });

    it('a build that another tab runs already is not resumed a second time', async () => {
      await holdJobLock('moe-1');
      await resumeMoeJob(job('https://huggingface.co'));
      expect(started).toEqual([]);
      expect(s().moeRun.error).toBe('This build is already running in another tab.');
    });
  });
});
