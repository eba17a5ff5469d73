/**
 * Starting and resuming LoRA extractions: the job is recorded as a LoRA extraction (the
 * request and the folder; the token goes to the worker only) and its record says how it
 * ended; a resumed extraction shows its settings in the form and runs the same request into
 * the same folder (where the engine skips the modules done), with this tab's token only for
 * the hub it was given for; one that another tab runs is not started twice, nor one whose
 * folder may not be written.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AnyJobRecord, JobStatus, LoraJobRecord } from '../../engine/job-db.ts';
import { fakeLocks } from '../../../workers/io/browser/test-helpers.ts';
import type { LoraCallbacks, LoraExtractResult } from '../../../workers/runtime/api.ts';
import type { LoraExtractRequest, SaveTarget } from '../../../workers/runtime/requests.ts';
import { holdJobLock } from '../../engine/job-lock.ts';
import { EMPTY_LORA } from '../../stores/lora-edits.ts';
import { useStudio } from '../../stores/store.ts';
import { resumeLoraJob, startLoraFromPage } from './lora-actions.ts';

const started: { request: LoraExtractRequest; target: SaveTarget }[] = [];
const saved: AnyJobRecord[] = [];
const updates: [id: string, status: JobStatus, message?: string][] = [];
/** How the next extraction ends. */
let outcome: 'done' | 'cancelled' | 'failed' = 'done';

vi.mock('../../engine/job-db.ts', () => ({
  saveJob: async (j: AnyJobRecord) => void saved.push(j),
  updateJob: async (...u: [string, JobStatus, string?]) => void updates.push(u),
  interruptedLoraJobs: async () => [],
}));
vi.mock('../../engine/merge-client.ts', () => {
  class MergeCancelledError extends Error {}
  return {
    MergeCancelledError,
    startLoraExtraction: (request: LoraExtractRequest, target: SaveTarget, callbacks: LoraCallbacks) => {
      started.push({ request, target });
      callbacks.onLog('resume: 12 of 28 modules were extracted by an earlier run');
      const result =
        outcome === 'done'
          ? Promise.resolve({ rank: 8, modules: [], files: [] } as unknown as LoraExtractResult)
          : Promise.reject(
              outcome === 'cancelled'
                ? new MergeCancelledError('The extraction was cancelled.')
                : new Error('tinymix-code has no tensor model.norm.weight'),
            );
      return { result, cancel: () => undefined };
    },
  };
});
vi.mock('../../engine/save-target.ts', () => ({
  SaveCancelled: class extends Error {},
  chooseSaveTarget: async (name: string) => ({ kind: 'opfs', folder: `merges/${name}` }),
  opfsFiles: async () => [],
}));

const TOKEN = 'hf_secretsecretsecret';
const OPTIONS = { ...EMPTY_LORA, maxRank: 4, includeRegexes: ['self_attn'] };
const { model: _m, base: _b, ...options } = OPTIONS;

const s = () => useStudio.getState();

function job(
  hubUrl: string,
  target: SaveTarget = { kind: 'opfs', folder: 'merges/code-lora' },
): LoraJobRecord {
  return {
    id: 'lora-1',
    kind: 'lora',
    request: {
      model: 'tinymix-code',
      base: 'tinymix-base',
      options,
      sources: { hub: { url: hubUrl } },
      outputName: 'code-lora',
    },
    target,
    status: 'running',
    startedAt: 0,
    updatedAt: 0,
  };
}

beforeEach(() => {
  started.length = 0;
  saved.length = 0;
  updates.length = 0;
  outcome = 'done';
  s().setHubUrl('https://huggingface.co');
  s().setToken(TOKEN);
  s().setLora(EMPTY_LORA);
  s().setLoraOutputName('');
  s().setStudioMode('merge');
});

