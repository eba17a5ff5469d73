/**
 * The Run panel's plan (mergeApi.plan) through the local hub: it reports the tokenizer union's
 * warnings and vocab change before any merge, and a second plan of an edited recipe reuses the
 * models the first one read (one revision check per model, no listing, header or tokenizer
 * read), while a model pushed in between is read again.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeChatModel } from '../../scripts/lib/chat-fixture.ts';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { startHubServer, type HubServer, type RequestLogEntry } from '../../server/hub-server.ts';
import { adapterFiles, BASE_CONFIG, linearPair } from '../io/lora/test-helpers.ts';
import { mergeApi } from './api.ts';

const MODELS = ['tinymix-base', 'tinymix-code', 'tinymix-chat'];
const recipe = (weight: number): string =>
  'merge_method: ties\nbase_model: tinymix-base\ntokenizer_source: union\nchat_template: auto\nmodels:\n' +
  '  - model: tinymix-base\n' +
  `  - model: tinymix-code\n    parameters: {weight: ${weight}, density: 0.5}\n` +
  '  - model: tinymix-chat\n    parameters: {weight: 0.5, density: 0.5}\n';

let root: string;
let server: HubServer;
const log: RequestLogEntry[] = [];

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'api-plan-'));
  for (const id of ['tinymix-base', 'tinymix-code'])
    await cp(path.join(MODELS_DIR, id), path.join(root, id), { recursive: true });
  await writeChatModel(root);
  // An adapter with a lora_B bias and no lora_bias, as mergekit-extract-lora writes one.
  const q = 'model.layers.0.self_attn.q_proj';
  const files = adapterFiles({ ...BASE_CONFIG, target_modules: ['q_proj'] }, [
    ...linearPair(q, 2, 128, 128, 'BF16', 5),
    { name: `base_model.model.${q}.lora_B.bias`, dtype: 'BF16', shape: [128], values: new Float32Array(128) },
  ]);
  await mkdir(path.join(root, 'biased-lora'));
  for (const [f, bytes] of files) await writeFile(path.join(root, 'biased-lora', f), bytes);
  server = await startHubServer({ root, onRequest: (e) => log.push(e) });
});
afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

/** The requests one plan made. */
async function plan(text: string) {
  const from = log.length;
  const summary = await mergeApi.plan(text, { hub: { url: server.url } });
  return { summary, requests: log.slice(from) };
}

const isRevisionCheck = (r: RequestLogEntry): boolean =>
  /^\/api\/models\/[^/]+(\/revision\/[^/]+)?$/.test(r.path);

describe('mergeApi.plan', () => {
  it('says what the union adds, then plans an edited recipe from its cache', async () => {
    const first = await plan(recipe(1));
    expect(first.summary.warnings.join('\n')).toContain('2 token(s) added to the tokenizer');
    expect(first.summary.vocabSize).toEqual({ from: 260, to: 262 });
    expect(first.summary.tensors).toBeGreaterThan(0);
    expect(first.requests.some((r) => r.path.endsWith('/tokenizer.json'))).toBe(true);

    const second = await plan(recipe(0.7));
    expect(second.summary.warnings).toEqual(first.summary.warnings);
    expect(second.requests.map((r) => r.path)).toHaveLength(MODELS.length);
    expect(second.requests.every(isRevisionCheck), JSON.stringify(second.requests)).toBe(true);
  });

  it("says a LoRA adapter's bias changes are ignored, before the merge", async () => {
    const { summary } = await plan('merge_method: linear\nmodels:\n  - model: tinymix-base+biased-lora\n    parameters: {weight: 1}\n'); // prettier-ignore
    expect(summary.warnings.join('\n')).toMatch(
      /^biased-lora changes the biases of 1 module\(s\) \(model\.layers\.0\.self_attn\.q_proj\) as lora_B\.bias, but adapter_config\.json does not set lora_bias/m,
    );
  });

  it('reads a model again once it has a new commit', async () => {
    await plan(recipe(1));
    // The local hub gives a folder a new commit sha when its files change.
    await writeFile(path.join(root, 'tinymix-code', 'README.md'), 'changed\n');
    const after = await plan(recipe(1));
    const reread = after.requests.filter((r) => !isRevisionCheck(r)).map((r) => r.path);
    expect(reread.length).toBeGreaterThan(0);
    expect(reread.every((p) => p.includes('tinymix-code'))).toBe(true);
  });
});
