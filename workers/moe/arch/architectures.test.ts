/**
 * DeepSeek MoE, Qwen MoE and Qwen3 MoE builds of the tinymix fixtures (Qwen3: tinymix made a
 * Qwen3 model, ../test-helpers.ts): which architecture a config and its models choose, the
 * tensors each writes (experts and shared experts byte for byte from their models, zero biases,
 * router rows that are the Mixtral build's rows for the same prompts), config.json, and what
 * each refuses.
 */
import { describe, expect, it } from 'vitest';
import { roundToBf16 } from '../../io/dtypes.ts';
import { loadModel } from '../../io/load-model.ts';
import { blobModelSource } from '../../io/memory.ts';
import { folderResolver } from '../../io/node/fs-source.ts';
import type { ModelResolver } from '../../io/source.ts';
import { buildInMemory, type BuiltMoe, convertedResolver, qwen2Files, qwen3Files, sourceBytes, sourceValues, TINYMIX, TINYMIX_MOE, tinymixFiles } from '../test-helpers.ts'; // prettier-ignore

const LAYERS = 4;
const H = 128;
const I = 352;
const L = (l: number, s: string): string => `model.layers.${l}.${s}`;
const sharedExpert = (extra = ''): string => `shared_experts:\n  - source_model: tinymix-base\n${extra}`;
const DEEPSEEK = `${TINYMIX_MOE}${sharedExpert('    residual_scale: 0.5\n')}`;
const QWEN = `${TINYMIX_MOE}${sharedExpert('    positive_prompts:\n      - "Once upon a time"\n')}`;
/** The Mixtral config with the Qwen shared expert's prompts as a fourth expert. */
const MIXTRAL_4 = `${TINYMIX_MOE}  - source_model: tinymix-base\n    positive_prompts:\n      - "Once upon a time"\n`;

const random = (t: string): string => t.replace('cheap_embed', 'random');
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

/**
 * Whether output tensor `out` is `model`'s `name`: its bytes, or for tinymix-law (stored as F16)
 * its values rounded once to the output's bfloat16.
 */
async function fromModel(moe: BuiltMoe, out: string, model: string, name: string): Promise<boolean> {
  if (model !== 'tinymix-law') return same(moe.bytes(out), await sourceBytes(model, name));
  const want = (await sourceValues(model, name)).map(roundToBf16);
  return moe.values(out).every((x, i) => x === want[i]);
}

/** The tinymix folders with `id`'s config.json (and tensors) changed. */
function withModel(
  id: string,
  change: (c: Record<string, unknown>, files: Map<string, Uint8Array>) => void,
): ModelResolver {
  const files = tinymixFiles(id);
  const config = JSON.parse(new TextDecoder().decode(files.get('config.json'))) as Record<string, unknown>;
  change(config, files);
  files.set('config.json', new TextEncoder().encode(JSON.stringify(config)));
  const folders = folderResolver(TINYMIX);
  return (m, signal) => (m === id ? Promise.resolve(blobModelSource(m, files)) : folders(m, signal));
}

