import { describe, expect, it } from 'vitest';
import { EvalInputError } from './errors.ts';
import { createGenerator, generate, generateText, sampleTopK } from './generate.ts';
import { Decoder } from './model/decoder.ts';
import { REFERENCE_LOGITS, tinymix } from './test-helpers.ts';

const PROMPT = REFERENCE_LOGITS.math.input_ids; // "<s>def merge(a, b):\n    return 12+30="

describe('sampleTopK', () => {
  it('samples among the k largest logits by their softmax', () => {
    const logits = Float32Array.of(0, 10, 5, 9.9);
    expect(sampleTopK(logits, 1, 1, 0.99)).toBe(1); // k = 1 is greedy
    // k = 2: tokens 1 and 3 with weights 1 and e^-0.1 = 0.905: u below 1 / 1.905 picks 1
    expect(sampleTopK(logits, 2, 1, 0.5)).toBe(1);
    expect(sampleTopK(logits, 2, 1, 0.53)).toBe(3);
    expect(sampleTopK(logits, 3, 1, 0.9999)).toBe(2);
  });
});

describe('generate', () => {
  it('continues greedily as recomputing the whole sequence would, with the KV cache', async () => {
    const { weights, tokenizer } = await tinymix('math');
    const g = await generate(createGenerator(weights, 128), PROMPT, weights.config, { maxNewTokens: 12 });
    expect(g.ids.length).toBeGreaterThan(0);
    // Each token must be the argmax of a full, uncached forward pass over everything before it.
    const full = Decoder.create(weights, { maxRows: 64, context: 64 });
    const seq = [...PROMPT];
    for (const id of g.ids) {
      const h = full.forward(seq, 1, seq.length);
      const logits = full.logits(h.subarray((seq.length - 1) * 128), 1);
      expect(logits.indexOf(Math.max(...logits))).toBe(id);
      seq.push(id);
    }
    // The math fine-tune writes arithmetic lines (right or not: it has 0.8 M parameters).
    expect(tokenizer.decode(g.ids)).toMatch(/^\d+\n\d+[+-]\d+=\d+\n$/);
  });

  it('samples reproducibly from a seed, stops at </s>, the length limit or a full context', async () => {
    const { weights, tokenizer } = await tinymix('base');
    const d = createGenerator(weights, 64);
    const opts = { maxNewTokens: 20, sampling: { kind: 'top-k', k: 8, seed: 7 } } as const;
    const a = await generateText(d, tokenizer, weights.config, 'The ', opts);
    const b = await generateText(d, tokenizer, weights.config, 'The ', opts);
    const c = await generateText(d, tokenizer, weights.config, 'The ', {
      ...opts,
      sampling: { ...opts.sampling, seed: 8 },
    });
    expect(a.ids).toEqual(b.ids);
    expect(a.ids).not.toEqual(c.ids);
    expect(a.text).toBe(tokenizer.decode(a.ids));
    const streamed: number[] = [];
    const eos = await generate(d, [256, 84], weights.config, { maxNewTokens: 5, stopIds: [a.ids[0]!, ...a.ids], onToken: (id) => streamed.push(id) }); // prettier-ignore
    expect(eos.stop).toBe('eos');
    expect(eos.ids).toEqual(streamed);
    expect((await generate(d, [256], weights.config, { maxNewTokens: 3 })).stop).toBe('length');
    expect((await generate(d, [256], weights.config, { maxNewTokens: 500, stopIds: [] })).stop).toBe(
      'context',
    );
    await expect(generate(d, [], weights.config, { maxNewTokens: 1 })).rejects.toThrow(EvalInputError);
    await expect(generate(d, [256], weights.config, { maxNewTokens: 0 })).rejects.toThrow(/maxNewTokens/);
    expect(createGenerator(weights).options.context).toBe(512); // tinymix's max_position_embeddings
  });
});
