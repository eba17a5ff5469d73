/**
 * DeepSeek MoE, Qwen MoE and Qwen3 MoE builds through the evaluation's forward pass
 * (workers/eval, which runs all three): MoEs made so that they must compute the base model's
 * function give the base's logits, and the `hidden` gates run on a Qwen3 base.
 *
 *   DeepSeek  every expert and the shared expert the base's MLP, each down_proj halved: the
 *             routed experts' weights sum to 1, so half the MLP plus half the MLP is the MLP
 *   Qwen      every expert the base's MLP, the gated shared expert scaled by 0: the MLP
 *   Qwen3     every expert the base's MLP
 */
import { describe, expect, it } from 'vitest';
import { Decoder } from '../../eval/model/decoder.ts';
import { readModelWeights, type ModelWeights } from '../../eval/model/weights.ts';
import { loadModel } from '../../io/load-model.ts';
import { blobModelSource } from '../../io/memory.ts';
import { REFERENCE_LOGITS, tinymix } from '../../eval/test-helpers.ts';
import { buildInMemory, convertedResolver, qwen3Files } from '../test-helpers.ts';

const PROMPTS = ['"def f(x):"', '"12+30=42"', '"The court held"', '"A fortune"'];

/** A config of `n` experts, all the base's MLP, with `extra` lines for each expert. */
function sameExperts(n: number, extra = '', head = ''): string {
  const experts = PROMPTS.slice(0, n)
    .map((p) => `  - source_model: tinymix-base\n    positive_prompts: [${p}]\n${extra}`)
    .join('');
  return `base_model: tinymix-base\n${head}gate_mode: cheap_embed\ndtype: float32\nexperts:\n${experts}`;
}

async function built(text: string, resolve?: Parameters<typeof buildInMemory>[2]): Promise<ModelWeights> {
  const moe = await buildInMemory(text, { allowAllSame: true }, resolve);
  return readModelWeights(moe.out);
}

function lastLogits(weights: ModelWeights, ids: readonly number[]): Float32Array {
  const d = Decoder.create(weights, { maxRows: 64, context: 64 });
  const hidden = d.forward(ids, 1, ids.length);
  return d.logits(hidden.subarray((ids.length - 1) * d.config.hidden), 1).slice();
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i]!)));

const IDS: readonly number[] = REFERENCE_LOGITS.base.input_ids;

describe('evaluating built MoEs of other architectures', () => {
  it('DeepSeek MoE: halved experts plus a halved shared expert are the base model', async () => {
    const half = '    residual_scale: 0.5\n';
    const shared = `shared_experts:\n  - source_model: tinymix-base\n${half}`;
    const moe = await built(`${sameExperts(4, half)}${shared}`);
    expect(moe.config['model_type']).toBe('deepseek');
    const base = (await tinymix('base')).weights;
    expect(maxDiff(lastLogits(moe, IDS), lastLogits(base, IDS))).toBeLessThan(1e-4);
    expect(maxDiff(lastLogits(moe, IDS), REFERENCE_LOGITS.base.last_logits)).toBeLessThan(1e-3);
    // Without the halving, the MLP counts twice: another model.
    const twice = await built(`${sameExperts(4)}shared_experts:\n  - source_model: tinymix-base\n`);
    expect(maxDiff(lastLogits(twice, IDS), lastLogits(base, IDS))).toBeGreaterThan(1e-2);
  });

  it('Qwen MoE: the shared expert scaled by 0 leaves the base model', async () => {
    const shared = '    residual_scale: 0\n';
    const config = `${sameExperts(4)}shared_experts:\n  - source_model: tinymix-base\n    positive_prompts: ["Once"]\n${shared}`;
    const moe = await built(config);
    expect(moe.config['model_type']).toBe('qwen2_moe');
    const base = (await tinymix('base')).weights;
    expect(maxDiff(lastLogits(moe, IDS), lastLogits(base, IDS))).toBeLessThan(1e-4);
    // With it, the gated shared expert adds to every token.
    const gated = await built(config.replace(shared, ''));
    expect(maxDiff(lastLogits(gated, IDS), lastLogits(base, IDS))).toBeGreaterThan(1e-2);
  });

  it('Qwen3 MoE: experts of the base MLP are the Qwen3 base; hidden gates run on it', async () => {
    const files = qwen3Files('tinymix-base');
    const base = await readModelWeights(await loadModel(blobModelSource('tinymix-base', files)));
    const moe = await built(sameExperts(4), convertedResolver());
    expect(moe.config['model_type']).toBe('qwen3_moe');
    expect(maxDiff(lastLogits(moe, IDS), lastLogits(base, IDS))).toBeLessThan(1e-4);
    const hidden = await buildInMemory(
      sameExperts(2).replace('cheap_embed', 'hidden'),
      { allowAllSame: true },
      convertedResolver(),
    );
    const rows = hidden.values('model.layers.1.mlp.gate.weight');
    expect(rows.length).toBe(2 * 128);
    // Each row is a normalised hidden state; two different prompts give two different rows.
    expect(Math.hypot(...rows.subarray(0, 128))).toBeCloseTo(1, 5);
    expect(maxDiff(rows.subarray(0, 128), rows.subarray(128))).toBeGreaterThan(1e-3);
  });
});
