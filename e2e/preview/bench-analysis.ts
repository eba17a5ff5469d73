/**
 * `npx tsx e2e/preview/bench-analysis.ts [--layers 32] [--max-mb 256]`: the per-layer analysis
 * of a bigger model than tinymix, read over HTTP from the local hub exactly as the preview
 * worker reads it (same engine code, in Node). Writes three synthetic Llama-shaped BF16 models
 * (hidden 512, MLP 1408, 32 layers, vocab 32000: about 245 MB each; two "fine-tunes" are the
 * base plus independent noise of a tenth of its scale) and prints what the analysis read (layers,
 * share of rows, bytes, requests) and how long it took, at the default budget and at 16 MB.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startHubServer } from '../../server/hub-server.ts';
import { analyzeRecipe } from '../../workers/analysis/analyze.ts';
import { encodeFromF32 } from '../../workers/io/dtypes.ts';
import { hubResolver } from '../../workers/io/hub/hub-resolver.ts';
import { planSafetensorsFile } from '../../workers/io/safetensors/layout.ts';
import { mix32 } from '../../workers/rng.ts';

const { values } = parseArgs({ options: { layers: { type: 'string', default: '32' } } });
const LAYERS = Number(values.layers);
const [HIDDEN, MLP, KV, VOCAB] = [512, 1408, 128, 32000];

function specs(): { name: string; shape: number[] }[] {
  const t = [
    { name: 'model.embed_tokens.weight', shape: [VOCAB, HIDDEN] },
    { name: 'lm_head.weight', shape: [VOCAB, HIDDEN] },
    { name: 'model.norm.weight', shape: [HIDDEN] },
  ];
  for (let i = 0; i < LAYERS; i++) {
    const p = `model.layers.${i}.`;
    t.push(
      { name: `${p}input_layernorm.weight`, shape: [HIDDEN] },
      { name: `${p}post_attention_layernorm.weight`, shape: [HIDDEN] },
      { name: `${p}self_attn.q_proj.weight`, shape: [HIDDEN, HIDDEN] },
      { name: `${p}self_attn.k_proj.weight`, shape: [KV, HIDDEN] },
      { name: `${p}self_attn.v_proj.weight`, shape: [KV, HIDDEN] },
      { name: `${p}self_attn.o_proj.weight`, shape: [HIDDEN, HIDDEN] },
      { name: `${p}mlp.gate_proj.weight`, shape: [MLP, HIDDEN] },
      { name: `${p}mlp.up_proj.weight`, shape: [MLP, HIDDEN] },
      { name: `${p}mlp.down_proj.weight`, shape: [HIDDEN, MLP] },
    );
  }
  return t.sort((a, b) => (a.name < b.name ? -1 : 1));
}

const u = (x: number): number => (mix32(x) & 0xffff) / 65536 - 0.5;

async function writeModel(dir: string, seed: number): Promise<number> {
  await mkdir(dir, { recursive: true });
  const layout = planSafetensorsFile(specs().map((s) => ({ ...s, dtype: 'BF16' as const })));
  const out = createWriteStream(path.join(dir, 'model.safetensors'));
  const write = (b: Uint8Array) => new Promise<void>((res, rej) => out.write(b, (e) => (e ? rej(e) : res())));
  await write(layout.header);
  for (const e of layout.entries) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    const f = new Float32Array(n);
    const salt = mix32(e.offset);
    for (let i = 0; i < n; i++)
      f[i] = 0.08 * u(i ^ salt) + (seed === 0 ? 0 : 0.008 * u(i ^ salt ^ mix32(seed)));
    await write(encodeFromF32(f, 'BF16'));
  }
  await new Promise<void>((res) => out.end(res));
  const config = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: HIDDEN,
    intermediate_size: MLP,
    num_hidden_layers: LAYERS,
    num_attention_heads: 8,
    num_key_value_heads: 2,
    vocab_size: VOCAB,
  };
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
  return layout.totalSize;
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-analysis-'));
try {
  const sizes = await Promise.all(['base', 'ft1', 'ft2'].map((m, i) => writeModel(path.join(dir, m), i)));
  console.log(
    `3 models of ${(sizes[0]! / 1e6).toFixed(0)} MB, ${LAYERS} layers (load ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} cores)`,
  );
  const hub = await startHubServer({ root: dir, port: 0 });
  try {
    const recipe = {
      merge_method: 'ties',
      base_model: 'base',
      models: [
        { model: 'ft1', parameters: { weight: 0.5, density: 0.4 } },
        { model: 'ft2', parameters: { weight: 0.5, density: 0.4 } },
      ],
    };
    for (const maxMb of [undefined, 16]) {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const r = await analyzeRecipe(recipe, hubResolver({ hubUrl: hub.url }), {
        ...(maxMb !== undefined && { maxBytes: maxMb * 1e6 }),
      });
      const cpu = process.cpuUsage(cpu0);
      console.log(
        `budget ${maxMb ?? 256} MB: layers ${r.layers.join(',')} of ${r.numLayers}, ${(r.rowFraction * 100).toFixed(1)}% of rows; ` +
          `read ${(r.bytesRead / 1e6).toFixed(1)} MB of ${(r.bytesAllLayers / 1e6).toFixed(0)} MB in ${r.requests} requests; ` +
          `${((performance.now() - t0) / 1000).toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU; ` +
          `mean cosine ${mean(r.tensors.map((t) => t.metrics.cosine ?? 0)).toFixed(4)}, ` +
          `mean relNorm ${mean(r.tensors.map((t) => t.metrics.relNorm ?? 0)).toFixed(4)}, ` +
          `warnings: ${r.warnings.map((w) => w.kind).join(', ') || 'none'}`,
      );
    }
  } finally {
    await hub.close();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}
