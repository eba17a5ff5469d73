/**
 * hidden gates on tinymix, checked without the layer hook they are computed with: the state
 * entering layer 0 is the last token's embedding row, and the state entering layer l (for a
 * one-prompt expert, up to its norm) is what a copy of the base cut to l layers, with a final
 * norm of ones, returns at the last position.
 */
import { describe, expect, it } from 'vitest';
import { Decoder } from '../eval/model/decoder.ts';
import { tinymix, variant } from '../eval/test-helpers.ts';
import { buildInMemory } from './test-helpers.ts';

const H = 128;
const BOS = 256;
const CONFIG = `base_model: tinymix-base
gate_mode: hidden
dtype: float32
experts:
  - source_model: tinymix-code
    positive_prompts: ["def merge(a, b):", "import os"]
    negative_prompts: ["12+30="]
  - source_model: tinymix-math
    positive_prompts: ["37+45=82"]
  - source_model: tinymix-law
    positive_prompts: ["The licensee shall"]
`;

const ids = (p: string): number[] => [BOS, ...new TextEncoder().encode(p)];
const unit = (v: ArrayLike<number>): number[] => {
  const n = Math.hypot(...Array.from(v));
  return Array.from(v, (x) => x / n);
};
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i]!)));

describe('hidden gates', () => {
  it('are the mean state entering each layer at the last token, minus the negatives', async () => {
    const moe = await buildInMemory(CONFIG);
    const { weights } = await tinymix('base');
    const embed = weights.weights.get('model.embed_tokens.weight')!.data;
    const row = (id: number): Float32Array => embed.subarray(id * H, id * H + H);
    const router = (l: number, e: number): Float32Array =>
      moe.values(`model.layers.${l}.block_sparse_moe.gate.weight`).subarray(e * H, e * H + H);

    // Layer 0: embeddings of the last tokens (':' and 's', minus '=').
    const [colon, s, eq] = [':', 's', '='].map((c) => row(c.charCodeAt(0)));
    const code0 = unit(Array.from({ length: H }, (_, j) => (colon![j]! + s![j]!) / 2 - eq![j]!));
    expect(maxDiff(router(0, 0), code0)).toBeLessThan(1e-6);
    expect(maxDiff(router(0, 1), unit(row('2'.charCodeAt(0))))).toBeLessThan(1e-6);

    // Layers 1..3 of the one-prompt experts: a cut copy of the base.
    for (let l = 1; l < 4; l++) {
      const cut = variant(weights, {
        config: { num_hidden_layers: l },
        remove: [...weights.weights.keys()].filter(
          (n) => Number(/^model\.layers\.(\d+)\./.exec(n)?.[1] ?? -1) >= l,
        ),
        set: { 'model.norm.weight': { shape: [H], data: new Float32Array(H).fill(1) } },
      });
      const d = Decoder.create(cut, { maxRows: 32, context: 32 });
      for (const [e, prompt] of [
        [1, '37+45=82'],
        [2, 'The licensee shall'],
      ] as const) {
        const x = ids(prompt);
        const last = d.forward(x, 1, x.length).subarray((x.length - 1) * H, x.length * H);
        expect(maxDiff(router(l, e), unit(last)), `layer ${l} expert ${e}`).toBeLessThan(1e-5);
      }
    }
    // Distinct prompts: no degenerate layer.
    expect(moe.result.warnings.filter((w) => w.includes('degenerate'))).toEqual([]);
  });
});
