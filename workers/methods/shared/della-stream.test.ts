/**
 * DELLA ranks along dim 1, as mergekit's della_magprune (argsort(dim=1) after unsqueezing 1-D):
 * the rows up to 2-D, the strided vectors x[a, :, c...] from 3-D on. The kernels are checked
 * against a plain reference: sort each vector by |x| (ties by position), keep rank r iff the
 * element's 24-bit draw at its flat index is below the threshold of r, rescale by the L1 sums.
 */
import { describe, expect, it } from 'vitest';
import { hashAt, makeRng, mix32, streamKey } from '../../rng.ts';
import { Scratch } from '../../simd/arena.ts';
import { awkward, bitsOf, simdAndJs } from '../../simd/test-helpers.ts';
import { getMethod } from '../registry.ts';
import { arraySource, runStream } from '../stream.ts';
import { MERGEKIT_COMPAT, type ParamValue } from '../types.ts';
import { DellaPanels } from './della-panels.ts';
import { dellaAxis, dellaThresholds } from './della-rows.ts';
import { sparsify } from './sparsify.ts';
import { StreamSparsifier } from './sparsify-stream.ts';

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const keyOf = (k: number): number => streamKey(11, 'experts', k);

/** mergekit's della_magprune on one task vector, element by element, with our draws. */
function reference(
  x: Float32Array,
  shape: readonly number[],
  density: number,
  epsilon: number,
  key: number,
  rescale: boolean,
): Float32Array {
  const view = shape.length < 2 ? [1, ...shape] : shape; // unsqueeze(0)
  const [outer, len] = [view[0]!, view[1]!];
  const inner = numel(view.slice(2));
  const table = dellaThresholds(len, density, epsilon);
  const magnitude = new Uint32Array(x.buffer, x.byteOffset, x.length).map((b) => b & 0x7fffffff);
  const out = new Float32Array(x.length);
  for (let a = 0; a < outer; a++) {
    for (let c = 0; c < inner; c++) {
      const vector = Array.from({ length: len }, (_, o) => (a * len + o) * inner + c);
      vector.sort((i, j) => magnitude[i]! - magnitude[j]! || i - j);
      vector.forEach((i, rank) => (out[i] = hashAt(key, i) >>> 8 < table[rank]! ? x[i]! : 0));
    }
  }
  if (!rescale) return out;
  let before = 0;
  let after = 0;
  for (let i = 0; i < x.length; i++) {
    before += Math.abs(x[i]!);
    after += Math.abs(out[i]!);
  }
  if (before < 1e-7 || after < 1e-7) return out;
  const scale = Math.fround(before / after);
  return out.map((v) => v * scale);
}

/**
 * Deltas on a grid of 1/1024 with many equal magnitudes (ties), so float64 L1 sums are exact
 * in any order and the rescale factor is the reference's to the bit.
 */
const gridDeltas = (n: number, seed: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => ((mix32(i ^ mix32(seed)) % 81) - 40) / 1024);

interface Case {
  readonly name: string;
  readonly inputs: readonly Float32Array[];
  readonly base: Float32Array;
  readonly shape: readonly number[];
  readonly global: Readonly<Record<string, ParamValue>>;
  readonly perModel: readonly Readonly<Record<string, ParamValue>>[];
  readonly chunk: number;
}

/** A family member's stream kernel over whole arrays, in chunks of `chunk` elements. */
function merge(c: Case): Float32Array {
  const m = getMethod(c.name)!;
  const n = c.base.length;
  const out = new Float32Array(n);
  const defaults = Object.fromEntries(
    m.params.filter((p) => p.scope === 'global').map((p) => [p.name, p.default]),
  );
  runStream(m.stream!, {
    src: arraySource(c.inputs, c.base, n),
    chunk: c.chunk,
    emit: (start, v) => out.set(v, start),
    shape: c.shape,
    global: { ...defaults, ...c.global },
    perModel: c.perModel,
    round: Math.fround,
    rng: (k) => makeRng(keyOf(k)),
    warn: () => undefined,
    compat: MERGEKIT_COMPAT,
  });
  return out;
}

const SHAPES: readonly (readonly number[])[] = [
  [2, 5, 3],
  [2, 4, 3, 5],
  [3, 6, 70], // more strided vectors per slice than one panel holds
];
const MODELS = [
  { weight: 0.6, density: 0.5, epsilon: 0.2 },
  { weight: 0.5, density: 0.3, epsilon: 0.15 },
];

