/** Host wrappers of wgsl/vector.ts: one call, every segment. */
import { params } from '../params.ts';
import { f64Pair } from '../wgsl/common.ts';
import { AXPBY, COPY, DIV_F64, FILL, MIX, MUL_F64, TANGENT } from '../wgsl/vector.ts';
import { perSegment, type Workspace } from '../workspace.ts';

/** dst = sum of coef * slot over `terms`, in order. */
export function mix(ws: Workspace, dst: number, terms: readonly { slot: number; coef: number }[]): void {
  const coef = ws.storageFrom(Float32Array.from(terms.flatMap((t) => f64Pair(t.coef))));
  const slots = ws.storageFrom(Uint32Array.from(terms, (t) => t.slot));
  perSegment(ws, MIX, (seg) => params().u32(seg.len, terms.length, dst), [coef, slots]);
}

/** dst = sum of a * (b * slot - c * ref) over `terms`. */
export function tangent(
  ws: Workspace,
  dst: number,
  ref: number,
  terms: readonly { slot: number; a: number; b: number; c: number }[],
): void {
  const abc = ws.storageFrom(Float32Array.from(terms.flatMap((t) => [t.a, t.b, t.c].flatMap(f64Pair))));
  const slots = ws.storageFrom(Uint32Array.from(terms, (t) => t.slot));
  perSegment(ws, TANGENT, (seg) => params().u32(seg.len, terms.length, dst, ref), [abc, slots]);
}

/** slot = slot / d for a float64 d (one rounding, as the CPU's float64 division). */
export function divSlot(ws: Workspace, slot: number, d: number): void {
  const [hi, lo] = f64Pair(d);
  perSegment(ws, DIV_F64, (seg) => params().u32(seg.len, slot).f32(hi, lo));
}

/** slot = slot * c for a float64 c (one rounding). */
export function mulSlot(ws: Workspace, slot: number, c: number): void {
  const [hi, lo] = f64Pair(c);
  perSegment(ws, MUL_F64, (seg) => params().u32(seg.len, slot).f32(hi, lo));
}

export function fillSlot(ws: Workspace, slot: number, value: number): void {
  perSegment(ws, FILL, (seg) => params().u32(seg.len, slot).f32(value));
}

export function copySlot(ws: Workspace, src: number, dst: number): void {
  perSegment(ws, COPY, (seg) => params().u32(seg.len, src, dst));
}

/**
 * dst = alpha x + beta y: with `fused`, float64 alpha and beta and one rounding; without, f32
 * coefficients, products and sum.
 */
export function axpby(
  ws: Workspace,
  dst: number,
  x: number,
  alpha: number,
  y: number,
  beta: number,
  fused: boolean,
): void {
  const [aHi, aLo] = fused ? f64Pair(alpha) : [Math.fround(alpha), 0];
  const [bHi, bLo] = fused ? f64Pair(beta) : [Math.fround(beta), 0];
  perSegment(ws, AXPBY, (seg) =>
    params()
      .u32(seg.len, x, y, dst, fused ? 1 : 0)
      .f32(aHi!, aLo!, bHi!, bLo!),
  );
}

/** (hi, lo) pairs of float64 coefficients, flattened, for per-vector kernels. */
export function pairsOf(values: ArrayLike<number>): Float32Array {
  const out = new Float32Array(2 * values.length);
  for (let j = 0; j < values.length; j++) out.set(f64Pair(values[j]!), 2 * j);
  return out;
}
