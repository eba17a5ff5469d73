/**
 * Models stored as PyTorch checkpoints (pytorch_model.bin, written by real torch.save: one
 * ZIP-format file, two shards with an index, a legacy-format file) merge to the same bytes as
 * the same models stored as safetensors, for methods that read every tensor in their own ways;
 * a PEFT adapter_model.bin applies as its adapter_model.safetensors does.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { startHubServer, type RequestLogEntry } from '../../server/hub-server.ts';
import { hubResolver } from '../io/hub/hub-resolver.ts';
import { folderModelSource } from '../io/node/fs-source.ts';
import type { ModelResolver } from '../io/source.ts';
import { mergeInMemory } from './test-helpers.ts';

const BIN_DIR = path.join(MODELS_DIR, '../torch-bin');
const AS_BIN: Readonly<Record<string, string>> = {
  'tinymix-code': 'tinymix-code',
  'tinymix-math': 'tinymix-math',
  'tinymix-law': 'tinymix-law-legacy',
};

const LORAS: Readonly<Record<string, string>> = {
  'lora-st': 'tinymix-code-lora',
  'lora-bin': 'tinymix-code-lora-bin',
};

const safetensors: ModelResolver = async (id) =>
  folderModelSource(id, LORAS[id] ? path.join(BIN_DIR, LORAS[id]) : path.join(MODELS_DIR, id));
const torchBin: ModelResolver = async (id) =>
  AS_BIN[id] ? folderModelSource(id, path.join(BIN_DIR, AS_BIN[id])) : safetensors(id);

const RECIPES: Readonly<Record<string, string>> = {
  ties: `merge_method: ties
base_model: tinymix-base
models:
  - model: tinymix-code
    parameters: {weight: 0.5, density: 0.5}
  - model: tinymix-math
    parameters: {weight: 0.3, density: 0.7}
  - model: tinymix-law
    parameters: {weight: 0.4, density: 0.4}
dtype: bfloat16
`,
  slerp: `merge_method: slerp
base_model: tinymix-law
models: [{model: tinymix-law}, {model: tinymix-math}]
parameters: {t: [0, 0.3, 0.8, 1]}
`,
  passthrough: `merge_method: passthrough
slices:
  - sources: [{model: tinymix-code, layer_range: [0, 3]}]
  - sources: [{model: tinymix-math, layer_range: [1, 4]}]
`,
};

describe('merging pytorch_model.bin inputs', () => {
  it.each(Object.keys(RECIPES))('%s: the same files as from safetensors', async (method) => {
    const text = RECIPES[method]!;
    const fromBin = await mergeInMemory(text, torchBin);
    const fromSt = await mergeInMemory(text, safetensors);
    expect([...fromBin.files.keys()].sort()).toEqual([...fromSt.files.keys()].sort());
    for (const [name, bytes] of fromSt.files) {
      expect(Buffer.from(fromBin.files.get(name)!).equals(Buffer.from(bytes)), name).toBe(true);
    }
    expect(fromBin.out.tensors.size).toBeGreaterThan(20);
  });
});

describe('pytorch_model.bin from the local hub', () => {
  const closing: (() => Promise<void>)[] = [];
  afterAll(() => Promise.all(closing.map((c) => c())));

  it("merges to the same bytes, reading only the checkpoints' pickles and tensors by range", async () => {
    const requests: RequestLogEntry[] = [];
    const server = await startHubServer({ root: BIN_DIR, onRequest: (r) => requests.push(r) });
    closing.push(() => server.close());
    const hub = hubResolver({ hubUrl: server.url });
    const viaHub: ModelResolver = async (id, signal) =>
      id === 'tinymix-law'
        ? hub('tinymix-law-legacy', signal)
        : AS_BIN[id]
          ? hub(id, signal)
          : safetensors(id);
    const text = RECIPES.ties!;
    const fromHub = await mergeInMemory(text, viaHub);
    const fromSt = await mergeInMemory(text, safetensors);
    for (const [name, bytes] of fromSt.files) {
      if (name === 'README.md' || name === 'mergekit_config.yml') continue; // name the legacy repo
      expect(Buffer.from(fromHub.files.get(name)!).equals(Buffer.from(bytes)), name).toBe(true);
    }
    const binReads = requests.filter((r) => r.path.endsWith('.bin'));
    expect(binReads.length).toBeGreaterThan(0);
    expect(binReads.every((r) => r.range !== undefined && r.status === 206)).toBe(true);
  });
});

const loraRecipe = (lora: string): string => `merge_method: task_arithmetic
base_model: tinymix-base
models:
  - model: tinymix-base+${lora}
    parameters: {weight: 0.7}
  - model: tinymix-math
    parameters: {weight: 0.3}
dtype: bfloat16
`;

describe('a PEFT adapter_model.bin', () => {
  it('merges onto its base as its adapter_model.safetensors does', async () => {
    const fromBin = await mergeInMemory(loraRecipe('lora-bin'), torchBin);
    const fromSt = await mergeInMemory(loraRecipe('lora-st'), torchBin);
    const plain = await mergeInMemory(loraRecipe('lora-st').replace('+lora-st', ''), torchBin);
    let changed = 0;
    for (const [name] of fromSt.out.tensors) {
      expect(Buffer.from(fromBin.bytes(name)).equals(Buffer.from(fromSt.bytes(name))), name).toBe(true);
      if (!Buffer.from(plain.bytes(name)).equals(Buffer.from(fromSt.bytes(name)))) changed++;
    }
    expect(changed).toBeGreaterThan(20);
  });
});
