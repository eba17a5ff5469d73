/**
 * WGSL shared by the kernels: thread indexing over a 2-D grid of 256-thread workgroups, the
 * counter-based hash of workers/rng.ts (the same 32-bit integer operations, so DARE / DELLA
 * masks are identical bit for bit), and error-free float transformations.
 *
 * The error-free transformations (two_sum, Dekker's two_prod, double-f32 pairs) let f32 GPUs
 * accumulate sums almost as exactly as the CPU's float64, and multiply or divide by a float64
 * parameter (lambda, nearswap's t) the way the CPU kernel does. WGSL allows an implementation
 * to fuse or reassociate; fusing keeps these exact, reassociating would only cost accuracy
 * (the tolerances in docs/webgpu.md), never correctness of the control flow.
 */
import type { Kernel } from '../gpu-context.ts';

export const INDEX = /* wgsl */ `
const WG: u32 = 256u;
fn flat_group(wid: vec3u, nwg: vec3u) -> u32 { return wid.y * nwg.x + wid.x; }
fn flat_id(wid: vec3u, nwg: vec3u, lid: u32) -> u32 { return flat_group(wid, nwg) * WG + lid; }
`;

/** Entry-point signature: `i` is the global thread index. */
export const MAIN = /* wgsl */ `
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid);`;

export const HASH = /* wgsl */ `
fn mix32(v: u32) -> u32 {
  var x = v;
  x = x ^ (x >> 16u);
  x = x * 0x21f0aaadu;
  x = x ^ (x >> 15u);
  x = x * 0x735a2d97u;
  x = x ^ (x >> 15u);
  return x;
}
fn hash_at(key: u32, index: u32) -> u32 { return mix32(mix32(index ^ key) + key); }
// 24 random bits times 2^-24: exact in f32, as in rng.ts.
fn uniform_at(key: u32, index: u32) -> f32 { return f32(hash_at(key, index) >> 8u) * (1.0 / 16777216.0); }
`;

export const EFT = /* wgsl */ `
fn two_sum(a: f32, b: f32) -> vec2f {
  let s = a + b;
  let bb = s - a;
  return vec2f(s, (a - (s - bb)) + (b - bb));
}
// Veltkamp split with 2^12 + 1: hi and lo have at most 12 significant bits each.
fn split(a: f32) -> vec2f {
  let c = 4097.0 * a;
  let hi = c - (c - a);
  return vec2f(hi, a - hi);
}
fn two_prod(a: f32, b: f32) -> vec2f {
  let p = a * b;
  let x = split(a);
  let y = split(b);
  return vec2f(p, ((x.x * y.x - p) + x.x * y.y + x.y * y.x) + x.y * y.y);
}
// Double-f32 sum (hi, lo) + (hi, lo), renormalised.
fn dd_add(a: vec2f, b: vec2f) -> vec2f {
  let s = two_sum(a.x, b.x);
  let e = s.y + (a.y + b.y);
  let hi = s.x + e;
  return vec2f(hi, e - (hi - s.x));
}
// Double-f32 product and quotient (about 44 bits; enough that rounding the result to f32 gives
// the float64 result rounded to f32 except in rare near-tie cases).
fn dd_mul(a: vec2f, b: vec2f) -> vec2f {
  let p = two_prod(a.x, b.x);
  let e = p.y + (a.x * b.y + a.y * b.x);
  let hi = p.x + e;
  return vec2f(hi, e - (hi - p.x));
}
fn dd_div(a: vec2f, b: vec2f) -> vec2f {
  let q1 = a.x / b.x;
  let r = dd_add(a, -dd_mul(vec2f(q1, 0.0), b));
  let q2 = r.x / b.x;
  let hi = q1 + q2;
  return vec2f(hi, q2 - (hi - q1));
}
// (hi, lo) + the exact product a * b.
fn dd_add_prod(acc: vec2f, a: f32, b: f32) -> vec2f { return dd_add(acc, two_prod(a, b)); }
// x * c for a float64 constant c = c.x + c.y, rounded once to f32 (as fround(x * c) in JS).
fn mul_f64(x: f32, c: vec2f) -> f32 {
  let p = two_prod(x, c.x);
  return p.x + (p.y + x * c.y);
}
// (t.x + t.y) / (d.x + d.y), float64 operands, result rounded to f32: one Newton correction.
fn div_f64(t: vec2f, d: vec2f) -> f32 {
  let q = t.x / d.x;
  let p = two_prod(q, d.x);
  let r = (((t.x - p.x) - p.y) + t.y) - q * d.y;
  return q + r / d.x;
}
`;

export function kernel(name: string, ...parts: string[]): Kernel {
  return { name, code: [INDEX, ...parts].join('\n') };
}

/** A float64 as the (hi, lo) pair of f32 that mul_f64 / div_f64 take. */
export function f64Pair(x: number): [number, number] {
  const hi = Math.fround(x);
  return [hi, Math.fround(x - hi)];
}

/** The smallest float32 strictly greater than `x`: `v > x` equals `v >= f32Above(x)` for f32 v. */
export function f32Above(x: number): number {
  const f = Math.fround(x);
  if (f > x) return f;
  const a = new Float32Array([f]);
  const u = new Int32Array(a.buffer);
  if (f === 0)
    u[0] = 1; // +0 or -0: the smallest positive subnormal
  else if (f > 0) u[0] = u[0]! + 1;
  else u[0] = u[0]! - 1;
  return a[0]!;
}
