/**
 * The options mergekit has inside but does not expose (`merge_studio.consensus`,
 * `merge_studio.rescale_norm`), checked against straightforward references written here: the
 * sign elected by count, the L2 / L-infinity / 1-over-density rescale of every sparsifier, on
 * hand-checkable numbers and on noise, the same bytes in any chunking and on the WebAssembly
 * kernels and their JS references; mergekit's defaults (sum, L1) unchanged.
 */
import { describe, expect, it } from 'vitest';
import { roundToBf16 } from '../io/dtypes.ts';
import { makeRng, mix32, streamKey } from '../rng.ts';
import { simdAndJs } from '../simd/test-helpers.ts';
import { getMethod } from './registry.ts';
import { sparsify, type Sparsifier } from './shared/sparsify.ts';
import { arraySource, runStream } from './stream.ts';
import { close, run } from './test-helpers.ts';
import {
  MERGEKIT_COMPAT,
  type Compat,
  type ConsensusMethod,
  type ParamValue,
  type RescaleNorm,
} from './types.ts';

const compat = (consensus: ConsensusMethod, rescaleNorm: RescaleNorm = 'l1'): Compat => ({
  ...MERGEKIT_COMPAT,
  consensus,
  rescaleNorm,
});

// ---------------------------------------------------------------------------------------------
// References

/** The sign of each element a model holds: +1, -1 or 0. */
const sign = (x: number): number => (x > 0 ? 1 : x < 0 ? -1 : 0);

/**
 * TIES's combination with the elected sign of either method: a_k = f32(w_k d_k); `sum` elects
 * the sign of sum_k a_k, `count` the sign of sum_k sign(a_k) (ties, zero included, to +); the
 * agreeing a_k are averaged by their weights (normalize) and scaled by lambda.
 */
function consensusRef(
  deltas: readonly Float32Array[],
  w: readonly number[],
  base: Float32Array,
  method: ConsensusMethod,
  normalize: boolean,
  lambda = 1,
): number[] {
  return [...base].map((b, i) => {
    const a = deltas.map((d, k) => Math.fround(w[k]! * d[i]!));
    const vote = method === 'sum' ? a.reduce((s, x) => s + x, 0) : a.reduce((s, x) => s + sign(x), 0);
    const elected = vote >= 0 ? 1 : -1;
    let mixed = 0;
    let div = 0;
    a.forEach((x, k) => {
      if (sign(x) === elected) {
        mixed += x;
        div += w[k]!;
      }
    });
    if (normalize && div !== 0) mixed /= div;
    return b + mixed * lambda;
  });
}

/** The factor that makes `masked` keep `dense`'s norm (mergekit's rescaled_masked_tensor). */
function rescaleRef(dense: Float32Array, masked: Float32Array, norm: RescaleNorm, density: number): number {
  if (norm === 'inverse_density') return Math.fround(1 / density);
  const of = (x: Float32Array): number => {
    const a = [...x].map(Math.abs);
    if (norm === 'l1') return a.reduce((s, v) => s + v, 0);
    if (norm === 'l2') return Math.sqrt(a.reduce((s, v) => s + v * v, 0));
    return a.reduce((m, v) => Math.max(m, v), 0);
  };
  const before = of(dense);
  const after = of(masked);
  return before < 1e-7 || after < 1e-7 ? 1 : Math.fround(before / after);
}

const noise = (n: number, seed: number, scale: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => (((mix32(i ^ mix32(seed)) % 2001) - 1000) / 1000) * scale);
/** Bf16-like values: few distinct magnitudes, so ties at every cut and zero deltas. */
const coarse = (x: Float32Array): Float32Array => x.map((v) => Math.round(v * 512) / 512);
const rng = (k: number) => makeRng(streamKey(7, 'w', k));

// ---------------------------------------------------------------------------------------------