describe('DeepSeek MoE', () => {
  it('is chosen for a shared expert without prompts: experts and shared expert from their models', async () => {
    const moe = await buildInMemory(DEEPSEEK);
    expect(moe.result).toMatchObject({ architecture: 'DeepSeek MoE', experts: 3, sharedExperts: 1, layers: LAYERS }); // prettier-ignore
    const names = new Set(moe.out.tensors.keys());
    expect(names.size).toBe(3 + LAYERS * (6 + 3 * 3 + 3 + 1));
    for (let l = 0; l < LAYERS; l++) {
      expect(names.has(L(l, 'mlp.gate.weight'))).toBe(true);
      expect(names.has(L(l, 'mlp.up_proj.weight'))).toBe(false);
      expect(moe.out.tensors.get(L(l, 'mlp.gate.weight'))!.shape).toEqual([3, H]);
    }
    for (const [e, m] of ['tinymix-code', 'tinymix-math', 'tinymix-law'].entries()) {
      for (const p of ['gate_proj', 'up_proj', 'down_proj'])
        expect(await fromModel(moe, L(2, `mlp.experts.${e}.${p}.weight`), m, L(2, `mlp.${p}.weight`))).toBe(
          true,
        );
    }
    expect(same(moe.bytes(L(1, 'mlp.shared_experts.up_proj.weight')), await sourceBytes('tinymix-base', L(1, 'mlp.up_proj.weight')))).toBe(true); // prettier-ignore
    // residual_scale scales the shared expert's down_proj (exact: a power of two).
    const down = await sourceValues('tinymix-base', L(1, 'mlp.down_proj.weight'));
    expect(moe.values(L(1, 'mlp.shared_experts.down_proj.weight'))).toEqual(down.map((x) => x * 0.5));
    // The routers are the Mixtral build's (same prompts, same base).
    const mixtral = await buildInMemory(TINYMIX_MOE);
    for (let l = 0; l < LAYERS; l++)
      expect(same(moe.bytes(L(l, 'mlp.gate.weight')), mixtral.bytes(L(l, 'block_sparse_moe.gate.weight')))).toBe(true); // prettier-ignore
    for (const n of ['model.embed_tokens.weight', L(3, 'self_attn.o_proj.weight'), 'lm_head.weight'])
      expect(same(moe.bytes(n), await sourceBytes('tinymix-base', n))).toBe(true);
  });

  it("writes DeepSeek's config.json and says how to load it", async () => {
    const moe = await buildInMemory(DEEPSEEK);
    const c = moe.json('config.json');
    expect(c).toMatchObject({
      architectures: ['DeepseekForCausalLM'],
      model_type: 'deepseek',
      n_routed_experts: 3,
      n_shared_experts: 1,
      num_experts_per_tok: 2,
      first_k_dense_replace: 0,
      moe_layer_freq: 1,
      scoring_func: 'softmax',
      norm_topk_prob: true,
      moe_intermediate_size: I,
      intermediate_size: I,
      torch_dtype: 'bfloat16',
      rms_norm_eps: 1e-5,
    });
    expect((c['auto_map'] as Record<string, string>)['AutoModelForCausalLM']).toMatch(
      /deepseek-moe-16b-base/,
    );
    const card = new TextDecoder().decode(moe.files.get('README.md'));
    expect(card).toMatch(/DeepSeek MoE mixture-of-experts model/);
    expect(card).toMatch(/trust_remote_code=True/);
    expect(card).toMatch(
      /### Shared expert\n\nEvery token also goes through this MLP, ungated\.\n\n0\. tinymix-base/,
    );
    const none = await buildInMemory(`architecture: deepseek\n${TINYMIX_MOE}`);
    expect(none.result).toMatchObject({ architecture: 'DeepSeek MoE', sharedExperts: 0 });
    expect(none.json('config.json')['n_shared_experts']).toBeNull();
    expect([...none.out.tensors.keys()].some((n) => n.includes('shared'))).toBe(false);
  });

  it('makes random rows for the shared expert without changing the experts rows', async () => {
    const moe = await buildInMemory(random(DEEPSEEK), { seed: 7 });
    const mixtral = await buildInMemory(random(TINYMIX_MOE), { seed: 7 });
    expect(same(moe.bytes(L(0, 'mlp.gate.weight')), mixtral.bytes(L(0, 'block_sparse_moe.gate.weight')))).toBe(true); // prettier-ignore
  });

  it('refuses biases, prompts on the shared expert and a shared expert of another shape', async () => {
    const biased = withModel('tinymix-base', (c) => (c['attention_bias'] = true));
    await expect(buildInMemory(DEEPSEEK, {}, biased)).rejects.toThrow(
      'tinymix-base has biases (attention_bias), which a DeepSeek MoE model has no place for',
    );
    // A shared expert that is no routed expert's model is read too (mergekit reads only those).
    const other = DEEPSEEK.replace(
      '  - source_model: tinymix-base\n    residual',
      '  - source_model: tinymix-code-b\n    residual',
    );
    expect((await buildInMemory(other)).files.size).toBeGreaterThan(0);
    const deeper = withModel('tinymix-code-b', (c) => (c['num_hidden_layers'] = 5));
    await expect(buildInMemory(other, {}, deeper)).rejects.toThrow(
      "tinymix-code-b has 5 layers, the base tinymix-base 4: every expert must have the base's layers",
    );
    await expect(buildInMemory(`architecture: deepseek\n${QWEN}`)).rejects.toThrow(
      /shared_experts\[0\]: DeepSeek MoE does not gate its shared expert: it takes no prompts/,
    );
  });
});

