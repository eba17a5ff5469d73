import { describe, expect, it } from 'vitest';
import { junkFilter, quantile, wellTrainedTokens } from './magikarp.ts';
import { matrix } from './matrix.ts';
import { surgery } from './test-helpers.ts';

describe('magikarp', () => {
  it("quantile interpolates linearly, as torch's", () => {
    expect(quantile([3, 1, 2, 4], 0.5)).toBeCloseTo(2.5);
    expect(quantile([0.1, 1, 2, 3, 4, 5], 0.01)).toBeCloseTo(0.1 + 0.9 * 0.05);
  });

  // rows: a tiny, b, c, d, a reserved token, a row with no token
  const embed = matrix(6, 2, Float32Array.from([0.1, 0, 1, 0, 0, 2, 3, 0, 0, 4, 0, 5]));
  const vocab = new Map([['a', 0], ['b', 1], ['c', 2], ['d', 3], ['<|reserved_special_token_0|>', 4]]); // prettier-ignore

  it('drops unused ids, "reserved" tokens and, with a head, the lowest-norm 1%', () => {
    expect([...wellTrainedTokens(vocab, embed, undefined)]).toEqual(['a', 'b', 'c', 'd']);
    expect([...wellTrainedTokens(vocab, embed, embed)]).toEqual(['b', 'c', 'd']);
  });

  it('flags embeddings closer to the unused mean than the 99% quantile', () => {
    // 101 tokens on a circle, 2 unused ones about (0, 1); the token on their mean's direction is flagged
    const n = 103;
    const data = new Float32Array(n * 2);
    for (let i = 0; i < 101; i++) {
      data[2 * i] = Math.cos((i / 101) * Math.PI);
      data[2 * i + 1] = -Math.sin((i / 101) * Math.PI);
    }
    data.set([0, 1, 0.5, 1, -0.5, 1], 2 * 100); // t100 on the unused rows' mean direction
    const m = matrix(n, 2, data);
    const v = new Map(Array.from({ length: 101 }, (_, i) => [`t${i}`, i]));
    const good = wellTrainedTokens(v, m, undefined);
    expect(good.has('t100')).toBe(false);
    expect(good.size).toBe(100);
  });

  it('keeps MODEL tokens good in both models; zeroes donor tokens bad in both', () => {
    const f = junkFilter(
      { vocab, embed, lmHead: embed },
      { vocab: new Map([['a', 0], ['b', 1], ['<|reserved_special_token_0|>', 2]]), embed: matrix(3, 1, Float32Array.from([1, 2, 3])), lmHead: undefined }, // prettier-ignore
    );
    expect([...f.origVocab.keys()]).toEqual(['b']);
    expect(f.junk).toEqual([2]);
  });

  it('runs within a surgery', async () => {
    const s = await surgery({ magikarp: true, k: 2 });
    expect(s.logs.some((l) => l.startsWith('magikarp: '))).toBe(true);
    expect(s.result.vocabSize).toBe(35);
  });
});
