import { describe, expect, it } from 'vitest';
import { EvalInputError, UnsupportedModelError } from '../errors.ts';
import { MODEL_NAMES, REFERENCE_LOGITS, tinymix, variant } from '../test-helpers.ts';
import { Decoder } from './decoder.ts';
import type { ModelWeights } from './weights.ts';

const REF = REFERENCE_LOGITS.base;

function lastLogits(d: Decoder, ids: readonly number[]): Float32Array {
  const hidden = d.forward(ids, 1, ids.length);
  return d.logits(hidden.subarray((ids.length - 1) * d.config.hidden), 1).slice();
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const zeros = (n: number): { shape: number[]; data: Float32Array } => ({
  shape: [n],
  data: new Float32Array(n),
});

const small = (w: ModelWeights, backend: 'auto' | 'js' = 'auto'): Decoder =>
  Decoder.create(w, { maxRows: 64, context: 64, backend });

describe('Decoder forward pass', () => {
  for (const name of MODEL_NAMES) {
    it(`matches the reference logits of tinymix-${name} (last position)`, async () => {
      const { weights } = await tinymix(name);
      const ref = REFERENCE_LOGITS[name];
      const d = small(weights);
      expect(d.matmul.kind).toBe('wasm-simd');
      expect(maxDiff(lastLogits(d, ref.input_ids), ref.last_logits)).toBeLessThan(1e-4);
    });
  }

  it('gives the same logits with the plain-JS kernels', async () => {
    const d = small((await tinymix('base')).weights, 'js');
    expect(d.matmul.kind).toBe('js');
    expect(maxDiff(lastLogits(d, REF.input_ids), REF.last_logits)).toBeLessThan(1e-4);
  });

  it('gives the same logits through the KV cache, in chunks or one token at a time', async () => {
    const { weights } = await tinymix('base');
    const d = Decoder.create(weights, { maxRows: 16, context: 64, cache: true });
    const ids = REF.input_ids;
    let hidden: Float32Array = new Float32Array();
    for (let p = 0; p < ids.length; p += 16) {
      const chunk = ids.slice(p, p + 16);
      hidden = d.forward(chunk, 1, chunk.length).subarray((chunk.length - 1) * 128);
    }
    expect(d.cacheLength).toBe(ids.length);
    expect(maxDiff(d.logits(hidden, 1), REF.last_logits)).toBeLessThan(1e-4);
    d.resetCache();
    for (const id of ids) hidden = d.forward([id], 1, 1);
    expect(maxDiff(d.logits(hidden, 1), REF.last_logits)).toBeLessThan(1e-4);
    expect(() => d.forward(ids, 1, ids.length)).toThrow(EvalInputError); // 35 + 35 > 64 positions
  });

  it('evaluates several sequences at once as if one by one', async () => {
    const { weights } = await tinymix('code');
    const d = Decoder.create(weights, { maxRows: 64, context: 32 });
    const a = REF.input_ids.slice(0, 32);
    const b = REF.input_ids.slice(3, 35);
    const both = d.forward([...a, ...b], 2, 32).slice();
    const alone = [a, b].map((s) => d.forward(s, 1, 32).slice());
    expect(maxDiff(both.subarray(0, 32 * 128), alone[0]!)).toBe(0);
    expect(maxDiff(both.subarray(32 * 128), alone[1]!)).toBe(0);
  });

  it('ties the output head to the embeddings when lm_head is absent or tie_word_embeddings is set', async () => {
    const { weights } = await tinymix('base');
    const embed = weights.weights.get('model.embed_tokens.weight')!;
    const explicit = lastLogits(small(variant(weights, { set: { 'lm_head.weight': embed } })), REF.input_ids);
    const absent = lastLogits(small(variant(weights, { remove: ['lm_head.weight'] })), REF.input_ids);
    const flagged = lastLogits(
      small(variant(weights, { config: { tie_word_embeddings: true } })),
      REF.input_ids,
    );
    expect(maxDiff(absent, explicit)).toBe(0);
    expect(maxDiff(flagged, explicit)).toBe(0); // the stored lm_head is ignored
    expect(maxDiff(explicit, REF.last_logits)).toBeGreaterThan(0.1);
  });

  it('adds Qwen2 q/k/v biases: a value bias c equals an output bias W_o c', async () => {
    const { weights } = await tinymix('base');
    const c = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) / 4); // one value per kv dim
    const qwen = variant(weights, {
      config: { architectures: ['Qwen2ForCausalLM'] },
      set: {
        'model.layers.0.self_attn.q_proj.bias': zeros(128),
        'model.layers.0.self_attn.k_proj.bias': zeros(64),
        'model.layers.0.self_attn.v_proj.bias': { shape: [64], data: c },
        ...Object.fromEntries(
          [1, 2, 3].flatMap((l) => [
            [`model.layers.${l}.self_attn.q_proj.bias`, zeros(128)],
            [`model.layers.${l}.self_attn.k_proj.bias`, zeros(64)],
            [`model.layers.${l}.self_attn.v_proj.bias`, zeros(64)],
          ]),
        ),
      },
    });
    // Softmax weights sum to 1, so head h's output shifts by c's slice of its kv head (h >> 1).
    const wo = weights.weights.get('model.layers.0.self_attn.o_proj.weight')!.data;
    const shift = Float32Array.from({ length: 128 }, (_, j) => c[(j >> 6) * 32 + (j % 32)]!);
    const oBias = Float32Array.from({ length: 128 }, (_, r) =>
      shift.reduce((s, x, k) => s + x * wo[r * 128 + k]!, 0),
    );
    const llama = variant(weights, {
      set: Object.fromEntries(
        [0, 1, 2, 3].map((l) => [
          `model.layers.${l}.self_attn.o_proj.bias`,
          l === 0 ? { shape: [128], data: oBias } : zeros(128),
        ]),
      ),
    });
    const a = lastLogits(small(qwen), REF.input_ids);
    expect(maxDiff(a, lastLogits(small(llama), REF.input_ids))).toBeLessThan(1e-4);
    expect(maxDiff(a, REF.last_logits)).toBeGreaterThan(0.01);
  });

  it('refuses missing, misshapen and unknown tensors, and token ids outside the vocabulary', async () => {
    const { weights } = await tinymix('base');
    const q = 'model.layers.2.self_attn.q_proj.weight';
    expect(() => small(variant(weights, { remove: [q] }))).toThrow(
      /has no tensor model.layers.2.self_attn.q_proj.weight/,
    );
    expect(() =>
      small(variant(weights, { set: { [q]: { shape: [128, 64], data: new Float32Array(8192) } } })),
    ).toThrow(/has shape \[128, 64\] but config.json implies \[128, 128\]/);
    const extra = { 'model.layers.0.self_attn.q_norm.weight': { shape: [32], data: new Float32Array(32) } };
    expect(() => small(variant(weights, { set: extra }))).toThrow(UnsupportedModelError);
    expect(() => small(weights).forward([1, 2, 260], 1, 3)).toThrow(/token id 260 is outside the vocabulary/);
  });

  it('takes another model of the same shape with setWeights', async () => {
    const d = small((await tinymix('base')).weights);
    const code = (await tinymix('code')).weights;
    expect(d.accepts(code)).toBe(true);
    d.setWeights(code);
    expect(maxDiff(lastLogits(d, REF.input_ids), REFERENCE_LOGITS.code.last_logits)).toBeLessThan(1e-4);
    const wider = variant(code, { config: { intermediate_size: 64 } });
    expect(d.accepts(wider)).toBe(false);
    expect(() => d.setWeights(wider)).toThrow(EvalInputError);
  });
});
