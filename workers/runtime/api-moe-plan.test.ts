/**
 * The MoE preview's worker call (mergeApi.planMoe) through the local hub, as the page calls
 * it: it says what the CLI engine's build writes (tensor count, layers x experts, the shards'
 * bytes) from headers alone (no weight range is read), plans while prompts are still missing,
 * keeps the token out of what it returns, plans an edit from its cache (revision checks only),
 * stops on its signal, and refuses what changes the layout with the YAML's line.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { startHubServer, type HubServer, type RequestLogEntry } from '../../server/hub-server.ts';
import { folderResolver } from '../io/node/fs-source.ts';
import { folderSink } from '../io/node/fs-sink.ts';
import { buildMoe, type MoeResult } from '../moe/build-moe.ts';
import { loadMoeConfig } from '../moe/moe-yaml.ts';
import { mergeApi } from './api.ts';

const CONFIG = `base_model: tinymix-base
gate_mode: cheap_embed
experts_per_token: 2
experts:
  - source_model: tinymix-code
    positive_prompts:
      - "def merge(a, b):"
  - source_model: tinymix-math
    positive_prompts:
      - 37+45=82
  - source_model: tinymix-law
    positive_prompts:
      - The licensee shall
`;
const TOKEN = 'hf_moeplantokenmoeplan';
const POWER_OF_TWO =
  'the model has 3 experts, which is not a power of two: it will not be usable in llama.cpp';

let server: HubServer;
const log: RequestLogEntry[] = [];
let outDir: string;
let built: MoeResult;
let weightBytes: number;

beforeAll(async () => {
  server = await startHubServer({ root: MODELS_DIR, onRequest: (e) => log.push(e) });
  outDir = await mkdtemp(path.join(os.tmpdir(), 'api-moe-plan-'));
  built = await buildMoe({
    config: loadMoeConfig(CONFIG).config,
    configText: CONFIG,
    resolve: folderResolver(MODELS_DIR),
    sink: folderSink(outDir),
  });
  const shards = (await readdir(outDir)).filter((f) => f.endsWith('.safetensors'));
  weightBytes = (await Promise.all(shards.map((f) => stat(path.join(outDir, f))))).reduce(
    (s, x) => s + x.size,
    0,
  );
});
afterAll(async () => {
  await server.close();
  await rm(outDir, { recursive: true, force: true });
});

/** The requests one plan made, and its summary. */
async function plan(configText: string, maxShardBytes?: number, signal?: AbortSignal) {
  const from = log.length;
  const summary = await mergeApi.planMoe(
    {
      configText,
      sources: { hub: { url: server.url, token: TOKEN } },
      ...(maxShardBytes && { maxShardBytes }),
    },
    signal,
  );
  return { summary, requests: log.slice(from) };
}

/**
 * Whether a request read no more than a header's prefix: a Range from byte 0 of at most the
 * 256 KiB a header read asks for at once (io/load-model.ts), not the rest of a 1.6 MB model.
 */
function headerRead(r: RequestLogEntry): boolean {
  const m = /^bytes=0-(\d+)$/.exec(r.range ?? '');
  return m !== null && Number(m[1]) < 256 * 1024;
}

const isRevisionCheck = (r: RequestLogEntry): boolean =>
  /^\/api\/models\/[^/]+(\/revision\/[^/]+)?$/.test(r.path);

describe('mergeApi.planMoe', () => {
  it('says what the build writes, from headers alone, without the token in what it returns', async () => {
    // Another config of the same models, so this plan reads them rather than the cache.
    const { summary, requests } = await plan(CONFIG.replace('experts_per_token: 2', 'experts_per_token: 1'));
    expect(summary).toEqual({
      architecture: 'Mixtral',
      sharedExperts: 0,
      tensors: built.tensors,
      layers: 4,
      experts: 3,
      outputBytes: weightBytes,
      shards: 1,
      warnings: [POWER_OF_TWO],
    });
    // Embeddings, 6 base tensors a layer, norm, lm_head; 3 experts x 3 weights and a router a layer.
    expect(summary.tensors).toBe(1 + 4 * 6 + 2 + 4 * 3 * 3 + 4);
    const weights = requests.filter((r) => r.path.endsWith('.safetensors'));
    expect(weights.length).toBeGreaterThan(0);
    expect(weights.every(headerRead), JSON.stringify(weights)).toBe(true);
    expect(JSON.stringify(summary)).not.toContain(TOKEN);
  });

  it('plans while prompts are missing; an edit is planned from the cache', async () => {
    const noPrompts = `base_model: tinymix-base\nexperts:\n  - source_model: tinymix-code\n  - source_model: tinymix-math\n`;
    const first = await plan(noPrompts);
    expect(first.summary).toMatchObject({ experts: 2, layers: 4, warnings: [] });
    const second = await plan(`${noPrompts}    positive_prompts: ["37+45=82"]\n`);
    expect(second.summary).toEqual(first.summary);
    expect(second.requests.every(isRevisionCheck), JSON.stringify(second.requests)).toBe(true);
  });

  it('splits into the shards a build would write', async () => {
    const { summary } = await plan(CONFIG, 1_000_000);
    expect(summary.shards).toBeGreaterThan(1);
    expect(summary.tensors).toBe(built.tensors);
  });

  it('stops on its signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(plan(CONFIG, undefined, ac.signal)).rejects.toThrow();
  });

  it('refuses what changes the layout, with the line; a model of another shape by name', async () => {
    await expect(
      plan(`architecture: mixtral\n${CONFIG}shared_experts:\n  - source_model: tinymix-law\n`),
    ).rejects.toThrow(/^\d+:1: shared_experts: Mixtral has no shared experts/);
    await expect(plan(`architecture: qwen3\n${CONFIG}`)).rejects.toThrow(
      'no MoE output architecture can be built from these models and this config: Qwen3 MoE is built from qwen3 models only (model_type), and tinymix-base is "llama"',
    );
    await expect(plan(CONFIG.replace('gate_mode', 'gate_mdoe'))).rejects.toThrow(
      "2:1: gate_mdoe: unknown key 'gate_mdoe'",
    );
    await expect(
      plan(CONFIG.replace('experts_per_token: 2', 'experts_per_token: 2\ndtype: int4')),
    ).rejects.toThrow(/dtype/);
  });
});
