/**
 * mp_rope (./mp-rope.ts). mergekit's numbers need torch, which this machine lacks; the reference
 * values below come from a float64 numpy transcription of mergekit's batch_mp_rope and
 * rope_helpers.py (run once, outside the repository), on the same seeded inputs.
 */
import { describe, expect, it } from 'vitest';
import { approximateRows, type ApproximationOptions } from './approximate.ts';
import { TokenSurgeonError } from './errors.ts';
import { matrix, row } from './matrix.ts';
import { combineRotated, estimatePosition, mpRope, ropeConfig, ropeSpace, rotate } from './mp-rope.ts';
import { plainKey } from './normalize-vocab.ts';

const wave = (n: number, seed: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(1.7 * i + seed) * Math.cos(0.37 * i * seed + 1));

// donor side 16 wide in 2 heads (rope_theta 10000), MODEL side 24 wide in 3 heads (500000)
const DA = 16;
const DB = 24;
const N = 30;
const donorSpace = ropeSpace({ heads: 2, base: 10000 }, DA, 'the donor');
const modelSpace = ropeSpace({ heads: 3, base: 500000 }, DB, 'MODEL');
const donorPoints = matrix(N, DA, wave(N * DA, 3));
const modelPoints = matrix(N, DB, wave(N * DB, 5));
const targets = wave(2 * DA, 7);
/** Seeded values in [-1, 1) with little correlation between rows. */
const scattered = (n: number, seed: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => (Math.abs(Math.sin(12.9898 * (i + 1) * seed + 78.233)) * 43758.5453) % 2 - 1); // prettier-ignore

const REFERENCE = {
  sel: [[23, 26, 10, 29, 20], [3, 7, 2, 5, 8]],
  pos: [[-0.620238412, -0.530915952, 0.222516482, -0.553960181, -0.773799136], [-0.440366948, 0.438374081, -0.944795696, -0.71134798, -0.591559088]],
  out: [
    [5.81364518, -6.8675761, 5.45700852, -5.95279953, -6.22323562, -2.73785676, -15.9348669, -1.89252142, -22.5953445, -5.85580427, -19.3503676, -12.6420767, -0.771552042, -19.5881097, -6.56750297, -22.4347137, -7.58371203, -17.9986617, -5.13571517, -8.48674153, -6.16048901, 2.67174173, -9.59404245, 9.8893717],
    [2.79745009, 0.524335925, 2.52107796, 1.06729489, -0.190510572, 1.82699621, 0.45899148, 2.23085772, 0.00739196712, 1.77939395, -0.285515176, 0.660411089, 0.443848941, -0.791614594, 0.486648581, -1.82058159, -0.870799965, -2.10682655, -0.566990996, -1.6255436, -0.99208923, -0.832337231, -2.62792678, -0.438839544],
  ],
}; // prettier-ignore

