/**
 * The merge worker's MoE build (mergeApi.buildMoe) in Node, as the page calls it: models from
 * a local hub and from opened folders (File objects), written into a picked folder (a small
 * in-memory stand-in for File System Access handles). The files must equal the CLI engine's
 * for the same config; the token never reaches them; progress is throttled; a cancelled
 * build leaves no config.json; a config the CLI refuses is refused with the CLI's message.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { startHubServer, type HubServer } from '../../server/hub-server.ts';
import { folderResolver } from '../io/node/fs-source.ts';
import { folderSink } from '../io/node/fs-sink.ts';
import { buildMoe } from '../moe/build-moe.ts';
import { loadMoeConfig } from '../moe/moe-yaml.ts';
import type { MergeProgress } from '../protocol.ts';
import { mergeApi } from './api.ts';
import { memoryFolder, opened } from './test-helpers.ts';

const CONFIG = `base_model: tinymix-base
gate_mode: cheap_embed
experts_per_token: 2
experts:
  - source_model: tinymix-code
    positive_prompts:
      - "def merge(a, b):"
      - import os
  - source_model: tinymix-math
    positive_prompts:
      - 37+45=82
    negative_prompts:
      - def
  - source_model: tinymix-law
    positive_prompts:
      - The licensee shall
`;
const TOKEN = 'hf_moetokenmoetoken';

let server: HubServer;
let reference: Map<string, Buffer>;
let refDir: string;

beforeAll(async () => {
  server = await startHubServer({ root: MODELS_DIR });
  refDir = await mkdtemp(path.join(os.tmpdir(), 'api-moe-'));
  await buildMoe({
    config: loadMoeConfig(CONFIG).config,
    configText: CONFIG,
    resolve: folderResolver(MODELS_DIR),
    sink: folderSink(refDir),
    outputName: 'moe-out',
  });
  reference = new Map(
    await Promise.all(
      (await readdir(refDir)).map(async (f) => [f, await readFile(path.join(refDir, f))] as const),
    ),
  );
});
afterAll(async () => {
  await server.close();
  await rm(refDir, { recursive: true, force: true });
});

describe('mergeApi.buildMoe', () => {
  it('builds from the hub and opened folders into a picked folder: the CLI engine’s bytes, no token', async () => {
    const { dir, files } = memoryFolder('moe-out');
    const progress: MergeProgress[] = [];
    const logs: string[] = [];
    const result = await mergeApi.buildMoe(
      {
        configText: CONFIG,
        sources: {
          local: { 'tinymix-law': await opened('tinymix-law') },
          hub: { url: server.url, token: TOKEN },
        },
        outputName: 'moe-out',
      },
      { kind: 'directory', handle: dir },
      { onProgress: (p) => progress.push(p), onLog: (l) => logs.push(l) },
    );
    expect([...files.keys()].sort()).toEqual([...reference.keys()].sort());
    for (const [name, bytes] of reference)
      expect(Buffer.from(files.get(name)!).equals(bytes), name).toBe(true);
    expect(result.files.map((f) => f.path).sort()).toEqual([...reference.keys()].sort());
    expect(result).toMatchObject({ experts: 3, layers: 4, resumedShards: 0 });
    expect(result.warnings).toContain(
      'the model has 3 experts, which is not a power of two: it will not be usable in llama.cpp',
    );
    for (const bytes of files.values()) expect(Buffer.from(bytes).includes(TOKEN)).toBe(false);
    expect(JSON.stringify({ result, logs, progress })).not.toContain(TOKEN);
    expect(progress.at(-1)?.phase).toBe('done');
    expect(progress.length).toBeLessThan(result.tensors); // throttled, not one event a tensor
    expect(progress.at(-1)?.tensorsDone).toBe(result.tensors);
  });

  it('a cancelled build stops and leaves nothing that looks like a complete model', async () => {
    const { dir, files } = memoryFolder('moe-out', new Map([['config.json', new Uint8Array([123, 125])]]));
    const ac = new AbortController();
    const run = mergeApi.buildMoe(
      { configText: CONFIG, sources: { hub: { url: server.url } }, outputName: 'moe-out' },
      { kind: 'directory', handle: dir },
      { onProgress: (p) => p.tensorsDone > 0 && ac.abort(), onLog: () => undefined },
      ac.signal,
    );
    await expect(run).rejects.toThrow();
    // An earlier model's config.json is removed before the first shard, and this one's is
    // written last: it never came. (Whether the one shard was closed before the abort depends
    // on how fast this machine built it: progress is throttled, so the first report may come
    // after the last tensor. A shard is staged until close(), as Chromium's createWritable
    // does, so it is either empty or whole, never half-written.)
    expect([...files.keys()]).not.toContain('config.json');
    const shard = files.get('model.safetensors')?.byteLength ?? 0;
    expect([0, 3783424]).toContain(shard);
  });

  it('refuses a config the CLI refuses, with its message and line', async () => {
    const { dir } = memoryFolder('moe-out');
    await expect(
      mergeApi.buildMoe(
        { configText: CONFIG.replace('gate_mode', 'gate_mdoe'), sources: {}, outputName: 'x' },
        { kind: 'directory', handle: dir },
        { onProgress: () => undefined, onLog: () => undefined },
      ),
    ).rejects.toThrow("2:1: gate_mdoe: unknown key 'gate_mdoe'");
  });
});