describe('startLoraFromPage', () => {
  it('records a LoRA job with the request and the folder; the token goes to the worker', async () => {
    s().setLora({ ...OPTIONS, model: 'tinymix-code', base: 'tinymix-base' });
    await startLoraFromPage();
    const request: LoraExtractRequest = {
      model: 'tinymix-code',
      base: 'tinymix-base',
      options,
      sources: { local: {}, hub: { url: 'https://huggingface.co', token: TOKEN } },
      outputName: 'tinymix-code-lora',
    };
    expect(started).toEqual([{ request, target: { kind: 'opfs', folder: 'merges/tinymix-code-lora' } }]);
    // job-db's saveJob strips the token (its own test); what it is given is the request.
    expect(saved).toEqual([
      expect.objectContaining({ kind: 'lora', status: 'running', request, target: started[0]!.target }),
    ]);
    expect(updates).toEqual([[saved[0]!.id, 'done']]);
    expect(s().loraRun).toMatchObject({ status: 'done', outputName: 'tinymix-code-lora', savedFolder: 'merges/tinymix-code-lora' }); // prettier-ignore
    expect(s().loraRun.logs).toContain('resume: 12 of 28 modules were extracted by an earlier run');
  });

  it('a cancelled or failed extraction is recorded so, with its message, and not offered again', async () => {
    s().setLora({ ...OPTIONS, model: 'tinymix-code', base: 'tinymix-base' });
    outcome = 'cancelled';
    await startLoraFromPage();
    outcome = 'failed';
    await startLoraFromPage();
    expect(updates).toEqual([
      [saved[0]!.id, 'cancelled', 'The extraction was cancelled.'],
      [saved[1]!.id, 'failed', 'tinymix-code has no tensor model.norm.weight'],
    ]);
    expect(s().loraRun).toMatchObject({ status: 'failed', error: 'tinymix-code has no tensor model.norm.weight' }); // prettier-ignore
    // Extracting again after Cancel goes into the same folder (the engine resumes there).
    expect(started[1]?.target).toEqual(started[0]?.target);
  });

  it('settings with a problem do not start, and say why', async () => {
    s().setLora({ ...OPTIONS, model: 'tinymix-code', base: 'tinymix-code' });
    await startLoraFromPage();
    expect(started).toEqual([]);
    expect(saved).toEqual([]);
    expect(s().loraRun.error).toBe(
      'The base is the fine-tuned model itself: there is no difference to extract.',
    );
  });
});

describe('resumeLoraJob', () => {
  it('shows the extraction in the form and runs it into the same folder, with the token for its hub', async () => {
    await resumeLoraJob(job('https://huggingface.co/'));
    expect(s().studioMode).toBe('lora');
    expect(s().lora).toEqual({ ...OPTIONS, model: 'tinymix-code', base: 'tinymix-base' });
    expect(s().loraOutputName).toBe('code-lora');
    expect(started).toEqual([
      {
        request: { ...job('').request, sources: { hub: { url: 'https://huggingface.co/', token: TOKEN } } },
        target: { kind: 'opfs', folder: 'merges/code-lora' },
      },
    ]);
    expect(saved).toEqual([expect.objectContaining({ id: 'lora-1', kind: 'lora', status: 'running' })]);
    expect(JSON.stringify(saved)).not.toContain(TOKEN);
    expect(updates).toEqual([['lora-1', 'done']]);
    expect(s().loraRun).toMatchObject({ status: 'done', config: s().lora, outputName: 'code-lora' });
  });

  it('resumes an extraction on another hub without this hub’s token, and says so', async () => {
    await resumeLoraJob(job('https://other-hub.example'));
    expect(started[0]?.request.sources.hub).toEqual({ url: 'https://other-hub.example' });
    expect(JSON.stringify(started[0])).not.toContain(TOKEN);
    expect(s().loraRun.logs[0]).toBe(
      'This extraction reads from https://other-hub.example: the token given for https://huggingface.co ' +
        'is not sent there, so it resumes without a token.',
    );
  });

  it('a picked folder whose permission is not given again is not written', async () => {
    const handle = { name: 'code-lora', requestPermission: async () => 'denied' };
    await resumeLoraJob(
      job('https://huggingface.co', { kind: 'directory', handle } as unknown as SaveTarget),
    );
    expect(started).toEqual([]);
    expect(s().loraRun).toMatchObject({ status: 'failed', error: 'Permission to write to the output folder was not given.' }); // prettier-ignore
  });

  describe('with Web Locks', () => {
    beforeEach(() => {
      vi.stubGlobal('navigator', { locks: fakeLocks() });
    });
    afterEach(() => {
      vi.unstubAllGlobals();
    });

    it('an extraction that another tab runs already is not resumed a second time', async () => {
      await holdJobLock('lora-1');
      await resumeLoraJob(job('https://huggingface.co'));
      expect(started).toEqual([]);
      expect(s().loraRun.error).toBe('This extraction is already running in another tab.');
    });
  });
});
