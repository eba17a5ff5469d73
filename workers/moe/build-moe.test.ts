/**
 * A Mixtral MoE built from the tinymix fixtures: the tensor set, shapes and dtypes, config.json,
 * the files around the weights, experts byte for byte from their models, and cheap_embed routers
 * checked against a computation made here from the base's stored embeddings (the tinymix
 * tokenizer is byte-level: token id = byte value, `<s>` = 256).
 */
import { describe, expect, it } from 'vitest';
import { encodeFromF32, roundToBf16 } from '../io/dtypes.ts';
import { blobModelSource, memorySink } from '../io/memory.ts';
import { folderResolver } from '../io/node/fs-source.ts';
import type { ModelResolver } from '../io/source.ts';
import { ArchitectureError } from '../plan/architecture.ts';
import { buildMoe } from './build-moe.ts';
import { loadMoeConfig } from './moe-yaml.ts';
import {
  buildInMemory,
  sourceBytes,
  sourceValues,
  TINYMIX,
  TINYMIX_MOE,
  tinymixFiles,
} from './test-helpers.ts';

const LAYERS = 4;
const H = 128;
const I = 352;
const BOS = 256;
const EXPERTS = ['tinymix-code', 'tinymix-math', 'tinymix-law'];
const PROMPTS = [['def merge(a, b):', 'import os'], ['37+45=82'], ['The licensee shall']];