describe('Qwen MoE', () => {
  it('is chosen for a shared expert with prompts: its gate is the row its prompts make', async () => {
    const moe = await buildInMemory(QWEN);
    expect(moe.result).toMatchObject({ architecture: 'Qwen MoE', experts: 3, sharedExperts: 1 });
    const mixtral = await buildInMemory(MIXTRAL_4, { allowAllSame: true });
    for (let l = 0; l < LAYERS; l++) {
      const rows = mixtral.values(L(l, 'block_sparse_moe.gate.weight'));
      expect(moe.values(L(l, 'mlp.gate.weight'))).toEqual(rows.subarray(0, 3 * H));
      expect(moe.out.tensors.get(L(l, 'mlp.shared_expert_gate.weight'))!.shape).toEqual([1, H]);
      expect(moe.values(L(l, 'mlp.shared_expert_gate.weight'))).toEqual(rows.subarray(3 * H));
    }
    expect(await fromModel(moe, L(3, 'mlp.experts.2.down_proj.weight'), 'tinymix-law', L(3, 'mlp.down_proj.weight'))).toBe(true); // prettier-ignore
    expect(same(moe.bytes(L(3, 'mlp.shared_expert.gate_proj.weight')), await sourceBytes('tinymix-base', L(3, 'mlp.gate_proj.weight')))).toBe(true); // prettier-ignore
  });

  it('gives a base without q/k/v biases zero biases, and writes a Qwen2-MoE config.json', async () => {
    const moe = await buildInMemory(QWEN);
    for (const [p, rows] of [
      ['q', 4 * 32],
      ['k', 2 * 32],
      ['v', 2 * 32],
    ] as const) {
      const t = moe.out.tensors.get(L(2, `self_attn.${p}_proj.bias`))!;
      expect(t).toMatchObject({ shape: [rows], dtype: 'BF16' });
      expect(moe.values(L(2, `self_attn.${p}_proj.bias`)).every((x) => x === 0)).toBe(true);
    }
    expect(moe.out.tensors.has(L(2, 'self_attn.o_proj.bias'))).toBe(false);
    expect(moe.json('config.json')).toMatchObject({
      architectures: ['Qwen2MoeForCausalLM'],
      model_type: 'qwen2_moe',
      num_experts: 3,
      num_experts_per_tok: 2,
      decoder_sparse_step: 1,
      norm_topk_prob: true,
      use_sliding_window: false,
      sliding_window: null,
      moe_intermediate_size: I,
      shared_expert_intermediate_size: I,
      mlp_only_layers: [],
      torch_dtype: 'bfloat16',
    });
    const float = await buildInMemory(`dtype: float32\n${QWEN}`);
    expect(float.out.tensors.get(L(0, 'self_attn.k_proj.bias'))!.dtype).toBe('F32');
  });

  it("copies a Qwen2 base's q/k/v biases", async () => {
    const config = QWEN.replace('tinymix-math', 'tinymix-base');
    const moe = await buildInMemory(config, { allowAllSame: true }, convertedResolver(qwen2Files));
    expect(moe.result.architecture).toBe('Qwen MoE');
    const files = qwen2Files('tinymix-base');
    const src = await loadModel(blobModelSource('tinymix-base', files));
    for (const p of ['q', 'k', 'v']) {
      const t = src.tensors.get(L(1, `self_attn.${p}_proj.bias`))!;
      expect(same(moe.bytes(L(1, `self_attn.${p}_proj.bias`)), files.get(t.file)!.subarray(t.begin, t.end))).toBe(true); // prettier-ignore
    }
    expect(moe.json('config.json')['model_type']).toBe('qwen2_moe');
    // Mixtral and DeepSeek MoE take no Qwen2 model.
    await expect(buildInMemory(config.replace(/shared_experts:[^]*/, ''), { allowAllSame: true }, convertedResolver(qwen2Files))).rejects.toThrow(
      /Mixtral is built from llama or mistral models only \(model_type\), and tinymix-base is "qwen2"/,
    ); // prettier-ignore
  });

  it('refuses a missing or prompt-less shared expert, and MLP biases', async () => {
    await expect(buildInMemory(`architecture: qwen\n${DEEPSEEK}`)).rejects.toThrow(
      /Qwen MoE gates its shared expert: with gate_mode cheap_embed it needs positive_prompts/,
    );
    const unprompted = await buildInMemory(random(`architecture: qwen\n${DEEPSEEK}`));
    expect(unprompted.result.architecture).toBe('Qwen MoE');
    const biased = withModel('tinymix-base', (c) => (c['mlp_bias'] = true));
    await expect(buildInMemory(QWEN, {}, biased)).rejects.toThrow(
      'tinymix-base has biases (mlp_bias), which a Qwen MoE model has no place for',
    );
  });
});

