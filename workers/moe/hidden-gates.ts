/**
 * The `hidden` gate mode (router.py get_hidden_states with average=False): the base model runs
 * on each prompt, and the residual stream entering every layer is taken at the prompt's last
 * token; an expert's vector for layer l is the mean of those over its positive prompts minus
 * the mean over its negative prompts, normalised (./gates.ts).
 *
 * mergekit runs the base in bfloat16 on a left-padded batch; this runs it in float32, one
 * prompt at a time (the padding is masked, and RoPE sees only relative positions, so it
 * changes nothing but rounding).
 */
import { EvalInputError } from '../eval/errors.ts';
import { Decoder } from '../eval/model/decoder.ts';
import type { ModelWeights } from '../eval/model/weights.ts';
import { gatesFromVectors, type PromptIds } from './gates.ts';

/** Per layer, the mean over `prompts` of the state entering the layer at the last token. */
export function meanLastStates(decoder: Decoder, prompts: readonly Int32Array[]): Float64Array[] {
  const { layers, hidden } = decoder.config;
  const sums = Array.from({ length: layers }, () => new Float64Array(hidden));
  for (const ids of prompts) {
    if (ids.length === 0) throw new EvalInputError('a prompt has no tokens (an empty prompt, and the tokenizer has no BOS token)'); // prettier-ignore
    const last = (ids.length - 1) * hidden;
    decoder.forward(ids, 1, ids.length, (l, h) => {
      const sum = sums[l]!;
      for (let j = 0; j < hidden; j++) sum[j]! += h[last + j]!;
    });
  }
  for (const s of sums) for (let j = 0; j < hidden; j++) s[j]! /= prompts.length;
  return sums;
}

export function hiddenGates(weights: ModelWeights, experts: readonly PromptIds[]): Float32Array[] {
  const longest = Math.max(
    1,
    ...experts.flatMap((p) => [...p.positive, ...p.negative].map((ids) => ids.length)),
  );
  const decoder = Decoder.create(weights, { maxRows: longest, context: longest });
  const vectors = experts.map((p) => {
    const v = meanLastStates(decoder, p.positive);
    if (p.negative.length > 0) {
      const neg = meanLastStates(decoder, p.negative);
      for (const [l, row] of v.entries()) for (let j = 0; j < row.length; j++) row[j]! -= neg[l]![j]!;
    }
    return v;
  });
  return gatesFromVectors(vectors, decoder.config.hidden);
}
