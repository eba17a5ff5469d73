/**
 * The merge worker's LoRA extraction (mergeApi.extractLora) and its preview (mergeApi.planLora)
 * in Node, as the page calls them: tinymix-code from a local hub, tinymix-base from an opened
 * folder (File objects), written into a picked folder (an in-memory stand-in). The files must
 * be the CLI's (`merge-studio extract-lora --models test-data/tinymix ...`) for the same
 * options, the model card's command line aside, which is the command that writes the studio's
 * files; the token reaches nothing; progress is throttled; a cancelled run leaves no
 * adapter_config.json (an earlier one is removed); the preview counts what the run writes from
 * headers alone, and refuses a bad pattern with the CLI's message.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { extractLoraCommand } from '../../cli/commands/extract-lora.ts';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { startHubServer, type HubServer, type RequestLogEntry } from '../../server/hub-server.ts';
import type { ExtractProgress } from '../lora-extract/extract-progress.ts';
import { DEFAULTS } from '../lora-extract/test-helpers.ts';
import { mergeApi } from './api.ts';
import type { LoraExtractOptions, LoraExtractRequest } from './requests.ts';
import { memoryFolder, opened } from './test-helpers.ts';

const TOKEN = 'hf_loratokenloratoken';
const RANK8: LoraExtractOptions = { ...DEFAULTS, maxRank: 8 };
/** The non-streaming path (ranks known only after each SVD), with a pattern that needs quoting. */
const EPSILON: LoraExtractOptions = {
  ...DEFAULTS,
  maxRank: 16,
  svEpsilon: 0.05,
  distributeScale: false,
  embedLora: true,
  excludeRegexes: ['layers\\.[12]\\.mlp'],
};

let server: HubServer;
const log: RequestLogEntry[] = [];
let tmp: string;
/** The CLI's files for RANK8 and EPSILON. */
const cli = new Map<string, Map<string, Buffer>>();

async function runCli(name: string, extra: string[]): Promise<void> {
  const out = path.join(tmp, name);
  // Quiet: the CLI's lines are not what this test reads.
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true),
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true),
  ];
  try {
    await extractLoraCommand(['--models', MODELS_DIR, '--model', 'tinymix-code', '--base', 'tinymix-base', '--out', out, ...extra]); // prettier-ignore
  } finally {
    for (const s of spies) s.mockRestore();
  }
  const files = new Map<string, Buffer>();
  for (const f of await readdir(out)) files.set(f, await readFile(path.join(out, f)));
  cli.set(name, files);
}

beforeAll(async () => {
  server = await startHubServer({ root: MODELS_DIR, onRequest: (e) => log.push(e) });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'api-lora-'));
  await runCli('code-lora', ['--max-rank', '8']);
  await runCli('eps-lora', ['--max-rank', '16', '--sv-epsilon', '0.05', '--no-distribute-scale', '--embed-lora', '-e', 'layers\\.[12]\\.mlp']); // prettier-ignore
});
afterAll(async () => {
  await server.close();
  await rm(tmp, { recursive: true, force: true });
});

async function request(options: LoraExtractOptions, outputName: string): Promise<LoraExtractRequest> {
  return {
    model: 'tinymix-code',
    base: 'tinymix-base',
    options,
    sources: {
      local: { 'tinymix-base': await opened('tinymix-base') },
      hub: { url: server.url, token: TOKEN },
    },
    outputName,
  };
}

/** The card's command line: the line after the opening ```sh fence. */
const commandOf = (card: string): string => card.split('\n')[card.split('\n').indexOf('```sh') + 1]!;

async function extractInto(options: LoraExtractOptions, name: string) {
  const { dir, files } = memoryFolder(name);
  const progress: ExtractProgress[] = [];
  const logs: string[] = [];
  const result = await mergeApi.extractLora(
    await request(options, name),
    { kind: 'directory', handle: dir },
    { onProgress: (p) => progress.push(p), onLog: (l) => logs.push(l) },
  );
  return { files, progress, logs, result };
}

