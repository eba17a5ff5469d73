import { describe, expect, it } from 'vitest';
import { EvalCancelled, EvalInputError } from './errors.ts';
import { createEvaluator, evaluateTexts, tokenizeTexts } from './evaluate.ts';
import { pickWindows, textLoss, windowCount } from './loss.ts';
import { evalText, REFERENCE_LOSSES, tinymix, type ModelName, type TextName } from './test-helpers.ts';

describe('windows', () => {
  it('counts floor((n - 1) / 128) windows: each needs 129 tokens, the last target included', () => {
    expect([windowCount(128), windowCount(129), windowCount(256), windowCount(257)]).toEqual([0, 1, 1, 2]);
    expect(windowCount(17885)).toBe(139);
  });

  it('picks the first K, or K spread evenly from window 0', () => {
    expect([...pickWindows(10, 3)]).toEqual([0, 1, 2]);
    expect([...pickWindows(10, 3, 'spread')]).toEqual([0, 3, 6]);
    expect([...pickWindows(2, 5, 'spread')]).toEqual([0, 1]);
  });
});

// A subset of the 24 (model, text) pairs of tinymix-losses.json, covering sharded BF16 (math),
// F16 (law) and single-file BF16 (code-c); the CLI test adds code-b on general and
// `npx tsx scripts/bench-eval.ts losses` checks all 24 through the CLI.
const PAIRS: readonly [ModelName, TextName][] = [
  ['math', 'math'],
  ['law', 'law'],
  ['code-c', 'law'],
];

describe('text loss (nats per token, FIXTURES.md)', () => {
  for (const [model, text] of PAIRS) {
    it(`matches tinymix-losses.json for tinymix-${model} on eval-${text}.txt to 1e-3`, async () => {
      const { weights, tokenizer } = await tinymix(model);
      const [r] = await evaluateTexts(createEvaluator(weights), tokenizeTexts(tokenizer, [{ name: text, text: evalText(text) }])); // prettier-ignore
      expect(Math.abs(r!.loss - REFERENCE_LOSSES[model][text])).toBeLessThan(1e-3);
      expect(r!.windows).toBe(r!.available);
      expect(r!.tokens).toBe(r!.windows * 128);
    });
  }

  it('evaluates the first K windows as the mean of those windows, and reports progress', async () => {
    const { weights, tokenizer } = await tinymix('math');
    const ids = tokenizer.encode(evalText('math'));
    const d = createEvaluator(weights, { batchWindows: 2 });
    const seen: number[] = [];
    const first5 = await textLoss(d, ids, { windows: 5, onProgress: (done) => seen.push(done) });
    expect(seen).toEqual([2, 4, 5]);
    const first2 = await textLoss(d, ids, { windows: 2 });
    expect(first5.windowLosses.subarray(0, 2)).toEqual(first2.windowLosses);
    expect(first5.loss).toBeCloseTo(first5.windowLosses.reduce((a, b) => a + b) / 5, 12);
    const spread = await textLoss(d, ids, { windows: 3, pick: 'spread' });
    expect([...spread.windowIndices]).toEqual([0, 46, 92]);
    const third = await textLoss(d, ids.subarray(92 * 128), { windows: 1 });
    expect(spread.windowLosses[2]).toBeCloseTo(third.loss, 12);
  });

  it('refuses a text shorter than one window, bad K and out-of-vocabulary ids; stops when aborted', async () => {
    const d = createEvaluator((await tinymix('base')).weights);
    await expect(textLoss(d, new Int32Array(128))).rejects.toThrow(
      /has 128 tokens; one window of 128 needs at least 129/,
    );
    await expect(textLoss(d, new Int32Array(300), { windows: 0 })).rejects.toThrow(EvalInputError);
    await expect(textLoss(d, new Int32Array(300).fill(999))).rejects.toThrow(/token id 999 at 0 is outside/);
    const ac = new AbortController();
    ac.abort();
    await expect(textLoss(d, new Int32Array(300), { signal: ac.signal })).rejects.toThrow(EvalCancelled);
  });
});
