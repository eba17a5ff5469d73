/**
 * The resume fingerprint of local models, which have no revision: a checkpoint replaced by
 * another of the same size (a retrained fine-tune) must start the job over, in Node (mtime) and
 * in the browser (a File's lastModified).
 */
import { cp, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { blobModelSource, memorySink } from '../io/memory.ts';
import { folderResolver } from '../io/node/fs-source.ts';
import { folderSink } from '../io/node/fs-sink.ts';
import type { ModelResolver, OutputSink } from '../io/source.ts';
import { loadRecipe } from '../plan/recipe-yaml.ts';
import { MergeCancelled, runMerge, type MergeJob } from './run-merge.ts';
import { TINYMIX_TIES } from './test-helpers.ts';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'job-state-test-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const TIES = TINYMIX_TIES;

function job(resolve: ModelResolver, sink: OutputSink, extra: Partial<MergeJob> = {}): MergeJob {
  const { recipe } = loadRecipe(TIES);
  return { recipe, recipeText: TIES, resolve, sink, maxShardBytes: 600_000, ...extra };
}

/** Runs `j` and cancels it once two of its three shards are done. */
async function interrupted(j: MergeJob): Promise<void> {
  const ac = new AbortController();
  const onProgress: MergeJob['onProgress'] = (e) => {
    if (e.phase === 'merging' && e.tensorsDone >= 30) ac.abort();
  };
  await expect(
    runMerge({ ...j, signal: ac.signal, progressIntervalMs: 0, onProgress }),
  ).rejects.toBeInstanceOf(MergeCancelled);
}

/** The same file with other values: the low bit of every byte after the header flipped. */
function retrained(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const start = Number(new DataView(out.buffer).getBigUint64(0, true)) + 8;
  for (let i = start; i < out.length; i += 2) out[i]! ^= 1;
  return out;
}

describe('the resume fingerprint of local models', () => {
  it('Node: a model file changed since the interrupted run (same size) starts the job over', async () => {
    const models = path.join(tmp, 'models');
    await cp(MODELS_DIR, models, { recursive: true });
    const dir = path.join(tmp, 'out');
    await interrupted(job(folderResolver(models), folderSink(dir)));
    const file = path.join(models, 'tinymix-code', 'model.safetensors');
    await writeFile(file, retrained(await readFile(file)));
    const later = new Date(Date.now() + 60_000); // whatever the clock's resolution
    await utimes(file, later, later);
    const r = await runMerge(job(folderResolver(models), folderSink(dir)));
    expect(r.resumedShards).toBe(0);
    const ref = path.join(tmp, 'ref');
    await runMerge(job(folderResolver(models), folderSink(ref)));
    for (const f of await readdir(ref)) {
      expect((await readFile(path.join(dir, f))).equals(await readFile(path.join(ref, f))), f).toBe(true);
    }
  });

  it('browser: a File of another lastModified starts the job over; the same File resumes', async () => {
    const folders = new Map<string, Map<string, Uint8Array>>();
    for (const id of ['tinymix-base', 'tinymix-code', 'tinymix-math']) {
      const dir = path.join(MODELS_DIR, id);
      const files = new Map<string, Uint8Array>();
      for (const f of await readdir(dir)) files.set(f, new Uint8Array(await readFile(path.join(dir, f))));
      folders.set(id, files);
    }
    // Files as a picked folder gives them; `stamp` is when the code model last changed.
    const resolver =
      (stamp: number): ModelResolver =>
      (id) => {
        const files = [...folders.get(id)!].map(
          ([p, b]) =>
            [
              p,
              new File([b as Uint8Array<ArrayBuffer>], p, {
                lastModified: id === 'tinymix-code' ? stamp : 1,
              }),
            ] as const,
        );
        return Promise.resolve(blobModelSource(id, new Map(files)));
      };
    const same = memorySink();
    await interrupted(job(resolver(1000), same));
    expect((await runMerge(job(resolver(1000), same))).resumedShards).toBe(2);
    const changed = memorySink();
    await interrupted(job(resolver(1000), changed));
    expect((await runMerge(job(resolver(2000), changed))).resumedShards).toBe(0);
  });
});

/** tinymix, with tinymix-code's tokenizer.json giving "a" and "b" each other's ids when `swap`. */
const tokenizerResolver =
  (swap: boolean): ModelResolver =>
  async (id) => {
    const dir = path.join(MODELS_DIR, id);
    const files = new Map<string, Uint8Array>();
    for (const f of await readdir(dir)) files.set(f, new Uint8Array(await readFile(path.join(dir, f))));
    if (swap && id === 'tinymix-code') {
      const t = JSON.parse(new TextDecoder().decode(files.get('tokenizer.json'))) as {
        model: { vocab: Record<string, number> };
      };
      t.model.vocab['a'] = 98;
      t.model.vocab['b'] = 97;
      files.set('tokenizer.json', new TextEncoder().encode(JSON.stringify(t)));
    }
    return blobModelSource(id, files);
  };

describe('the resume fingerprint of tokenizer merging', () => {
  it('a re-numbered tokenizer.json (same weights) starts the job over; the same one resumes', async () => {
    const text = `${TIES}tokenizer_source: union\n`;
    const j = (swap: boolean, sink: OutputSink): MergeJob => ({
      ...job(tokenizerResolver(swap), sink),
      recipe: loadRecipe(text).recipe,
      recipeText: text,
    });
    const same = memorySink();
    await interrupted(j(false, same));
    expect((await runMerge(j(false, same))).resumedShards).toBe(2);
    const changed = memorySink();
    await interrupted(j(false, changed));
    expect((await runMerge(j(true, changed))).resumedShards).toBe(0);
  });
});