describe('mergeApi.extractLora', () => {
  it('writes the CLI’s adapter into a picked folder; the card names the command that writes these files', async () => {
    const { files, progress, logs, result } = await extractInto(RANK8, 'code-lora');
    const reference = cli.get('code-lora')!;
    expect([...files.keys()].sort()).toEqual([...reference.keys()].sort());
    for (const name of ['adapter_model.safetensors', 'adapter_config.json'])
      expect(Buffer.from(files.get(name)!).equals(reference.get(name)!), name).toBe(true);
    const invocation = `merge-studio extract-lora --model tinymix-code --base tinymix-base --out code-lora --max-rank 8 --hub-url ${server.url}`;
    expect(result.invocation).toBe(invocation);
    const card = new TextDecoder().decode(files.get('README.md'));
    const cliCard = reference.get('README.md')!.toString('utf8');
    expect(card).toBe(cliCard.replace(commandOf(cliCard), invocation));

    expect(result.files.map((f) => f.path).sort()).toEqual([...reference.keys()].sort());
    for (const f of result.files) expect(f.size, f.path).toBe(files.get(f.path)!.byteLength);
    expect(result).toMatchObject({ rank: 8, biasDeltas: false, emptyModules: [] });
    expect(result.modules).toHaveLength(28);
    expect(result.modules.every((m) => m.rank === 8)).toBe(true);
    expect(result.modulesToSave).toEqual(['lm_head', 'embed_tokens', 'input_layernorm', 'post_attention_layernorm', 'norm']); // prettier-ignore

    for (const bytes of files.values()) expect(Buffer.from(bytes).includes(TOKEN)).toBe(false);
    expect(JSON.stringify({ result, logs, progress })).not.toContain(TOKEN);
    expect(logs.some((l) => /^\[28\/28\] model\.\S+ \d+x\d+: rank 8 \(exact\)/.test(l))).toBe(true);
    expect(progress[0]).toMatchObject({ phase: 'extracting', modulesDone: 0, modulesTotal: 28 });
    expect(progress.at(-1)).toMatchObject({ phase: 'done', modulesDone: 28, modulesTotal: 28 });
    // Throttled: within a phase, at most one event per 100 ms.
    for (let i = 1; i < progress.length; i++)
      if (progress[i]!.phase === progress[i - 1]!.phase)
        expect(progress[i]!.elapsedMs - progress[i - 1]!.elapsedMs).toBeGreaterThanOrEqual(100);
  });

  it('with --sv-epsilon, --embed-lora, a pattern and no scale distribution: the CLI’s bytes too', async () => {
    const { files, result } = await extractInto(EPSILON, 'eps-lora');
    const reference = cli.get('eps-lora')!;
    for (const name of ['adapter_model.safetensors', 'adapter_config.json'])
      expect(Buffer.from(files.get(name)!).equals(reference.get(name)!), name).toBe(true);
    expect(result.invocation).toBe(
      `merge-studio extract-lora --model tinymix-code --base tinymix-base --out eps-lora --max-rank 16 --sv-epsilon 0.05 --no-distribute-scale --embed-lora --exclude-regex 'layers\\.[12]\\.mlp' --hub-url ${server.url}`,
    );
    const cliCard = reference.get('README.md')!.toString('utf8');
    expect(new TextDecoder().decode(files.get('README.md'))).toBe(
      cliCard.replace(commandOf(cliCard), result.invocation),
    );
  });

  it('a cancelled run stops and leaves no adapter_config.json, not even an earlier one', async () => {
    const earlier = new Map([['adapter_config.json', new TextEncoder().encode('{"r": 4}')]]);
    const { dir, files } = memoryFolder('code-lora', earlier);
    const ac = new AbortController();
    const run = mergeApi.extractLora(
      await request(RANK8, 'code-lora'),
      { kind: 'directory', handle: dir },
      // Once the first module is decomposed (its log line is not throttled, as progress is).
      { onProgress: () => undefined, onLog: (l) => l.startsWith('[1/28] ') && ac.abort() },
      ac.signal,
    );
    await expect(run).rejects.toThrow();
    expect([...files.keys()]).not.toContain('adapter_config.json');
    // The weights are staged until close(), as Chromium's createWritable does: at most empty.
    expect(files.get('adapter_model.safetensors')?.byteLength ?? 0).toBe(0);
  });
});

