/**
 * Small vector kernels the sphere-based methods (slerp, nuslerp, multislerp, karcher, model
 * stock) are assembled from, between reductions whose results come back to the CPU. The CPU
 * kernels compute these steps in float64 and store float32; here they are float32 throughout,
 * except divisions and scalings by a float64 norm, which use the double-f32 helpers.
 */
import type { Kernel } from '../gpu-context.ts';
import { EFT, INDEX, MAIN } from './common.ts';

const SLOTS = /* wgsl */ `
@group(0) @binding(1) var<storage, read_write> s: array<f32>;
fn at(slot: u32, i: u32) -> f32 { return s[slot * p.len + i]; }
fn put(slot: u32, i: u32, v: f32) { s[slot * p.len + i] = v; }`;

function vkernel(name: string, struct: string, body: string, extra = ''): Kernel {
  return {
    name,
    code: `${INDEX}${EFT}
struct P { ${struct} }
@group(0) @binding(0) var<uniform> p: P;
${SLOTS}
${extra}
${MAIN}
  if (i >= p.len) { return; }
${body}
}`,
  };
}

/**
 * dst = sum_j coef[j] * slot[j], in order from 0 and rounded to f32 after each term, as the CPU
 * kernels' `out[i] = out[i] + c * x[i]` (float64 c, float32 store); coef are (hi, lo) pairs.
 */
export const MIX = vkernel(
  'mix',
  'len: u32, count: u32, dst: u32',
  `  var acc = 0.0;
  for (var j = 0u; j < p.count; j++) {
    let t = dd_add(dd_mul(coef[j], vec2f(at(slots[j], i), 0.0)), vec2f(acc, 0.0));
    acc = t.x + t.y;
  }
  put(p.dst, i, acc);`,
  `@group(0) @binding(2) var<storage, read> coef: array<vec2f>;
@group(0) @binding(3) var<storage, read> slots: array<u32>;`,
);

/**
 * dst = sum_j a[j] * (b[j] * slot[j] - c[j] * ref), double-f32 throughout and rounded once:
 * the tangent of multislerp and karcher. abc holds (hi, lo) pairs a, b, c per term.
 */
export const TANGENT = vkernel(
  'tangent',
  'len: u32, count: u32, dst: u32, ref_slot: u32',
  `  let r = vec2f(at(p.ref_slot, i), 0.0);
  var acc = vec2f(0.0, 0.0);
  for (var j = 0u; j < p.count; j++) {
    let x = vec2f(at(slots[j], i), 0.0);
    let inner = dd_add(dd_mul(abc[3u * j + 1u], x), -dd_mul(abc[3u * j + 2u], r));
    acc = dd_add(acc, dd_mul(abc[3u * j], inner));
  }
  put(p.dst, i, acc.x + acc.y);`,
  `@group(0) @binding(2) var<storage, read> abc: array<vec2f>;
@group(0) @binding(3) var<storage, read> slots: array<u32>;`,
);

/** slot = slot / d, d a float64 (hi, lo), rounded once (the CPU divides in float64). */
export const DIV_F64 = vkernel(
  'div_f64',
  'len: u32, slot: u32, hi: f32, lo: f32',
  '  put(p.slot, i, div_f64(vec2f(at(p.slot, i), 0.0), vec2f(p.hi, p.lo)));',
);

/** slot = slot * c, c a float64 (hi, lo), rounded once. */
export const MUL_F64 = vkernel(
  'mul_f64',
  'len: u32, slot: u32, hi: f32, lo: f32',
  '  put(p.slot, i, mul_f64(at(p.slot, i), vec2f(p.hi, p.lo)));',
);

export const FILL = vkernel('fill', 'len: u32, slot: u32, value: f32', '  put(p.slot, i, p.value);');

export const COPY = vkernel('copy', 'len: u32, src: u32, dst: u32', '  put(p.dst, i, at(p.src, i));');

/**
 * dst = alpha x + beta y. fused 0: f32 products and sum (slerp's fround(a v0) + fround(b v1));
 * fused 1: float64 alpha, beta as (hi, lo) and one rounding (karcher's update).
 */
export const AXPBY = vkernel(
  'axpby',
  'len: u32, x: u32, y: u32, dst: u32, fused: u32, a_hi: f32, a_lo: f32, b_hi: f32, b_lo: f32',
  `  let x = at(p.x, i);
  let y = at(p.y, i);
  if (p.fused == 0u) {
    put(p.dst, i, p.a_hi * x + p.b_hi * y);
  } else {
    let r = dd_add(dd_mul(vec2f(p.a_hi, p.a_lo), vec2f(x, 0.0)), dd_mul(vec2f(p.b_hi, p.b_lo), vec2f(y, 0.0)));
    put(p.dst, i, r.x + r.y);
  }`,
);

/**
 * dst = ca[v] x + cb[v] y, float64 coefficients (hi, lo), rounded once; then + base in f32
 * (nuslerp adds the base after storing). v is the element's vector: 0 for the whole tensor
 * (mode 0), its row (1: global index / cols) or its column (2: global index % cols).
 */
export const PER_VECTOR_COMBINE = vkernel(
  'per_vector_combine',
  'len: u32, start: u32, mode: u32, cols: u32, x: u32, y: u32, dst: u32, has_base: u32, base: u32',
  `  let gi = p.start + i;
  var v = 0u;
  if (p.mode == 1u) { v = gi / p.cols; } else if (p.mode == 2u) { v = gi % p.cols; }
  let t = dd_add(dd_mul(coef[2u * v], vec2f(at(p.x, i), 0.0)), dd_mul(coef[2u * v + 1u], vec2f(at(p.y, i), 0.0)));
  var r = t.x + t.y;
  if (p.has_base != 0u) { r = r + at(p.base, i); }
  put(p.dst, i, r);`,
  '@group(0) @binding(2) var<storage, read> coef: array<vec2f>;',
);

/** model stock's average: dst = (sum_k slot k for k < m) / m, the division rounded once. */
export const MEAN_OF = vkernel(
  'mean_of',
  'len: u32, m: u32, dst: u32',
  `  var acc = 0.0;
  for (var k = 0u; k < p.m; k++) { acc = acc + at(k, i); }
  put(p.dst, i, div_f64(vec2f(acc, 0.0), vec2f(f32(p.m), 0.0)));`,
);

/** multislerp's last step: dst = (m cos_a + t sin_a) avg_norm (+ base), one rounding. */
export const EXP_MAP = vkernel(
  'exp_map',
  `len: u32, m: u32, t: u32, dst: u32, has_base: u32, base: u32, cos_hi: f32, cos_lo: f32,
   sin_hi: f32, sin_lo: f32, norm_hi: f32, norm_lo: f32`,
  `  let u = dd_add(dd_mul(vec2f(p.cos_hi, p.cos_lo), vec2f(at(p.m, i), 0.0)),
                 dd_mul(vec2f(p.sin_hi, p.sin_lo), vec2f(at(p.t, i), 0.0)));
  var r = dd_mul(u, vec2f(p.norm_hi, p.norm_lo));
  if (p.has_base != 0u) { r = dd_add(r, vec2f(at(p.base, i), 0.0)); }
  put(p.dst, i, r.x + r.y);`,
);
