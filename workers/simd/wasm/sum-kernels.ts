/**
 * DARE's random mask and the float64 sums (L1 norms for the rescale, the output statistics),
 * 4 elements a block.
 *
 * The mask draws from workers/rng.ts's counter-based hash, which is pure 32-bit integer work
 * (xor, shift, wrapping multiply) and so runs four lanes at a time. The sums keep four float64
 * partial sums, element i of the whole tensor into sum i mod 4 (a block's two halves into two
 * f64x2), so the result does not depend on chunking and the additions form two independent
 * chains; the JS reference (../sums.ts) keeps the same four sums.
 */
import { I32, V128, op, type Bytes, type FunctionDef } from '../wasm-builder.ts';
import { loadHalf } from './f64-lanes.ts';
import { forBlocks, locals } from './loops.ts';

/** workers/rng.ts mix32 on the i32x4 local `t`, in place (also used by della-kernels.ts). */
export function mix32(t: number): Bytes {
  const xorShift = (s: number): Bytes => [
    ...op.get(t), ...op.get(t), ...op.i32(s), ...op.i32x4ShrU, ...op.v128Xor, ...op.set(t),
  ]; // prettier-ignore
  const mul = (c: number): Bytes => [...op.get(t), ...op.i32x4Const(c | 0), ...op.i32x4Mul, ...op.set(t)];
  return [...xorShift(16), ...mul(0x21f0aaad), ...xorShift(15), ...mul(0x735a2d97), ...xorShift(15)];
}

/**
 * dare_mask(x, blocks, key, start, threshold): x[i] = 0 unless (hashAt(key, start + i) >>> 8) <
 * threshold, i.e. uniformAt(key, start + i) < p for threshold = ceil(p * 2^24).
 */
export function dareMaskKernel(): FunctionDef {
  const L = locals('x', 'blocks', 'key', 'start', 'threshold', 'idx', 'vkey', 'vth', 't');
  // prettier-ignore
  const body = [
    ...op.get(L.key), ...op.i32x4Splat, ...op.set(L.vkey),
    ...op.get(L.threshold), ...op.i32x4Splat, ...op.set(L.vth),
    ...op.get(L.start), ...op.i32x4Splat, ...op.i32x4Const(0, 1, 2, 3), ...op.i32x4Add, ...op.set(L.idx),
    ...forBlocks(L.blocks, [[L.x, 16]], [
      ...op.get(L.idx), ...op.get(L.vkey), ...op.v128Xor, ...op.set(L.t),
      ...mix32(L.t),
      ...op.get(L.t), ...op.get(L.vkey), ...op.i32x4Add, ...op.set(L.t),
      ...mix32(L.t),
      ...op.get(L.x), ...op.get(L.x), ...op.v128Load(0),
      ...op.get(L.t), ...op.i32(8), ...op.i32x4ShrU, ...op.get(L.vth), ...op.i32x4LtS, ...op.v128And,
      ...op.v128Store(0),
      ...op.get(L.idx), ...op.i32x4Const(4), ...op.i32x4Add, ...op.set(L.idx),
    ]),
  ];
  return { exportName: 'dare_mask', params: [I32, I32, I32, I32, I32], locals: [[4, V128]], body };
}

/**
 * l1(x, blocks, acc): the four f64 at acc += |x| by index mod 4 (lanes 0, 1 in one f64x2,
 * 2, 3 in the other: two independent chains of additions).
 */
export function l1Kernel(): FunctionDef {
  const L = locals('x', 'blocks', 'acc', 's0', 's1');
  const s = [L.s0, L.s1];
  // prettier-ignore
  const body = [
    ...op.get(L.acc), ...op.v128Load(0), ...op.set(L.s0),
    ...op.get(L.acc), ...op.v128Load(16), ...op.set(L.s1),
    ...forBlocks(L.blocks, [[L.x, 16]], ([0, 1] as const).flatMap((h) => [
      ...op.get(s[h]!), ...op.get(L.x), ...loadHalf(h), ...op.f64x2Abs, ...op.f64x2Add, ...op.set(s[h]!),
    ])),
    ...op.get(L.acc), ...op.get(L.s0), ...op.v128Store(0),
    ...op.get(L.acc), ...op.get(L.s1), ...op.v128Store(16),
  ];
  return { exportName: 'l1', params: [I32, I32, I32], locals: [[2, V128]], body };
}

/**
 * stats(out, base, blocks, acc): three sums of four f64 at acc (32 bytes each) += o^2,
 * (o - b)^2, b^2 by index mod 4; stats_out(out, blocks, acc): only o^2.
 */
export function statsKernel(withBase: boolean): FunctionDef {
  // Parameters (out, [base,] blocks, acc), then v128 locals.
  const [out, base, blocks, acc] = withBase ? [0, 1, 2, 3] : [0, -1, 1, 2];
  const [o, b, y] = [acc + 1, acc + 2, acc + 3];
  const sums = Array.from(
    { length: withBase ? 3 : 1 },
    (_, j) => [acc + 4 + 2 * j, acc + 5 + 2 * j] as const,
  );
  const square: Bytes = [...op.set(y), ...op.get(y), ...op.get(y), ...op.f64x2Mul];
  const add = (sum: number, value: Bytes): Bytes => [
    ...op.get(sum),
    ...value,
    ...square,
    ...op.f64x2Add,
    ...op.set(sum),
  ];
  const half = (h: 0 | 1): Bytes => [
    ...op.get(out), ...loadHalf(h), ...op.set(o),
    ...add(sums[0]![h], op.get(o)),
    ...(withBase
      ? [
          ...op.get(base), ...loadHalf(h), ...op.set(b),
          ...add(sums[1]![h], [...op.get(o), ...op.get(b), ...op.f64x2Sub]),
          ...add(sums[2]![h], op.get(b)),
        ]
      : []),
  ]; // prettier-ignore
  // prettier-ignore
  const body = [
    ...sums.flatMap(([s0, s1], j) => [
      ...op.get(acc), ...op.v128Load(32 * j), ...op.set(s0), ...op.get(acc), ...op.v128Load(32 * j + 16), ...op.set(s1),
    ]),
    ...forBlocks(blocks, withBase ? [[out, 16], [base, 16]] : [[out, 16]], [...half(0), ...half(1)]),
    ...sums.flatMap(([s0, s1], j) => [
      ...op.get(acc), ...op.get(s0), ...op.v128Store(32 * j), ...op.get(acc), ...op.get(s1), ...op.v128Store(32 * j + 16),
    ]),
  ];
  return {
    exportName: withBase ? 'stats' : 'stats_out',
    params: withBase ? [I32, I32, I32, I32] : [I32, I32, I32],
    locals: [[3 + 2 * sums.length, V128]],
    body,
  };
}
