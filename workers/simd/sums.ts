/**
 * DARE's random mask and the float64 sums of the merge (the L1 / L2 norms of DARE / DELLA /
 * TIES rescale, the output's change statistics), as JS references and WebAssembly kernels with
 * the same bits, and the L-infinity norm (a maximum: the same in any order, JS only).
 *
 * Sums keep four float64 partial sums, element i of the tensor into sum i mod 4 (the kernels'
 * two f64x2 accumulators), added as (s0 + s1) + (s2 + s3) at the end. Which sum an element
 * joins depends on its index in the tensor, not in the chunk, so the totals do not depend on
 * chunking; four chains of additions instead of one also run faster, in JS too.
 */
import { uniformAt } from '../rng.ts';
import { PARAMS } from './arena.ts';
import { wasmFor, whole } from './dispatch.ts';

/** Four partial sums by index mod 4; `total` adds them. */
export type QuadSum = [number, number, number, number];
export const quadSum = (): QuadSum => [0, 0, 0, 0];
export const total = (s: QuadSum): number => s[0] + s[1] + (s[2] + s[3]);

/** The 24-bit integer bound with (hash >>> 8) < t  <=>  uniformAt(...) < p, for float32 p. */
export const dareThreshold = (p: number): number => Math.ceil(Math.fround(p) * 16777216);

// ---------------------------------------------------------------------------------------------
// JS references

/** x[i] = 0 unless uniformAt(key, start + i) < p (p a float32 probability). */
export function dareMaskJs(x: Float32Array, key: number, start: number, p: number): void {
  for (let i = 0; i < x.length; i++) if (!(uniformAt(key, start + i) < p)) x[i] = 0;
}

/** s[(start + i) mod 4] += |x[i]|. */
export function l1Js(x: Float32Array, start: number, s: QuadSum): void {
  const n = x.length;
  let i = 0;
  for (; i < n && ((start + i) & 3) !== 0; i++) s[(start + i) & 3] = s[(start + i) & 3]! + Math.abs(x[i]!);
  let [a, b, c, d] = s;
  for (; i + 3 < n; i += 4) {
    a += Math.abs(x[i]!);
    b += Math.abs(x[i + 1]!);
    c += Math.abs(x[i + 2]!);
    d += Math.abs(x[i + 3]!);
  }
  s[0] = a;
  s[1] = b;
  s[2] = c;
  s[3] = d;
  for (; i < n; i++) s[(start + i) & 3] = s[(start + i) & 3]! + Math.abs(x[i]!);
}

export interface OutputSums {
  readonly sumSq: QuadSum;
  readonly diffSq: QuadSum;
  readonly baseSq: QuadSum;
}

export const outputSums = (): OutputSums => ({ sumSq: quadSum(), diffSq: quadSum(), baseSq: quadSum() });

/** sumSq += o^2 and, with a base, diffSq += (o - b)^2, baseSq += b^2, into sum (start + i) mod 4. */
export function statsJs(
  out: Float32Array,
  base: Float32Array | undefined,
  start: number,
  s: OutputSums,
): void {
  const n = out.length;
  let i = 0;
  // one by one up to an index divisible by 4, then four at a time in locals, then the rest
  const one = (k: number): void => {
    const j = (start + k) & 3;
    const o = out[k]!;
    s.sumSq[j] = s.sumSq[j]! + o * o;
    if (base) {
      const b = base[k]!;
      s.diffSq[j] = s.diffSq[j]! + (o - b) * (o - b);
      s.baseSq[j] = s.baseSq[j]! + b * b;
    }
  };
  for (; i < n && ((start + i) & 3) !== 0; i++) one(i);
  if (base) i = stats4(out, base, i, s);
  else {
    let [q0, q1, q2, q3] = s.sumSq;
    for (; i + 3 < n; i += 4) {
      const [o0, o1, o2, o3] = [out[i]!, out[i + 1]!, out[i + 2]!, out[i + 3]!];
      q0 += o0 * o0;
      q1 += o1 * o1;
      q2 += o2 * o2;
      q3 += o3 * o3;
    }
    s.sumSq.splice(0, 4, q0, q1, q2, q3);
  }
  for (; i < n; i++) one(i);
}