describe('Qwen3 MoE', () => {
  const QWEN3 = TINYMIX_MOE.replace('tinymix-math', 'tinymix-base');

  it('is chosen for Qwen3 models: q_norm and k_norm from the base, experts per expert', async () => {
    const moe = await buildInMemory(QWEN3, {}, convertedResolver());
    expect(moe.result).toMatchObject({ architecture: 'Qwen3 MoE', experts: 3, sharedExperts: 0 });
    expect(moe.out.tensors.size).toBe(3 + LAYERS * (8 + 3 * 3 + 1));
    const files = qwen3Files('tinymix-base');
    const src = await loadModel(blobModelSource('tinymix-base', files));
    const stored = (n: string): Uint8Array => {
      const t = src.tensors.get(n)!;
      return files.get(t.file)!.subarray(t.begin, t.end);
    };
    expect(same(moe.bytes(L(1, 'self_attn.q_norm.weight')), stored(L(1, 'self_attn.q_norm.weight')))).toBe(
      true,
    );
    expect(same(moe.bytes(L(1, 'self_attn.k_norm.weight')), stored(L(1, 'self_attn.k_norm.weight')))).toBe(
      true,
    );
    expect(same(moe.bytes(L(2, 'mlp.experts.0.gate_proj.weight')), await sourceBytes('tinymix-code', L(2, 'mlp.gate_proj.weight')))).toBe(true); // prettier-ignore
    expect(moe.json('config.json')).toMatchObject({
      architectures: ['Qwen3MoeForCausalLM'],
      model_type: 'qwen3_moe',
      num_experts: 3,
      num_experts_per_tok: 2,
      decoder_sparse_step: 1,
      norm_topk_prob: true,
      moe_intermediate_size: I,
      head_dim: 32,
    });
  });

  it('refuses shared experts and a Llama model among Qwen3 ones', async () => {
    await expect(buildInMemory(`${QWEN3}${sharedExpert()}`, {}, convertedResolver())).rejects.toThrow(
      'DeepSeek MoE is built from llama or mistral models only (model_type), and tinymix-base is "qwen3"',
    );
    // tinymix-math stays a Llama model.
    await expect(buildInMemory(TINYMIX_MOE, {}, convertedResolver())).rejects.toThrow(
      'Qwen3 MoE is built from qwen3 models only (model_type), and tinymix-math is "llama"',
    );
  });
});