describe('mp_rope', () => {
  it("matches a transcription of mergekit's batch_mp_rope: tokens, positions and the new rows", () => {
    for (let i = 0; i < 2; i++) {
      const c = mpRope(targets.subarray(i * DA, (i + 1) * DA), donorPoints, 5, donorSpace);
      expect(c.indices).toEqual(REFERENCE.sel[i]);
      c.positions.forEach((p, t) => expect(p).toBeCloseTo(REFERENCE.pos[i]![t]!, 7));
      const out = new Float32Array(DB);
      combineRotated(c, modelPoints, modelSpace, out);
      out.forEach((v, j) =>
        expect(Math.abs(v - REFERENCE.out[i]![j]!)).toBeLessThan(2e-6 * (1 + Math.abs(v))),
      );
    }
  });

  it('recovers a rotated, scaled shared row exactly, and carries its position to MODEL’s side', () => {
    const points = matrix(N, DA, scattered(N * DA, 1));
    const rotated = rotate(row(points, 11), 0.3, donorSpace, new Float64Array(DA));
    const target = rotated.map((v) => 2.5 * v);
    const c = mpRope(target, points, 1, donorSpace);
    expect(c.indices).toEqual([11]);
    expect(c.positions[0]).toBeCloseTo(0.3, 7);
    expect(c.coeffs[0]).toBeCloseTo(2.5, 6);
    const out = new Float32Array(DB);
    combineRotated(c, modelPoints, modelSpace, out);
    const want = rotate(row(modelPoints, 11), 0.3, modelSpace, new Float64Array(DB)).map((v) => 2.5 * v);
    out.forEach((v, j) => expect(v).toBeCloseTo(want[j]!, 5));
  });

  it('takes the negated residual’s position when it is the smaller one', () => {
    const points = matrix(N, DA, scattered(N * DA, 2));
    const x = row(points, 4);
    const y = rotate(x, 0.5, donorSpace, new Float64Array(DA));
    // (the 1e-8s in mergekit's divisions put the estimate 7e-9 below)
    expect(estimatePosition(x, y, 1, donorSpace)).toBeCloseTo(0.5, 7);
    // -y is y turned by π in every pair: a position of |p| > 0.5
    expect(Math.abs(estimatePosition(x, y, -1, donorSpace))).toBeGreaterThan(0.5);
    const c = mpRope(
      y.map((v) => -v),
      points,
      1,
      donorSpace,
    );
    expect(c.indices).toEqual([4]);
    expect(c.positions[0]).toBeCloseTo(0.5, 7);
    expect(c.coeffs[0]).toBeCloseTo(-1, 6);
  });

  it('reads heads and rope_theta from config.json, its text_config or rope_parameters', () => {
    expect(ropeConfig({ num_attention_heads: 4, rope_theta: 500000 }, 'MODEL')).toEqual({
      heads: 4,
      base: 500000,
    });
    expect(ropeConfig({ num_attention_heads: 4 }, 'MODEL')).toEqual({ heads: 4, base: 10000 });
    expect(ropeConfig({ text_config: { num_attention_heads: 8, rope_parameters: { rope_theta: 1e6 } } }, 'MODEL')).toEqual({ heads: 8, base: 1e6 }); // prettier-ignore
    expect(() => ropeConfig({ hidden_size: 16 }, 'the donor')).toThrow(/mp_rope needs the donor's num_attention_heads, and its config.json has none/); // prettier-ignore
    expect(() => ropeSpace({ heads: 3, base: 10000 }, 16, 'MODEL')).toThrow(/16 values as 3 attention heads, which needs an even head size/); // prettier-ignore
    expect(() => ropeSpace({ heads: 16, base: 10000 }, 16, 'MODEL')).toThrow(TokenSurgeonError);
  });

  it('runs as an approximation method, with -k checked against the shared tokens', async () => {
    const tokens = Array.from({ length: N + 2 }, (_, i) => plainKey(`t${i}`));
    const donorVocab = new Map(tokens.map((t, i) => [t, i]));
    const origVocab = new Map(tokens.slice(0, N).map((t, i) => [t, i]));
    const donor = matrix(N + 2, DA, new Float32Array([...donorPoints.data, ...targets]));
    const options: ApproximationOptions = {
      method: 'mp_rope',
      k: 5,
      cosineSimilarity: false,
      weightScheme: 'distance_proportional',
      seed: 0,
      batchSize: 512,
    };
    const input = {
      orig: modelPoints,
      donor,
      origVocab,
      donorVocab,
      targets: tokens.slice(N),
      tensorName: 'model.embed_tokens.weight',
      isLmHead: false,
      rope: { donor: { heads: 2, base: 10000 }, model: { heads: 3, base: 500000 } },
    };
    const rows = await approximateRows(input, options);
    for (let i = 0; i < 2; i++)
      row(rows, i).forEach((v, j) => expect(Math.abs(v - REFERENCE.out[i]![j]!)).toBeLessThan(2e-6 * (1 + Math.abs(v)))); // prettier-ignore
    await expect(approximateRows(input, { ...options, k: N + 1 })).rejects.toThrow(
      /-k 31 is more than the 30 tokens/,
    );
    const { rope: _rope, ...withoutRope } = input;
    await expect(approximateRows(withoutRope, options)).rejects.toThrow(/mp_rope needs both models/); // prettier-ignore
  });
});