/** ties on one element: deltas 1, 1, 3 with weights -1, -1, 1, no normalising. */
const negativeWeights = (consensus: ConsensusMethod): number[] =>
  run('ties', {
    inputs: [[1], [1], [3]],
    base: [0],
    perModel: [{ weight: -1 }, { weight: -1 }, { weight: 1 }],
    global: { normalize: false },
    compat: compat(consensus),
  }).out;

/** Whether a family member's output with `c` differs from mergekit's. */
function differs(name: string, c: Compat): boolean {
  const plain = runFamily(name, [50, 100], 5000, MERGEKIT_COMPAT);
  return runFamily(name, [50, 100], 5000, c).some((v, i) => v !== plain[i]);
}

describe('consensus: count', () => {
  const ten = [10, 10, 10, 10, 10, 10];
  // columns: 1 small + 1 small against 1 large (count says +, sum says -), a tie in count
  // (elected +), a tie at zero with a zero delta, all zeros, a minus majority, all agreeing
  const columns = [
    [1, 1, 2, 0, -1, 1],
    [1, -1, -1, 0, -1, 1],
    [-5, 0, 0, 0, 3, 1],
  ];
  const inputs = columns.map((d) => d.map((v, i) => ten[i]! + v));
  const c = { inputs, base: ten, perModel: [{ weight: 1 }, { weight: 1 }, { weight: 1 }] };

  it('elects the sign more models hold, ties (and all zeros) to +', () => {
    const count = run('ties', { ...c, compat: compat('count') }).out;
    const sum = run('ties', { ...c, compat: compat('sum') }).out;
    // normalize (ties' default): the mean of the agreeing deltas
    expect(count).toEqual([11, 11, 12, 10, 9, 11]);
    expect(sum).toEqual([5, 11, 12, 10, 13, 11]);
    expect(run('ties', c).out).toEqual(sum); // mergekit's default is sum
  });

  it('votes with the weighted deltas: a negative weight turns a model’s sign', () => {
    expect(negativeWeights('count')).toEqual([-2]); // two of the three products are -1
    expect(negativeWeights('sum')).toEqual([3]); // -1 - 1 + 3 > 0
  });

  it('sce elects by count on its task vectors as well', () => {
    const sce = (consensus: ConsensusMethod) =>
      run('sce', { inputs: [[1], [1], [-5]], base: [0], compat: compat(consensus) }).out[0]!;
    // weights by mean square: 1, 1, 25 (over 27); count keeps the two 1s, sum the -5
    expect(sce('count')).toBeCloseTo(1, 6);
    expect(sce('sum')).toBeCloseTo(-5, 6);
    const bf16 = run('sce', {
      inputs: [[1], [1], [-5]],
      base: [0],
      round: roundToBf16,
      compat: compat('count'),
    }).out[0]!;
    expect(bf16).toBeCloseTo(1, 2);
  });

  it('matches the reference on noise with ties at zero, on 1 to 6 models', () => {
    const n = 3001;
    const base = noise(n, 1, 0.05);
    for (let m = 1; m <= 6; m++) {
      const deltas = Array.from({ length: m }, (_, k) => coarse(noise(n, 10 + k, 0.01)));
      const w = [0.5, 0.5, -0.5, 1, 0.3, 0.9].slice(0, m);
      for (const normalize of [true, false]) {
        const got = run('ties', {
          inputs: deltas.map((d) => [...d].map((v, i) => Math.fround(v + base[i]!))),
          base: [...base],
          perModel: w.map((weight) => ({ weight })),
          global: { normalize, lambda: 0.8 },
          compat: compat('count'),
        }).out;
        // the deltas as the kernel sees them: x - base in float32
        const seen = deltas.map((d) => d.map((v, i) => Math.fround(Math.fround(v + base[i]!) - base[i]!)));
        const want = consensusRef(seen, w.map(Math.fround), base, 'count', normalize, 0.8);
        expect(close(got, want), `m=${m} normalize=${normalize}`).toBe(true);
      }
    }
  });
});

