/**
 * Reductions: sums of products (dot products, squared norms) or of magnitudes (L1), per block
 * of elements or per row, each as a double-f32 pair (hi, lo). Each thread accumulates its
 * strided elements with exact products and two-sums, then the workgroup adds the 256 pairs in
 * a tree. The CPU adds the blocks' pairs in float64, so a whole-tensor sum is about as exact
 * as the CPU kernel's float64 loop, in a different order.
 */
import { EFT, INDEX } from './common.ts';
import type { Kernel } from '../gpu-context.ts';

/** mode 0: sum a * b; mode 1: sum |a|. One workgroup per block of `block_len` elements. */
export const BLOCK_REDUCE: Kernel = {
  name: 'block_reduce',
  code: /* wgsl */ `${INDEX}${EFT}
struct P { len: u32, block_len: u32, nblocks: u32, slot_a: u32, slot_b: u32, mode: u32, out_offset: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> s: array<f32>;
@group(0) @binding(2) var<storage, read_write> outp: array<vec2f>;
var<workgroup> sh: array<vec2f, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let block = flat_group(wid, nwg);
  if (block >= p.nblocks) { return; }
  let start = block * p.block_len;
  let end = min(start + p.block_len, p.len);
  var acc = vec2f(0.0, 0.0);
  for (var j = start + lid; j < end; j += WG) {
    let a = s[p.slot_a * p.len + j];
    if (p.mode == 0u) {
      acc = dd_add_prod(acc, a, s[p.slot_b * p.len + j]);
    } else {
      acc = dd_add(acc, vec2f(abs(a), 0.0));
    }
  }
  sh[lid] = acc;
  workgroupBarrier();
  for (var st = 128u; st > 0u; st = st >> 1u) {
    if (lid < st) { sh[lid] = dd_add(sh[lid], sh[lid + st]); }
    workgroupBarrier();
  }
  if (lid == 0u) { outp[p.out_offset + block] = sh[0]; }
}`,
};

/**
 * The same sums with one thread per block, for short rows (nuslerp and model stock per row on
 * small matrices): no workgroup barriers, which matter more than coalescing at this size.
 */
export const ROW_REDUCE_SERIAL: Kernel = {
  name: 'row_reduce_serial',
  code: /* wgsl */ `${INDEX}${EFT}
struct P { len: u32, block_len: u32, nblocks: u32, slot_a: u32, slot_b: u32, mode: u32, out_offset: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> s: array<f32>;
@group(0) @binding(2) var<storage, read_write> outp: array<vec2f>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let block = flat_id(wid, nwg, lid);
  if (block >= p.nblocks) { return; }
  let start = block * p.block_len;
  let end = min(start + p.block_len, p.len);
  var acc = vec2f(0.0, 0.0);
  for (var j = start; j < end; j++) {
    let a = s[p.slot_a * p.len + j];
    if (p.mode == 0u) {
      acc = dd_add_prod(acc, a, s[p.slot_b * p.len + j]);
    } else {
      acc = dd_add(acc, vec2f(abs(a), 0.0));
    }
  }
  outp[p.out_offset + block] = acc;
}`,
};

/**
 * Column sums for vectors along the first axis (nuslerp row-wise): element (r, c) of a segment
 * is r * cols + c. Thread c accumulates a.a, b.b and a.b over the segment's rows into
 * acc[3c .. 3c + 2], on top of what earlier segments left there.
 */
export const COLUMN_DOTS: Kernel = {
  name: 'column_dots',
  code: /* wgsl */ `${INDEX}${EFT}
struct P { len: u32, cols: u32, slot_a: u32, slot_b: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> s: array<f32>;
@group(0) @binding(2) var<storage, read_write> acc: array<vec2f>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let c = flat_id(wid, nwg, lid);
  if (c >= p.cols) { return; }
  var aa = acc[3u * c];
  var bb = acc[3u * c + 1u];
  var ab = acc[3u * c + 2u];
  for (var j = c; j < p.len; j += p.cols) {
    let a = s[p.slot_a * p.len + j];
    let b = s[p.slot_b * p.len + j];
    aa = dd_add_prod(aa, a, a);
    bb = dd_add_prod(bb, b, b);
    ab = dd_add_prod(ab, a, b);
  }
  acc[3u * c] = aa;
  acc[3u * c + 1u] = bb;
  acc[3u * c + 2u] = ab;
}`,
};
