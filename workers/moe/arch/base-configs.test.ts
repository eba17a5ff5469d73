/**
 * MoE outputs from base configs that leave keys out or move them (transformers v5's
 * rope_parameters, Mistral without num_key_value_heads): config.json says what the models
 * compute, and DeepSeek MoE refuses bases its remote code cannot load.
 */
import { describe, expect, it } from 'vitest';
import { encodeFromF32 } from '../../io/dtypes.ts';
import { blobModelSource } from '../../io/memory.ts';
import { folderResolver } from '../../io/node/fs-source.ts';
import { parseHeader, readHeaderLength } from '../../io/safetensors/header.ts';
import { serializeSafetensors } from '../../io/safetensors/layout.ts';
import type { ModelResolver } from '../../io/source.ts';
import { buildInMemory, TINYMIX, TINYMIX_MOE, tinymixFiles } from '../test-helpers.ts';

const MODELS = ['tinymix-base', 'tinymix-code', 'tinymix-math', 'tinymix-law', 'tinymix-code-b'];
const DEEPSEEK = `${TINYMIX_MOE}shared_experts:\n  - source_model: tinymix-base\n`;
const QWEN = `${TINYMIX_MOE}shared_experts:\n  - source_model: tinymix-base\n    positive_prompts:\n      - "Once upon a time"\n`; // prettier-ignore
const L = (l: number, s: string): string => `model.layers.${l}.${s}`;

type Config = Record<string, unknown>;

/** The build's error message, or 'built' (keeps a failure's report short). */
const outcome = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'built',
    (e: unknown) => String(e),
  );

/** The tinymix folders with each of `ids`' config.json changed by `change`. */
function withConfigs(ids: readonly string[], change: (c: Config) => void): ModelResolver {
  const folders = folderResolver(TINYMIX);
  return (m, signal) => {
    if (!ids.includes(m)) return folders(m, signal);
    const files = tinymixFiles(m);
    const c = JSON.parse(new TextDecoder().decode(files.get('config.json'))) as Config;
    change(c);
    files.set('config.json', new TextEncoder().encode(JSON.stringify(c)));
    return Promise.resolve(blobModelSource(m, files));
  };
}

describe('DeepSeek MoE outputs that the DeepSeek remote code cannot load', () => {
  it("refuses a base with Llama 3 rope_scaling (modeling_deepseek.py reads rope_scaling['type'], linear or dynamic)", async () => {
    const llama3 = withConfigs(['tinymix-base'], (c) => {
      c['rope_scaling'] = { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 512 }; // prettier-ignore
    });
    expect(await outcome(buildInMemory(DEEPSEEK, {}, llama3))).toMatch(/rope_scaling/);
  });

  it('refuses a base whose head_dim is not hidden_size / num_attention_heads (as Qwen MoE does)', async () => {
    // tinymix-base with 4 heads of 64 (hidden 128): q_proj [256, 128], k/v_proj [128, 128],
    // o_proj [128, 256], a Mistral-Nemo-like shape. DeepseekAttention takes head_dim = 128 / 4.
    const files = tinymixFiles('tinymix-base');
    const bytes = files.get('model.safetensors')!;
    const n = readHeaderLength(bytes, 'b', bytes.byteLength);
    const header = parseHeader(bytes.subarray(8, 8 + n), 'b', bytes.byteLength);
    const shapes: Record<string, number[]> = { q_proj: [256, 128], k_proj: [128, 128], v_proj: [128, 128], o_proj: [128, 256] }; // prettier-ignore
    const tensors = header.tensors.map((t) => {
      const proj = /self_attn\.(\w+)\.weight$/.exec(t.name)?.[1];
      const shape = proj ? shapes[proj] : undefined;
      if (!shape)
        return { name: t.name, dtype: t.dtype, shape: t.shape, data: bytes.subarray(t.begin, t.end) };
      const values = Float32Array.from({ length: shape[0]! * shape[1]! }, (_, i) => Math.sin(i) * 0.02);
      return { name: t.name, dtype: 'BF16' as const, shape, data: encodeFromF32(values, 'BF16') };
    });
    const c = JSON.parse(new TextDecoder().decode(files.get('config.json'))) as Config;
    files.set('config.json', new TextEncoder().encode(JSON.stringify({ ...c, head_dim: 64 })));
    files.set('model.safetensors', serializeSafetensors(tensors));
    const folders = folderResolver(TINYMIX);
    const resolve: ModelResolver = (m, signal) =>
      m === 'tinymix-base' ? Promise.resolve(blobModelSource(m, files)) : folders(m, signal);
    expect(await outcome(buildInMemory(QWEN, {}, resolve))).toMatch(/per head/); // Qwen MoE refuses it
    expect(await outcome(buildInMemory(DEEPSEEK, {}, resolve))).toMatch(/head/); // DeepSeek writes it
  });
});

describe('a base config.json saved by transformers v5 (rope_parameters, no rope_theta)', () => {
  const v5 = withConfigs(['tinymix-base'], (c) => {
    delete c['rope_theta'];
    c['rope_parameters'] = { rope_type: 'default', rope_theta: 500000.0 };
  });
  for (const [arch, text] of [
    ['Mixtral', TINYMIX_MOE],
    ['DeepSeek MoE', DEEPSEEK],
    ['Qwen MoE', QWEN],
  ] as const) {
    it(`${arch}: the written rope_theta is the base's 500000, not a default 10000`, async () => {
      const moe = await buildInMemory(text, {}, v5);
      expect(moe.result.architecture).toBe(arch);
      expect(moe.json('config.json')['rope_theta']).toBe(500000);
    });
  }
});

describe('Mistral inputs without num_key_value_heads (MistralConfig: 8)', () => {
  // tinymix as a Mistral model of 16 heads of 8: its k_proj [64, 128] holds 8 kv heads, which is
  // what transformers reads from a Mistral config.json without num_key_value_heads.
  const mistral = withConfigs(MODELS, (c) => {
    c['model_type'] = 'mistral';
    c['architectures'] = ['MistralForCausalLM'];
    c['num_attention_heads'] = 16;
    delete c['num_key_value_heads'];
  });

  it('Mixtral: config.json says 8 kv heads, as mergekit writes from MistralConfig.to_dict()', async () => {
    const moe = await buildInMemory(TINYMIX_MOE, {}, mistral);
    expect(moe.json('config.json')['num_key_value_heads']).toBe(8);
  });

  it("Qwen MoE: the zero k/v biases have the k_proj's 64 rows", async () => {
    const moe = await buildInMemory(QWEN, {}, mistral);
    expect(moe.out.tensors.get(L(0, 'self_attn.k_proj.bias'))!.shape).toEqual([64]);
  });
});