describe('DELLA ranks along dim 1', () => {
  it('the axis: rows up to 2-D, strided vectors from 3-D on', () => {
    expect(dellaAxis([])).toEqual({ cols: 1, stride: 1 });
    expect(dellaAxis([7])).toEqual({ cols: 7, stride: 1 });
    expect(dellaAxis([5, 7])).toEqual({ cols: 7, stride: 1 });
    expect(dellaAxis([2, 5, 3])).toEqual({ cols: 5, stride: 3 });
    expect(dellaAxis([2, 4, 3, 5])).toEqual({ cols: 4, stride: 15 });
  });

  // della_linear / della after the reference's pruning = dare_linear / dare_ties at density 1
  // (the same combination, no sparsifier); with a zero base the deltas are the inputs exactly.
  for (const [name, plain] of [
    ['della_linear', 'dare_linear'],
    ['della', 'dare_ties'],
  ] as const) {
    for (const shape of [[7, 9], [40], ...SHAPES]) {
      for (const rescale of [false, true]) {
        it(`${name} ${shape.join('x')}${rescale ? ', rescaled' : ''}: as the reference, in any chunking`, () => {
          const n = numel(shape);
          const inputs = [gridDeltas(n, 1), gridDeltas(n, 2)];
          const base = new Float32Array(n);
          const global = { rescale, normalize: true, lambda: 1.25 };
          const pruned = inputs.map((x, k) =>
            reference(x, shape, MODELS[k]!.density, MODELS[k]!.epsilon, keyOf(k), rescale),
          );
          const perModel = MODELS.map((p) => ({ ...p, density: 1 }));
          const expected = merge({ name: plain, inputs: pruned, base, shape, global, perModel, chunk: n });
          for (const chunk of [n, 16, 5, 1]) {
            const got = merge({ name, inputs, base, shape, global, perModel: MODELS, chunk });
            expect(bitsOf(got), `chunk ${chunk}`).toEqual(bitsOf(expected));
          }
          // one model of weight 1: the output is the pruned delta itself
          const alone = [{ ...MODELS[0]!, weight: 1 }];
          const one = merge({
            name,
            inputs: inputs.slice(0, 1),
            base,
            shape,
            global: { rescale },
            perModel: alone,
            chunk: 7,
          });
          expect(bitsOf(one)).toEqual(bitsOf(pruned[0]!));
          expect(pruned[0]!.some((v, i) => v === 0 && inputs[0]![i] !== 0)).toBe(true); // something dropped
        });
      }
    }
  }

  it('a 3-D tensor is not ranked along its last dim (what the kernel did before)', () => {
    const shape = [2, 5, 3];
    const x = gridDeltas(30, 3);
    const alongDim1 = reference(x, shape, 0.5, 0.3, keyOf(0), false);
    const alongLast = reference(x, [10, 3], 0.5, 0.3, keyOf(0), false);
    const got = x.slice();
    sparsify(got, 'della_magprune', {
      density: 0.5,
      epsilon: 0.3,
      rescale: false,
      rng: makeRng(keyOf(0)),
      shape,
    });
    expect(bitsOf(got)).toEqual(bitsOf(alongDim1));
    expect(bitsOf(got)).not.toEqual(bitsOf(alongLast));
  });

  it('the whole-array sparsifier (teaching views) too, on the JS references', () => {
    for (const shape of [[5, 7], ...SHAPES]) {
      for (const rescale of [false, true]) {
        const x = gridDeltas(numel(shape), 4);
        const got = x.slice();
        const rng = makeRng(keyOf(1));
        sparsify(got, 'della_magprune', { density: 0.4, epsilon: 0.25, rescale, rng, shape });
        expect(bitsOf(got), shape.join('x')).toEqual(
          bitsOf(reference(x, shape, 0.4, 0.25, keyOf(1), rescale)),
        );
      }
    }
  });

  it('panels narrower than a slice, read a row piece at a time (WebAssembly and JS alike)', () => {
    const shape = [2, 6, 45];
    const n = numel(shape);
    const x = gridDeltas(n, 5);
    for (const rescale of [false, true]) {
      const [simd, js] = simdAndJs((scratch: Scratch) => {
        const spec = {
          method: 'della_magprune' as const,
          density: 0.45,
          epsilon: 0.3,
          rescale,
          gamma: 0,
          rng: makeRng(keyOf(2)),
          shape,
          breadcrumbsQuirk: true,
        };
        const sp = new StreamSparsifier(spec, n, scratch);
        expect(sp.passes).toBe(1); // the kept bits are stored even without rescaling
        const panels = new DellaPanels(dellaAxis(shape), n, scratch, 64);
        expect(panels.width).toBe(10); // floor(64 / 6): pieces of 10, 10, 10, 10 and 5
        sp.beginPass();
        const pass = panels.pass([sp], [true], (into, start, len, _wanted, at) => {
          into.base.fill(0, at, at + len);
          into.deltas[0]!.set(x.subarray(start, start + len), at);
        });
        for (const _ of pass);
        sp.endPass(0);
        sp.beginPass();
        const got = x.slice();
        for (let at = 0; at < n; at += 37) sp.apply(got.subarray(at, at + 37), at, Math.fround);
        return bitsOf(got);
      });
      expect(simd).toEqual(js);
      expect(js).toEqual(bitsOf(reference(x, shape, 0.45, 0.3, keyOf(2), rescale)));
    }
  });

  it('a slice larger than the panel budget, end to end', () => {
    const shape = [1, 1100, 1000]; // panels of 953 and 47 vectors
    const n = numel(shape);
    const inputs = [gridDeltas(n, 6)];
    const base = new Float32Array(n);
    const perModel = [{ weight: 1, density: 0.5, epsilon: 0.25 }];
    const got = bitsOf(
      merge({
        name: 'della_linear',
        inputs,
        base,
        shape,
        global: { rescale: true },
        perModel,
        chunk: 1 << 16,
      }),
    );
    const expected = bitsOf(reference(inputs[0]!, shape, 0.5, 0.25, keyOf(0), true));
    expect(got.findIndex((b, i) => b !== expected[i])).toBe(-1); // toEqual is slow at this size
  });

  it('awkward data (ties, zeros of both signs, NaN, infinities): the same bytes in any chunking', () => {
    const shape = [3, 7, 45];
    const n = numel(shape);
    const c = {
      name: 'della',
      inputs: [awkward(n, 5, true), awkward(n, 6, true), awkward(n, 7)],
      base: awkward(n, 8),
      shape,
      global: { rescale: true },
      perModel: [...MODELS, { weight: 0.3, density: 0.6, epsilon: 0.1 }],
    };
    const whole = bitsOf(merge({ ...c, chunk: n }));
    for (const chunk of [1, 33, 400]) expect(bitsOf(merge({ ...c, chunk })), `chunk ${chunk}`).toEqual(whole);
  });
});