/** statsJs's four-at-a-time loop with a base, from i (at an index divisible by 4); returns where it stopped. */
function stats4(out: Float32Array, base: Float32Array, from: number, s: OutputSums): number {
  let [q0, q1, q2, q3] = s.sumSq;
  let [d0, d1, d2, d3] = s.diffSq;
  let [b0, b1, b2, b3] = s.baseSq;
  let i = from;
  for (; i + 3 < out.length; i += 4) {
    const [o0, o1, o2, o3] = [out[i]!, out[i + 1]!, out[i + 2]!, out[i + 3]!];
    const [x0, x1, x2, x3] = [base[i]!, base[i + 1]!, base[i + 2]!, base[i + 3]!];
    q0 += o0 * o0;
    q1 += o1 * o1;
    q2 += o2 * o2;
    q3 += o3 * o3;
    d0 += (o0 - x0) * (o0 - x0);
    d1 += (o1 - x1) * (o1 - x1);
    d2 += (o2 - x2) * (o2 - x2);
    d3 += (o3 - x3) * (o3 - x3);
    b0 += x0 * x0;
    b1 += x1 * x1;
    b2 += x2 * x2;
    b3 += x3 * x3;
  }
  s.sumSq.splice(0, 4, q0, q1, q2, q3);
  s.diffSq.splice(0, 4, d0, d1, d2, d3);
  s.baseSq.splice(0, 4, b0, b1, b2, b3);
  return i;
}

// ---------------------------------------------------------------------------------------------
// Dispatch

/** Elements to hand to the JS reference first so the kernel starts at an index divisible by 4. */
const lead = (start: number, n: number): number => Math.min(n, (4 - (start & 3)) & 3);

/** DARE's mask in place: keep x[i] with probability p, drawn from (key, start + i). */
export function dareMask(x: Float32Array, key: number, start: number, p: number): void {
  const a = wasmFor(x);
  const m = a ? whole(x.length, 4) : 0;
  if (m > 0) a!.k.dareMask(x.byteOffset, m / 4, key | 0, start | 0, dareThreshold(p));
  if (m < x.length) dareMaskJs(x.subarray(m), key, start + m, Math.fround(p));
}

/** s += |x| (x holding elements start .. start + x.length - 1 of the tensor). */
export function l1(x: Float32Array, start: number, s: QuadSum): void {
  const a = wasmFor(x);
  const h = lead(start, x.length);
  const m = a ? whole(x.length - h, 4) : 0;
  if (h > 0 || m === 0) l1Js(m === 0 ? x : x.subarray(0, h), start, s);
  if (m === 0) return;
  const acc = new Float64Array(a!.buffer, PARAMS, 4);
  acc.set(s);
  a!.k.l1(x.byteOffset + 4 * h, m / 4, PARAMS);
  s.splice(0, 4, ...acc);
  if (h + m < x.length) l1Js(x.subarray(h + m), start + h + m, s);
}

/** s += x^2 (x holding elements start .. start + x.length - 1): the output statistics' sum. */
export function sumSq(x: Float32Array, start: number, s: QuadSum): void {
  outputStats(x, undefined, start, { sumSq: s, diffSq: quadSum(), baseSq: quadSum() });
}

/** s[0] = max(s[0], |x[i]|...), NaN once any is NaN (as torch's max); s[1..3] stay. */
export function maxAbs(x: Float32Array, s: QuadSum): void {
  let m = s[0];
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]!);
    if (a > m || a !== a) m = a;
  }
  s[0] = m;
}

/** The output statistics of a chunk (see statsJs). */
export function outputStats(
  out: Float32Array,
  base: Float32Array | undefined,
  start: number,
  s: OutputSums,
): void {
  const a = wasmFor(out, base);
  const h = lead(start, out.length);
  const m = a ? whole(out.length - h, 4) : 0;
  if (h > 0 || m === 0)
    statsJs(m === 0 ? out : out.subarray(0, h), m === 0 ? base : base?.subarray(0, h), start, s);
  if (m === 0) return;
  const acc = new Float64Array(a!.buffer, PARAMS, 12);
  const sums = [s.sumSq, s.diffSq, s.baseSq];
  sums.forEach((q, j) => acc.set(q, 4 * j));
  if (base) a!.k.stats(out.byteOffset + 4 * h, base.byteOffset + 4 * h, m / 4, PARAMS);
  else a!.k.statsOut(out.byteOffset + 4 * h, m / 4, PARAMS);
  sums.forEach((q, j) => q.splice(0, 4, ...acc.subarray(4 * j, 4 * j + 4)));
  if (h + m < out.length) statsJs(out.subarray(h + m), base?.subarray(h + m), start + h + m, s);
}