describe('rescale_norm on every sparsifier', () => {
  const n = 2000;
  const shape = [40, 50];
  const dense = coarse(noise(n, 3, 0.02));
  const cases: [Sparsifier, number][] = [
    ['magnitude', 0.3],
    ['random', 0.4],
    ['magnitude_outliers', 0.5],
    ['della_magprune', 0.4],
  ];
  const opts = { gamma: 0.05, epsilon: 0.2, shape, rng: rng(0) };

  for (const [method, density] of cases) {
    for (const norm of ['l1', 'l2', 'linf', 'inverse_density'] as const) {
      it(`${method}, ${norm}: the masked delta times the reference factor`, () => {
        const masked = dense.slice();
        sparsify(masked, method, { ...opts, density, rescale: false });
        const factor = rescaleRef(dense, masked, norm, density);
        // (the largest magnitude may be kept: L-infinity can leave the values as they are)
        if (norm !== 'linf') expect(factor).not.toBe(1);
        const got = dense.slice();
        sparsify(got, method, { ...opts, density, rescale: true, rescaleNorm: norm });
        const want = [...masked].map((v) => Math.fround(v * factor));
        if (norm === 'linf' || norm === 'inverse_density') expect([...got]).toEqual(want);
        else expect(close([...got], want, 1e-6)).toBe(true);
      });
    }
  }

  it('leaves a norm under 1e-7 as it is (mergekit’s eps): all-zero and all-dropped deltas', () => {
    for (const norm of ['l2', 'linf'] as const) {
      const zeros = new Float32Array(100);
      sparsify(zeros, 'random', {
        density: 0.5,
        rescale: true,
        rescaleNorm: norm,
        shape: [100],
        rng: rng(0),
      });
      expect([...zeros].every((v) => v === 0)).toBe(true);
      // density 0 keeps nothing: no division by a zero norm
      const none = dense.slice();
      sparsify(none, 'random', { density: 0, rescale: true, rescaleNorm: norm, shape, rng: rng(0) });
      expect([...none].every((v) => v === 0)).toBe(true);
    }
    const none = dense.slice();
    sparsify(none, 'random', {
      density: 0,
      rescale: true,
      rescaleNorm: 'inverse_density',
      shape,
      rng: rng(0),
    });
    expect([...none].every((v) => v === 0)).toBe(true); // 1/0 never multiplies
  });

  it('without rescale the norm changes nothing', () => {
    const plain = dense.slice();
    sparsify(plain, 'magnitude', { density: 0.3, rescale: false, shape });
    for (const norm of ['l2', 'linf', 'inverse_density'] as const) {
      const x = dense.slice();
      sparsify(x, 'magnitude', { density: 0.3, rescale: false, rescaleNorm: norm, shape });
      expect(x).toEqual(plain);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The family kernel: the options reach the sparsifiers and the election, in any chunking

const FAMILY = ['ties', 'dare_ties', 'dare_linear', 'breadcrumbs_ties', 'della', 'della_linear'];

function runFamily(
  name: string,
  shape: readonly number[],
  chunk: number,
  c: Compat,
  round: (x: number) => number = Math.fround,
): Float32Array {
  const m = getMethod(name)!;
  const n = shape.reduce((a, b) => a * b, 1);
  const base = noise(n, 1, 0.05);
  const inputs = [2, 3, 4].map((s) => coarse(noise(n, s, 0.01).map((v, i) => base[i]! + v)));
  const out = new Float32Array(n);
  const global: Record<string, ParamValue> = Object.fromEntries(
    m.params.filter((p) => p.scope === 'global').map((p) => [p.name, p.default!]),
  );
  runStream(m.stream!, {
    src: arraySource(inputs, base, n),
    chunk,
    emit: (start, v) => out.set(v, start),
    shape,
    global: { ...global, rescale: true },
    perModel: [0.3, 0.5, 0.7].map((density, k) => ({
      weight: 0.4 + 0.1 * k,
      density,
      gamma: 0.02,
      epsilon: 0.2,
    })),
    round,
    rng,
    warn: () => undefined,
    compat: c,
  });
  return out;
}

describe('the family kernel with the options', () => {
  const options: Compat[] = (['l2', 'linf', 'inverse_density'] as const).flatMap((norm) => [
    compat('count', norm),
    compat('sum', norm),
  ]);
  for (const name of FAMILY) {
    it(`${name}: the same bytes whatever the chunking, and on the JS references`, () => {
      for (const c of options) {
        const whole = runFamily(name, [50, 100], 5000, c);
        expect(runFamily(name, [50, 100], 64, c), JSON.stringify(c)).toEqual(whole);
        expect(runFamily(name, [50, 100], 333, c), JSON.stringify(c)).toEqual(whole);
        expect(whole.some((v) => Number.isNaN(v))).toBe(false);
        const [simd, js] = simdAndJs(() => runFamily(name, [50, 100], 1000, c));
        expect(js, JSON.stringify(c)).toEqual(simd);
        expect(simd).toEqual(whole);
      }
    });
  }

  it('the defaults are mergekit’s: sum and l1 give what MERGEKIT_COMPAT gives', () => {
    for (const name of FAMILY)
      expect(runFamily(name, [50, 100], 777, compat('sum', 'l1'))).toEqual(
        runFamily(name, [50, 100], 777, MERGEKIT_COMPAT),
      );
  });

  it('the options change the numbers where they apply', () => {
    expect(differs('ties', compat('count'))).toBe(true);
    expect(differs('dare_ties', compat('sum', 'inverse_density'))).toBe(true);
    expect(differs('della_linear', compat('sum', 'l2'))).toBe(true);
    // no sign election: consensus is ignored
    expect(differs('dare_linear', compat('count'))).toBe(false);
  });

  it('DELLA on a 3-D tensor (strided vectors): L2 and L-infinity in any chunking', () => {
    for (const norm of ['l2', 'linf', 'inverse_density'] as const) {
      const c = compat('count', norm);
      const whole = runFamily('della', [4, 30, 25], 3000, c);
      expect(runFamily('della', [4, 30, 25], 64, c)).toEqual(whole);
      expect(runFamily('della', [4, 30, 25], 700, c)).toEqual(whole);
      expect(whole).not.toEqual(runFamily('della', [4, 30, 25], 3000, MERGEKIT_COMPAT));
    }
  });

  it('dare_ties with count and 1 / density equals the reference built from its masks', () => {
    const n = 3000;
    const base = noise(n, 1, 0.05);
    const inputs = [2, 3, 4].map((s) => coarse(noise(n, s, 0.01).map((v, i) => base[i]! + v)));
    const densities = [0.3, 0.5, 0.7];
    const w = [0.4, 0.5, 0.6];
    const got = run('dare_ties', {
      inputs: inputs.map((x) => [...x]),
      base: [...base],
      perModel: densities.map((density, k) => ({ weight: w[k]!, density })),
      seed: 7,
      compat: compat('count', 'inverse_density'),
    }).out;
    const deltas = inputs.map((x, k) => {
      const d = x.map((v, i) => v - base[i]!);
      sparsify(d, 'random', { density: densities[k]!, rescale: false, shape: [n], rng: testRng(k) });
      const s = Math.fround(1 / densities[k]!);
      return d.map((v) => v * s);
    });
    // dare_ties: normalize off by default
    expect(close(got, consensusRef(deltas, w.map(Math.fround), base, 'count', false))).toBe(true);
  });

  it('count consensus in bf16 arithmetic: the same in any chunking', () => {
    const c = compat('count', 'l2');
    expect(runFamily('ties', [50, 100], 100, c, roundToBf16)).toEqual(
      runFamily('ties', [50, 100], 5000, c, roundToBf16),
    );
  });
});

/** The RNG test-helpers' run() gives input k (seed 7). */
const testRng = (k: number) => makeRng(streamKey(7, 'test', k));
