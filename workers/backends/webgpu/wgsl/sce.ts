/**
 * SCE's kernels. The selection ranks elements by the variance of their task-vector entries,
 * which the CPU kernel computes in float64 and rounds to f32. In f32 the GPU's variance can be
 * a few ulps off, and with quantised (bf16) weights exact ties are common, so a GPU-only
 * ranking would pick different elements at the cut. Instead:
 *
 * 1. VARIANCE: an f32 variance with a proven error bound, from pairwise differences
 *    (sum over a < b of (x_a - x_b)^2 / m^2: every term positive, no cancellation), as a key.
 * 2. The GPU finds the k-th largest key; elements whose key is within the error bound of it
 *    (the band) are copied out (BAND) and re-ranked on the CPU with the CPU kernel's float64
 *    formula; those it keeps are marked (MARK). Outside the band the order is certain.
 * 3. APPLY zeroes what is not kept, COMBINE elects signs and averages by weight with
 *    double-f32 sums, like the CPU kernel's float64 ones.
 */
import type { Kernel } from '../gpu-context.ts';
import { EFT, INDEX, MAIN } from './common.ts';

/** Below this variance the f32 error bound no longer holds (squares may be subnormal). */
export const TINY_VARIANCE = 2 ** -100;

export const VARIANCE: Kernel = {
  name: 'sce_variance',
  code: /* wgsl */ `${INDEX}
struct P { len: u32, m: u32, tiny: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> s: array<f32>;
@group(0) @binding(2) var<storage, read_write> keys: array<u32>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;
var<workgroup> local: array<atomic<u32>, 2>;
fn at(slot: u32, i: u32) -> f32 { return s[slot * p.len + i]; }

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid);
  if (i < p.len) {
    let x0 = at(0u, i);
    var equal = true;
    var sum = 0.0;
    for (var a = 0u; a < p.m; a++) {
      let xa = at(a, i);
      if (xa != x0) { equal = false; }
      for (var b = a + 1u; b < p.m; b++) {
        let d = xa - at(b, i);
        sum = sum + d * d;
      }
    }
    let v = sum / f32(p.m * p.m);
    if (equal) {
      keys[i] = 0u;
    } else {
      keys[i] = bitcast<u32>(v) & 0x7fffffffu;
      atomicAdd(&local[0], 1u);
      if (!(v >= p.tiny)) { atomicAdd(&local[1], 1u); }
    }
  }
  workgroupBarrier();
  if (lid < 2u) {
    let c = atomicLoad(&local[lid]);
    if (c > 0u) { atomicAdd(&counts[lid], c); }
  }
}`,
};

/** Counts keys above `hi` (counts[0]) and copies out those in [lo, hi] with their entries. */
export const BAND: Kernel = {
  name: 'sce_band',
  code: /* wgsl */ `${INDEX}
struct P { len: u32, start: u32, m: u32, lo: u32, hi: u32, cap: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> s: array<f32>;
@group(0) @binding(2) var<storage, read> keys: array<u32>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> band: array<u32>;
var<workgroup> above: atomic<u32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid);
  if (i < p.len) {
    let key = keys[i];
    if (key > p.hi) {
      atomicAdd(&above, 1u);
    } else if (key >= p.lo) {
      let j = atomicAdd(&counts[1], 1u);
      if (j < p.cap) {
        let w = (p.m + 1u) * j;
        band[w] = p.start + i;
        for (var k = 0u; k < p.m; k++) { band[w + 1u + k] = bitcast<u32>(s[k * p.len + i]); }
      }
    }
  }
  workgroupBarrier();
  if (lid == 0u) {
    let c = atomicLoad(&above);
    if (c > 0u) { atomicAdd(&counts[0], c); }
  }
}`,
};

/** Marks the band elements the CPU kept: their key becomes ~0, above every band. */
export const MARK: Kernel = {
  name: 'sce_mark',
  code: /* wgsl */ `${INDEX}
struct P { count: u32, start: u32, len: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> kept: array<u32>;
@group(0) @binding(2) var<storage, read_write> keys: array<u32>;
${MAIN}
  if (i >= p.count) { return; }
  let gi = kept[i];
  if (gi >= p.start && gi - p.start < p.len) { keys[gi - p.start] = 0xffffffffu; }
}`,
};

/** Zeroes every task-vector entry of the elements whose key is not above `hi`. */
export const APPLY: Kernel = {
  name: 'sce_apply',
  code: /* wgsl */ `${INDEX}
struct P { len: u32, m: u32, hi: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> s: array<f32>;
@group(0) @binding(2) var<storage, read> keys: array<u32>;
${MAIN}
  if (i >= p.len) { return; }
  if (keys[i] <= p.hi) {
    for (var k = 0u; k < p.m; k++) { s[k * p.len + i] = 0.0; }
  }
}`,
};

/** Sign election on the unweighted entries, weighted mean of the agreeing ones, + base. */
export const COMBINE: Kernel = {
  name: 'sce_combine',
  code: /* wgsl */ `${INDEX}${EFT}
struct P { len: u32, m: u32, base_slot: u32, out_slot: u32, floor_hi: f32, floor_lo: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> s: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
fn at(slot: u32, i: u32) -> f32 { return s[slot * p.len + i]; }
${MAIN}
  if (i >= p.len) { return; }
  var sum = vec2f(0.0, 0.0);
  for (var k = 0u; k < p.m; k++) { sum = dd_add(sum, vec2f(at(k, i), 0.0)); }
  let elected = select(-1.0, 1.0, sum.x >= 0.0);
  var merged = vec2f(0.0, 0.0);
  var divisor = vec2f(0.0, 0.0);
  for (var k = 0u; k < p.m; k++) {
    let x = at(k, i);
    if (sign(x) == elected) {
      merged = dd_add_prod(merged, x, w[k]);
      divisor = dd_add(divisor, vec2f(w[k], 0.0));
    }
  }
  // max(divisor, 1e-6) in float64
  if (divisor.x < p.floor_hi || (divisor.x == p.floor_hi && divisor.y < p.floor_lo)) {
    divisor = vec2f(p.floor_hi, p.floor_lo);
  }
  s[p.out_slot * p.len + i] = at(p.base_slot, i) + div_f64(merged, divisor);
}`,
};
