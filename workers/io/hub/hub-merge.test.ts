/**
 * Acceptance (engine API): merges with models read from the local hub give the same bytes as
 * from local folders, also through failing and truncated requests; a gated repo needs its
 * token, which never reaches an output file or a log line; and the request count of a job
 * depends on the coalesced blocks, not on the number of tensors.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GOLDEN_DIR, MODELS_DIR } from '../../../scripts/lib/golden.ts';
import { startHubServer, type HubServerOptions } from '../../../server/hub-server.ts';
import { runMerge } from '../../engine/run-merge.ts';
import { loadRecipe } from '../../plan/recipe-yaml.ts';
import type { MergeResult } from '../../protocol.ts';
import { memorySink } from '../memory.ts';
import { folderResolver } from '../node/fs-source.ts';
import { folderSink } from '../node/fs-sink.ts';
import type { ModelResolver } from '../source.ts';
import { HubAccessError } from './errors.ts';
import { hubResolver, type HubResolverOptions } from './hub-resolver.ts';
import { writeTinyModel } from './test-helpers.ts';

const TOKEN = 'hf_TestTokenThatMustNeverLeak42';
const tmp = await mkdtemp(path.join(os.tmpdir(), 'hub-merge-'));
const servers: { close(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await rm(tmp, { recursive: true, force: true });
});

async function hub(opts: Partial<HubServerOptions> = {}) {
  const server = await startHubServer({ root: MODELS_DIR, ...opts });
  servers.push(server);
  return server;
}

async function merge(recipeName: string, resolve: ModelResolver, log: string[] = []) {
  const text = await readFile(path.join(GOLDEN_DIR, recipeName, 'recipe.yml'), 'utf8');
  const sink = memorySink();
  const result = await runMerge({
    recipe: loadRecipe(text).recipe,
    recipeText: text,
    resolve,
    sink,
    outputName: recipeName,
    onLog: (l) => log.push(l),
  });
  return { files: sink.files, result };
}

function expectSameFiles(a: Map<string, Uint8Array>, b: Map<string, Uint8Array>): void {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [name, bytes] of a)
    expect(Buffer.from(bytes).equals(Buffer.from(b.get(name)!)), name).toBe(true);
}

const hubOptions = (
  url: string,
  log: string[],
  extra: Partial<HubResolverOptions> = {},
): HubResolverOptions => ({
  hubUrl: url,
  retry: { baseMs: 1 },
  onLog: (l) => log.push(l),
  ...extra,
});

// ties (base + code + sharded math), slerp (F16 law), a bf16 frankenmerge with slices.
const RECIPES = ['ties-gradient', 'slerp-gradient-filters', 'passthrough-frankenmerge'];

describe('merging from the local hub', () => {
  it('gives every output file byte-identical to the run from local folders', async () => {
    const server = await hub();
    for (const name of RECIPES) {
      const ref = await merge(name, folderResolver(MODELS_DIR));
      const fromHub = await merge(name, hubResolver({ hubUrl: server.url }));
      expectSameFiles(fromHub.files, ref.files);
    }
  });

  it('is still byte-identical with every 5th request failing and bodies truncated; retries are in the log', async () => {
    const ref = await merge('ties-gradient', folderResolver(MODELS_DIR));
    for (const truncateMode of ['short', 'cut'] as const) {
      // Counts not divisible by 3: three models read at once, and with every 3rd download cut,
      // the same model's retries could land on the cut every time (seen once under load).
      const server = await hub({ failEvery: 5, truncateEvery: 4, truncateMode });
      const log: string[] = [];
      const resolve = hubResolver(hubOptions(server.url, log));
      const out = await merge('ties-gradient', resolve, log);
      expectSameFiles(out.files, ref.files);
      expect(server.counters.failed).toBeGreaterThan(3);
      expect(server.counters.truncated).toBeGreaterThan(3);
      const retries = log.filter((l) => /^hub: .*; try \d of 6 in \d+\.\d s$/.test(l));
      expect(retries.length).toBe(server.counters.failed + server.counters.truncated);
      expect(resolve.stats.retries).toBe(retries.length);
      expect(log.some((l) => l.includes(': HTTP 503; try 2 of 6'))).toBe(true);
    }
  });

  it('needs the token for a gated repo, works with it, and never writes or logs the token', async () => {
    const server = await hub({ tokens: { 'tinymix-code': TOKEN } });
    const log: string[] = [];
    const denied = await merge('ties-gradient', hubResolver(hubOptions(server.url, log)), log).catch(
      (e) => e,
    );
    expect(denied).toBeInstanceOf(HubAccessError);
    expect(denied.message).toBe(
      `tinymix-code on ${server.url}: this model is gated or private: accept its licence on its Hub page and ` +
        'give a token with read access (no token was given: HTTP 401)',
    );

    const out = path.join(tmp, 'gated');
    const text = await readFile(path.join(GOLDEN_DIR, 'ties-gradient', 'recipe.yml'), 'utf8');
    const result: MergeResult = await runMerge({
      recipe: loadRecipe(text).recipe,
      recipeText: text,
      resolve: hubResolver(hubOptions(server.url, log, { token: TOKEN })),
      sink: folderSink(out),
      outputName: 'ties-gradient',
      onLog: (l) => log.push(l),
      onProgress: (p) => log.push(JSON.stringify(p)),
    });
    log.push(JSON.stringify(result));
    const ref = await merge('ties-gradient', folderResolver(MODELS_DIR));
    const files = await readdir(out);
    expect(files.sort()).toEqual([...ref.files.keys()].sort());
    for (const f of files) {
      const bytes = await readFile(path.join(out, f));
      expect(bytes.equals(Buffer.from(ref.files.get(f)!)), f).toBe(true);
      expect(bytes.includes(TOKEN), f).toBe(false);
    }
    expect(log.length).toBeGreaterThan(3);
    expect(log.some((l) => l.includes(TOKEN))).toBe(false);
  });

  it('makes 32 requests for a TIES merge of three tinymix models, 4 of them for tensor data', async () => {
    const server = await hub();
    const resolve = hubResolver({ hubUrl: server.url });
    const { result } = await merge('ties-gradient', resolve);
    // Per model: info + tree + config.json (probe + GET) = 4, times 3 = 12; math's index 2;
    // per weight file (4): probe + header = 8; tensor blocks 4; base's tokenizer_config.json,
    // tokenizer.json and generation_config.json (probe + GET each) 6.
    expect(result.readRequests).toBe(4);
    expect(resolve.stats.requests).toBe(32);
    expect(server.counters.requests).toBe(32);
  });

  it('does not make more requests for models with more tensors (coalesced reads)', async () => {
    const counts: number[] = [];
    for (const layers of [2, 64]) {
      const root = path.join(tmp, `synthetic-${layers}`);
      for (const [i, m] of ['base', 'a', 'b'].entries()) {
        await writeTinyModel(path.join(root, m), { layers, hidden: 8, vocab: 16, seed: i + 1 });
      }
      const server = await hub({ root });
      const resolve = hubResolver({ hubUrl: server.url });
      const text = `merge_method: ties
base_model: base
models:
  - {model: a, parameters: {weight: 0.5, density: 0.5}}
  - {model: b, parameters: {weight: 0.5, density: 0.5}}
dtype: float32
`;
      const result = await runMerge({ recipe: loadRecipe(text).recipe, resolve, sink: memorySink() });
      expect(result.tensors).toBe(3 + 6 * layers);
      expect(result.readRequests).toBe(3); // one block per model
      counts.push(resolve.stats.requests);
    }
    expect(counts[1]).toBe(counts[0]);
  });
});
