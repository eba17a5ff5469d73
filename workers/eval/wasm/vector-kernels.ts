/**
 * The elementwise kernels of the forward pass, 4 floats at a time: RMSNorm, and the
 * exponentials of SiLU in the MLP and of the softmax sums (attention and the loss). Math.exp costs about as much as all the matmuls of a
 * layer (measured: 40% of the time before these kernels), so exp is computed here with
 * Cephes' expf: n = round(x log2 e), r = x - n ln 2 (in two parts), a degree-6 polynomial for
 * e^r and 2^n built in the exponent bits; relative error about 1e-7 for x in [-87.3, 88.3],
 * inputs clamped to that range (e^-87.3 is the smallest normal float).
 */
import { op, F32, I32, V128, type Bytes, type FunctionDef } from '../../simd/wasm-builder.ts';

const LOG2E = 1.4426950408889634;
const LN2_HI = 0.693359375;
const LN2_LO = -2.1219444e-4;
const POLY = [
  1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1,
];
const X_MAX = 88.3;
const X_MIN = -87.3;

/** e^x of the v128 local `x`, left on the stack; `n` is a scratch v128 local. */
function exp4(x: number, n: number): Bytes {
  const horner = POLY.slice(1).flatMap((c) => [
    ...op.get(x),
    ...op.f32x4Mul,
    ...op.f32x4Const(c),
    ...op.f32x4Add,
  ]);
  // prettier-ignore
  return [
    ...op.get(x), ...op.f32x4Const(X_MAX), ...op.f32x4Min, ...op.f32x4Const(X_MIN), ...op.f32x4Max, ...op.set(x),
    ...op.get(x), ...op.f32x4Const(LOG2E), ...op.f32x4Mul, ...op.f32x4Nearest, ...op.set(n),
    ...op.get(x), ...op.get(n), ...op.f32x4Const(LN2_HI), ...op.f32x4Mul, ...op.f32x4Sub,
    ...op.get(n), ...op.f32x4Const(LN2_LO), ...op.f32x4Mul, ...op.f32x4Sub, ...op.set(x),
    ...op.f32x4Const(POLY[0]!), ...horner,
    ...op.get(x), ...op.get(x), ...op.f32x4Mul, ...op.f32x4Mul,
    ...op.get(x), ...op.f32x4Add, ...op.f32x4Const(1), ...op.f32x4Add,
    ...op.get(n), ...op.i32x4TruncSatF32x4S, ...op.i32(127), ...op.i32x4Splat, ...op.i32x4Add,
    ...op.i32(23), ...op.i32x4Shl, ...op.f32x4Mul,
  ];
}

/**
 * expsum(ptr, blocks, shift, scale) -> f32: x <- e^((x - shift) * scale) over `blocks` x 4
 * floats at `ptr`, in place, returning their sum.
 */
export function expSumKernel(): FunctionDef {
  const [ptr, blocks, shift, scale, end, x, n, acc, vShift, vScale] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const lanes = [1, 2, 3].flatMap((l) => [...op.get(acc), ...op.f32x4ExtractLane(l), ...op.f32Add]);
  return {
    exportName: 'expsum',
    params: [I32, I32, F32, F32],
    results: [F32],
    locals: [
      [1, I32],
      [5, V128],
    ],
    // prettier-ignore
    body: [
      ...op.get(shift), ...op.f32x4Splat, ...op.set(vShift),
      ...op.get(scale), ...op.f32x4Splat, ...op.set(vScale),
      ...op.v128Zero, ...op.set(acc),
      ...op.get(ptr), ...op.get(blocks), ...op.i32(16), ...op.mul, ...op.add, ...op.set(end),
      ...op.loop([
        ...op.get(ptr), ...op.v128Load(0), ...op.get(vShift), ...op.f32x4Sub, ...op.get(vScale), ...op.f32x4Mul, ...op.set(x),
        ...exp4(x, n), ...op.set(x),
        ...op.get(ptr), ...op.get(x), ...op.v128Store(0),
        ...op.get(acc), ...op.get(x), ...op.f32x4Add, ...op.set(acc),
        ...op.get(ptr), ...op.i32(16), ...op.add, ...op.tee(ptr), ...op.get(end), ...op.ltU, ...op.brIf(0),
      ]),
      ...op.get(acc), ...op.f32x4ExtractLane(0), ...lanes,
    ],
  };
}

/**
 * silumul(ptr, rows, blocks, dimBytes, ldBytes): over rows of [gate | up] at `ptr` (stride
 * ldBytes), gate <- silu(gate) * up for the first blocks x 4 columns.
 */