/** The normalised sum of the embedding rows of `<s>` + each prompt's bytes, computed here. */
function expectedCheapRow(embed: Float32Array, prompts: readonly string[]): Float64Array {
  const v = new Float64Array(H);
  for (const p of prompts) {
    for (const id of [BOS, ...new TextEncoder().encode(p)])
      for (let j = 0; j < H; j++) v[j]! += embed[id * H + j]!;
  }
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/** Byte equality (vitest's toEqual walks typed arrays element by element, slowly). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Expert e's tensor n in layer 2 of the output. */
const layer2Expert = (e: number, n: string): string =>
  `model.layers.2.block_sparse_moe.experts.${e}.${n}.weight`;

/** The tinymix folders, with tinymix-code's config.json changed. */
const withCodeConfig = (change: (c: Record<string, unknown>) => void): ModelResolver => {
  const files = tinymixFiles('tinymix-code');
  const config = JSON.parse(new TextDecoder().decode(files.get('config.json'))) as Record<string, unknown>;
  change(config);
  files.set('config.json', new TextEncoder().encode(JSON.stringify(config)));
  const folders = folderResolver(TINYMIX);
  return (id, signal) =>
    id === 'tinymix-code' ? Promise.resolve(blobModelSource(id, files)) : folders(id, signal);
};

describe('buildMoe (Mixtral from Llama experts)', () => {
  it('writes the Mixtral tensor set, shapes and dtypes, config.json and the side files', async () => {
    const moe = await buildInMemory(TINYMIX_MOE);
    const names = [...moe.out.tensors.keys()].sort();
    const expected = ['model.embed_tokens.weight', 'model.norm.weight', 'lm_head.weight'];
    for (let l = 0; l < LAYERS; l++) {
      const p = `model.layers.${l}.`;
      expected.push(
        ...['input_layernorm', 'post_attention_layernorm'].map((n) => `${p}${n}.weight`),
        ...['q', 'k', 'v', 'o'].map((n) => `${p}self_attn.${n}_proj.weight`),
        `${p}block_sparse_moe.gate.weight`,
        ...[0, 1, 2].flatMap((e) =>
          ['w1', 'w2', 'w3'].map((w) => `${p}block_sparse_moe.experts.${e}.${w}.weight`),
        ),
      );
    }
    expect(names).toEqual(expected.sort());
    const meta = (n: string) => moe.out.tensors.get(n)!;
    expect(meta('model.layers.2.block_sparse_moe.gate.weight').shape).toEqual([3, H]);
    expect(meta('model.layers.2.block_sparse_moe.experts.1.w1.weight').shape).toEqual([I, H]);
    expect(meta('model.layers.2.block_sparse_moe.experts.1.w2.weight').shape).toEqual([H, I]);
    expect(meta('model.layers.2.block_sparse_moe.experts.1.w3.weight').shape).toEqual([I, H]);
    // The base's torch_dtype (bfloat16) for every tensor, routers included.
    expect(new Set([...moe.out.tensors.values()].map((t) => t.dtype))).toEqual(new Set(['BF16']));

    const config = moe.json('config.json');
    const base = JSON.parse(new TextDecoder().decode(tinymixFiles('tinymix-base').get('config.json'))) as Record<string, unknown>; // prettier-ignore
    expect(config).toMatchObject({
      architectures: ['MixtralForCausalLM'],
      model_type: 'mixtral',
      num_local_experts: 3,
      num_experts_per_tok: 2,
      sliding_window: null,
      torch_dtype: 'bfloat16',
      output_router_logits: false,
      router_aux_loss_coef: 0.001,
      router_jitter_noise: 0,
    });
    for (const k of [
      'hidden_size',
      'intermediate_size',
      'num_hidden_layers',
      'num_key_value_heads',
      'rope_theta',
      'rms_norm_eps',
      'vocab_size',
      'bos_token_id',
      'tie_word_embeddings',
    ])
      // prettier-ignore
      expect(config[k], k).toEqual(base[k]);
    expect([...moe.files.keys()].sort()).toEqual(
      ['README.md', 'config.json', 'generation_config.json', 'mergekit_moe_config.yml', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'], // prettier-ignore
    );
    expect(new TextDecoder().decode(moe.files.get('mergekit_moe_config.yml'))).toBe(TINYMIX_MOE);
    expect(moe.files.get('tokenizer.json')).toEqual(tinymixFiles('tinymix-base').get('tokenizer.json'));
    expect(new TextDecoder().decode(moe.files.get('README.md'))).toMatch(/Mixtral mixture-of-experts[\s\S]*0\. tinymix-code \(2 prompts\)/); // prettier-ignore
    expect(moe.result.warnings).toEqual([
      'the model has 3 experts, which is not a power of two: it will not be usable in llama.cpp',
    ]);
  });

  it('copies attention from the base and each MLP from its expert, byte for byte', async () => {
    const moe = await buildInMemory(TINYMIX_MOE);
    for (const name of [
      'model.embed_tokens.weight',
      'lm_head.weight',
      'model.layers.3.self_attn.k_proj.weight',
      'model.layers.1.input_layernorm.weight',
    ])
      // prettier-ignore
      expect(same(moe.bytes(name), await sourceBytes('tinymix-base', name)), name).toBe(true);
    for (const l of [0, 3]) {
      for (const [e, model] of EXPERTS.entries()) {
        for (const [from, to] of [
          ['gate_proj', 'w1'],
          ['down_proj', 'w2'],
          ['up_proj', 'w3'],
        ]) {
          const out = `model.layers.${l}.block_sparse_moe.experts.${e}.${to}.weight`;
          const src = `model.layers.${l}.mlp.${from}.weight`;
          if (model !== 'tinymix-law')
            expect(same(moe.bytes(out), await sourceBytes(model, src)), out).toBe(true);
          // tinymix-law is stored as F16: its values rounded to the output's bfloat16.
          else
            expect(same(moe.bytes(out), encodeFromF32(await sourceValues(model, src), 'BF16')), out).toBe(
              true,
            );
        }
      }
    }
  });

  it("makes cheap_embed routers from the prompts' token embeddings, the same in every layer", async () => {
    const moe = await buildInMemory(TINYMIX_MOE.replace('gate_mode:', 'dtype: float32\ngate_mode:'));
    const embed = await sourceValues('tinymix-base', 'model.embed_tokens.weight');
    for (let l = 0; l < LAYERS; l++) {
      const router = moe.values(`model.layers.${l}.block_sparse_moe.gate.weight`);
      for (const [e, prompts] of PROMPTS.entries())
        expect(maxDiff(router.subarray(e * H, e * H + H), expectedCheapRow(embed, prompts))).toBeLessThan(
          1e-6,
        );
    }
    expect(moe.out.tensors.get('model.layers.0.self_attn.q_proj.weight')!.dtype).toBe('F32');
    expect(moe.json('config.json')['torch_dtype']).toBe('float32');
  });

  it("subtracts the negative prompts' direction before normalising", async () => {
    const text = TINYMIX_MOE.replace(
      '      - "37+45=82"\n',
      '      - "37+45=82"\n    negative_prompts:\n      - "def"\n',
    );
    const moe = await buildInMemory(text.replace('gate_mode:', 'dtype: float32\ngate_mode:'));
    const embed = await sourceValues('tinymix-base', 'model.embed_tokens.weight');
    const pos = expectedCheapRow(embed, ['37+45=82']);
    const neg = expectedCheapRow(embed, ['def']);
    const diff = pos.map((x, j) => x - neg[j]!);
    const n = Math.hypot(...diff);
    const router = moe.values('model.layers.1.block_sparse_moe.gate.weight');
    expect(
      maxDiff(
        router.subarray(H, 2 * H),
        diff.map((x) => x / n),
      ),
    ).toBeLessThan(1e-6);
  });

  it('scales down_proj by residual_scale and adds seeded noise_scale noise', async () => {
    const text = TINYMIX_MOE.replace('      - "37+45=82"\n', '      - "37+45=82"\n    residual_scale: 0.5\n    noise_scale: 0.01\n'); // prettier-ignore
    const a = await buildInMemory(text, { seed: 1 });
    const w2 = a.values('model.layers.2.block_sparse_moe.experts.1.w2.weight');
    const w1 = a.values('model.layers.2.block_sparse_moe.experts.1.w1.weight');
    const src2 = await sourceValues('tinymix-math', 'model.layers.2.mlp.down_proj.weight');
    const src1 = await sourceValues('tinymix-math', 'model.layers.2.mlp.gate_proj.weight');
    const noise = w1.map((x, i) => x - src1[i]!);
    const std = Math.sqrt(noise.reduce((s, x) => s + x * x, 0) / noise.length);
    expect(std).toBeGreaterThan(0.009);
    expect(std).toBeLessThan(0.011);
    // (src + noise) * 0.5: within the noise (x 0.5) and bfloat16 rounding of the source.
    const residual = w2.map((x, i) => x - src2[i]! * 0.5);
    const rstd = Math.sqrt(residual.reduce((s, x) => s + x * x, 0) / residual.length);
    expect(rstd).toBeGreaterThan(0.0045);
    expect(rstd).toBeLessThan(0.0055);
    // Other experts untouched; the same seed gives the same bytes, another seed other noise.
    expect(
      same(
        a.bytes(layer2Expert(0, 'w2')),
        await sourceBytes('tinymix-code', 'model.layers.2.mlp.down_proj.weight'),
      ),
    ).toBe(true);
    const again = await buildInMemory(text, { seed: 1 });
    expect(same(again.bytes(layer2Expert(1, 'w1')), a.bytes(layer2Expert(1, 'w1')))).toBe(true);
    const other = await buildInMemory(text, { seed: 2 });
    expect(same(other.bytes(layer2Expert(1, 'w1')), a.bytes(layer2Expert(1, 'w1')))).toBe(false);
  });

  it('residual_scale alone is the down_proj times the factor, rounded once', async () => {
    const text = TINYMIX_MOE.replace('      - "37+45=82"\n', '      - "37+45=82"\n    residual_scale: 0.3\n');
    const moe = await buildInMemory(text);
    const src = await sourceValues('tinymix-math', 'model.layers.0.mlp.down_proj.weight');
    const w2 = moe.values('model.layers.0.block_sparse_moe.experts.1.w2.weight');
    expect(
      maxDiff(
        w2,
        src.map((x) => roundToBf16(x * 0.3)),
      ),
    ).toBe(0);
    expect(same(moe.bytes('model.layers.0.block_sparse_moe.experts.1.w1.weight'), await sourceBytes('tinymix-math', 'model.layers.0.mlp.gate_proj.weight'))).toBe(true); // prettier-ignore
  });

  it('splits into shards with an index', async () => {
    const moe = await buildInMemory(TINYMIX_MOE, { maxShardBytes: 1_000_000 });
    const index = moe.json('model.safetensors.index.json') as { weight_map: Record<string, string> };
    expect(Object.keys(index.weight_map).sort()).toEqual([...moe.out.tensors.keys()].sort());
    expect(moe.result.files.filter((f) => f.path.endsWith('.safetensors')).length).toBe(4);
  });

  it('resumes an interrupted build, keeping the shards it finished', async () => {
    const sink = memorySink();
    const { config } = loadMoeConfig(TINYMIX_MOE);
    const job = {
      config,
      configText: TINYMIX_MOE,
      resolve: folderResolver(TINYMIX),
      maxShardBytes: 1_000_000,
    };
    const failing = {
      ...sink,
      createFile: (p: string, size: number) =>
        p.startsWith('model-00003') ? Promise.reject(new Error('disk full')) : sink.createFile(p, size),
    };
    await expect(buildMoe({ ...job, sink: failing })).rejects.toThrow('disk full');
    expect(sink.files.has('config.json')).toBe(false);
    const first = sink.files.get('model-00001-of-00004.safetensors');
    const result = await buildMoe({ ...job, sink });
    expect(result.resumedShards).toBe(2);
    expect(sink.files.get('model-00001-of-00004.safetensors')).toBe(first); // kept, not written again
    const fresh = await buildInMemory(TINYMIX_MOE, { maxShardBytes: 1_000_000 });
    for (const [f, bytes] of fresh.files)
      if (f.endsWith('.safetensors')) expect(same(sink.files.get(f)!, bytes), f).toBe(true);
    expect(sink.files.has('.merge-studio-job.json')).toBe(false);
  });

  it('refuses input models a Mixtral cannot be built from', async () => {
    const qwen = withCodeConfig((c) => (c['model_type'] = 'qwen2'));
    await expect(buildInMemory(TINYMIX_MOE, {}, qwen)).rejects.toThrow(
      'no MoE output architecture can be built from these models and this config: ' +
        'Mixtral is built from llama or mistral models only (model_type), and tinymix-code is "qwen2"; ' +
        'DeepSeek MoE is built from llama or mistral models only (model_type), and tinymix-code is "qwen2"; ' +
        'Qwen MoE needs exactly one shared expert (found 0); ' +
        'Qwen3 MoE is built from qwen3 models only (model_type), and tinymix-base is "llama"',
    );
    const mistral = withCodeConfig((c) => (c['model_type'] = 'mistral'));
    await expect(buildInMemory(TINYMIX_MOE, {}, mistral)).rejects.toThrow(
      'Mixtral needs input models of one architecture, and tinymix-code is mistral while the base tinymix-base is llama',
    );
    const biased = withCodeConfig((c) => (c['mlp_bias'] = true));
    await expect(buildInMemory(TINYMIX_MOE, {}, biased)).rejects.toThrow(
      'tinymix-code has biases (mlp_bias), which a Mixtral model has no place for',
    );
    const deeper = withCodeConfig((c) => (c['num_hidden_layers'] = 5));
    await expect(buildInMemory(TINYMIX_MOE, {}, deeper)).rejects.toThrow(ArchitectureError);
  });
});
