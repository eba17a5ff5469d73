import { describe, expect, it } from 'vitest';
import { route } from './moe-block.ts';

describe('Mixtral routing', () => {
  it("picks each row's top-k logits and weighs them by their softmax", () => {
    // Two rows of four experts' logits, top 2.
    const logits = Float32Array.from([0, 2, 1, -1, 5, 5, 0, 7]);
    const choice = new Int32Array(4);
    const weight = new Float32Array(4);
    route(logits, 2, 4, 2, choice, weight);
    // Row 0: experts 1 (logit 2) and 2 (logit 1): softmax(2, 1) = (e / (e + 1), 1 / (e + 1)).
    // Row 1: expert 3 (7), then 0 and 1 tie at 5: the lower index, 0.
    expect([...choice]).toEqual([1, 2, 3, 0]);
    const e = Math.E;
    expect(weight[0]).toBeCloseTo(e / (e + 1), 6);
    expect(weight[1]).toBeCloseTo(1 / (e + 1), 6);
    expect(weight[2]).toBeCloseTo(e ** 2 / (e ** 2 + 1), 6);
    expect(weight[0]! + weight[1]!).toBeCloseTo(1, 6);
  });

  it('with k = 1, the chosen expert weighs 1', () => {
    const choice = new Int32Array(1);
    const weight = new Float32Array(1);
    route(Float32Array.from([0.1, 0.3, 0.2]), 1, 3, 1, choice, weight);
    expect([choice[0], weight[0]]).toEqual([1, 1]);
  });
});

describe('routing without renormalisation (Qwen MoEs without norm_topk_prob, DeepSeek-MoE)', () => {
  it('weighs each chosen expert by its softmax probability over all experts', () => {
    const choice = new Int32Array(2);
    const weight = new Float32Array(2);
    route(Float32Array.from([0, 2, 1, -1]), 1, 4, 2, choice, weight, false);
    const e = Math.E;
    const z = 1 + e ** 2 + e + 1 / e;
    expect([...choice]).toEqual([1, 2]);
    expect(weight[0]).toBeCloseTo(e ** 2 / z, 6);
    expect(weight[1]).toBeCloseTo(e / z, 6);
  });

  it('with k = 1, the chosen expert weighs its probability, not 1', () => {
    const choice = new Int32Array(1);
    const weight = new Float32Array(1);
    route(Float32Array.from([0.1, 0.3, 0.2]), 1, 3, 1, choice, weight, false);
    const z = Math.exp(0.1) + Math.exp(0.3) + Math.exp(0.2);
    expect(choice[0]).toBe(1);
    expect(weight[0]).toBeCloseTo(Math.exp(0.3) / z, 6);
  });
});