export function siluMulKernel(): FunctionDef {
  const [ptr, rows, blocks, dimBytes, ld, rend, p, end, x, n, g] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  return {
    exportName: 'silumul',
    params: [I32, I32, I32, I32, I32],
    locals: [
      [3, I32],
      [3, V128],
    ],
    // prettier-ignore
    body: [
      ...op.get(ptr), ...op.get(rows), ...op.get(ld), ...op.mul, ...op.add, ...op.set(rend),
      ...op.loop([
        ...op.get(ptr), ...op.set(p),
        ...op.get(ptr), ...op.get(blocks), ...op.i32(16), ...op.mul, ...op.add, ...op.set(end),
        ...op.loop([
          ...op.get(p), ...op.v128Load(0), ...op.tee(g), ...op.f32x4Neg, ...op.set(x),
          ...op.get(p),
          ...op.get(g), ...exp4(x, n), ...op.f32x4Const(1), ...op.f32x4Add, ...op.f32x4Div,
          ...op.get(p), ...op.get(dimBytes), ...op.add, ...op.v128Load(0), ...op.f32x4Mul,
          ...op.v128Store(0),
          ...op.get(p), ...op.i32(16), ...op.add, ...op.tee(p), ...op.get(end), ...op.ltU, ...op.brIf(0),
        ]),
        ...op.get(ptr), ...op.get(ld), ...op.add, ...op.tee(ptr), ...op.get(rend), ...op.ltU, ...op.brIf(0),
      ]),
    ],
  };
}

/**
 * rmsnorm(x, w, out, rows, blocks, invDim, eps): out[r] = (x[r] / sqrt(mean(x[r]^2) + eps)) * w
 * for rows of blocks x 4 floats, stored contiguously; float32 throughout, as transformers.
 */
export function rmsNormKernel(): FunctionDef {
  const [x, w, out, rows, blocks, invDim, eps, end, p, q, o, rowBytes] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
  ];
  const [acc, v, scale] = [12, 13, 14];
  const lanes = [1, 2, 3].flatMap((l) => [...op.get(acc), ...op.f32x4ExtractLane(l), ...op.f32Add]);
  return {
    exportName: 'rmsnorm',
    params: [I32, I32, I32, I32, I32, F32, F32],
    locals: [
      [5, I32],
      [3, V128],
    ],
    // prettier-ignore
    body: [
      ...op.get(blocks), ...op.i32(16), ...op.mul, ...op.set(rowBytes),
      ...op.get(x), ...op.get(rows), ...op.get(rowBytes), ...op.mul, ...op.add, ...op.set(end),
      ...op.loop([
        // sum of squares of the row
        ...op.v128Zero, ...op.set(acc),
        ...op.get(x), ...op.set(p),
        ...op.loop([
          ...op.get(p), ...op.v128Load(0), ...op.tee(v), ...op.get(v), ...op.f32x4Mul, ...op.get(acc), ...op.f32x4Add, ...op.set(acc),
          ...op.get(p), ...op.i32(16), ...op.add, ...op.tee(p), ...op.get(x), ...op.get(rowBytes), ...op.add, ...op.ltU, ...op.brIf(0),
        ]),
        ...op.f32(1),
        ...op.get(acc), ...op.f32x4ExtractLane(0), ...lanes, ...op.get(invDim), ...op.f32Mul, ...op.get(eps), ...op.f32Add,
        ...op.f32Sqrt, ...op.f32Div, ...op.f32x4Splat, ...op.set(scale),
        // out = (x * scale) * w
        ...op.get(x), ...op.set(p), ...op.get(w), ...op.set(q), ...op.get(out), ...op.set(o),
        ...op.loop([
          ...op.get(o), ...op.get(p), ...op.v128Load(0), ...op.get(scale), ...op.f32x4Mul, ...op.get(q), ...op.v128Load(0), ...op.f32x4Mul, ...op.v128Store(0),
          ...op.get(o), ...op.i32(16), ...op.add, ...op.set(o),
          ...op.get(q), ...op.i32(16), ...op.add, ...op.set(q),
          ...op.get(p), ...op.i32(16), ...op.add, ...op.tee(p), ...op.get(x), ...op.get(rowBytes), ...op.add, ...op.ltU, ...op.brIf(0),
        ]),
        ...op.get(out), ...op.get(rowBytes), ...op.add, ...op.set(out),
        ...op.get(x), ...op.get(rowBytes), ...op.add, ...op.tee(x), ...op.get(end), ...op.ltU, ...op.brIf(0),
      ]),
    ],
  };
}