/**
 * Whether a request read no more than a header's prefix: a Range from byte 0 of at most the
 * 256 KiB a header read asks for at once (io/load-model.ts), not the rest of the model.
 */
function headerRead(r: RequestLogEntry): boolean {
  const m = /^bytes=0-(\d+)$/.exec(r.range ?? '');
  return m !== null && Number(m[1]) < 256 * 1024;
}

/** A preview of tinymix-code over tinymix-base (the token given), and the requests it made. */
async function plan(options: LoraExtractOptions, signal?: AbortSignal) {
  const { outputName: _name, ...r } = await request(options, 'x');
  const from = log.length;
  const summary = await mergeApi.planLora(r, signal);
  return { summary, requests: log.slice(from) };
}

describe('mergeApi.planLora', () => {
  it('counts what the run writes, from headers alone: the adapter’s exact size', async () => {
    const { summary, requests } = await plan({ ...RANK8, skipUndecomposable: true, includeRegexes: ['self_attn', 'lm_head'] }); // prettier-ignore
    expect(summary.decomposed.count).toBe(16);
    expect(summary.decomposed.sample).toHaveLength(8);
    expect(summary.decomposed.sample[0]).toEqual({ module: 'model.layers.0.self_attn.k_proj', rows: 64, cols: 128, rank: 8, embedding: false }); // prettier-ignore
    // The embeddings and the head are saved whole (no --embed-lora), whatever -i says.
    expect(summary.whole).toEqual({ count: 2, sample: [{ module: 'lm_head', why: 'embedding' }, { module: 'model.embed_tokens', why: 'embedding' }] }); // prettier-ignore
    expect(summary.leftOut.count).toBe(4 * 3 + 4 * 2 + 1);
    // -i is asked before --skip-undecomposable: the norms are left out as not selected.
    expect(summary.leftOut.sample.slice(0, 2)).toEqual([{ module: 'model.layers.0.input_layernorm', why: 'pattern' }, { module: 'model.layers.0.mlp.down_proj', why: 'pattern' }]); // prettier-ignore
    expect(summary).toMatchObject({ rank: 8, upperBound: false, biasDeltas: 0, modulesToSave: ['lm_head', 'embed_tokens'] }); // prettier-ignore
    const weights = requests.filter((r) => r.path.endsWith('.safetensors'));
    expect(weights.length).toBeGreaterThan(0);
    expect(weights.every(headerRead), JSON.stringify(weights)).toBe(true);
    expect(JSON.stringify(summary)).not.toContain(TOKEN);

    const full = await plan(RANK8);
    expect(full.summary.decomposed.count).toBe(28);
    expect(full.summary.whole.count).toBe(11);
    expect(full.summary.adapterBytes).toBe(
      cli.get('code-lora')!.get('adapter_model.safetensors')!.byteLength,
    );
  });

  it('with --sv-epsilon the size is an upper bound; --skip-undecomposable leaves the norms out', async () => {
    const bound = (await plan(EPSILON)).summary;
    expect(bound.upperBound).toBe(true);
    expect(bound.adapterBytes).toBeGreaterThanOrEqual(cli.get('eps-lora')!.get('adapter_model.safetensors')!.byteLength); // prettier-ignore
    const { summary } = await plan({ ...EPSILON, skipUndecomposable: true });
    expect(summary.leftOut.sample.filter((m) => m.why === 'undecomposable').map((m) => m.module)).toContain('model.layers.0.input_layernorm'); // prettier-ignore
    expect(summary.notes.some((n) => n.startsWith('skipped (not a 2-D weight'))).toBe(true);
  });

  it('refuses a bad pattern and an unknown --save-module with the CLI’s messages; stops on its signal', async () => {
    await expect(plan({ ...RANK8, includeRegexes: ['self_attn', '(q_proj'] })).rejects.toThrow(
      /^--include-regex '\(q_proj' is not a regular expression: /,
    );
    await expect(plan({ ...RANK8, saveModules: ['attention'] })).rejects.toThrow(
      /^--save-module attention: tinymix-code has no module named so/,
    );
    const ac = new AbortController();
    ac.abort();
    await expect(plan(RANK8, ac.signal)).rejects.toThrow();
  });
});
