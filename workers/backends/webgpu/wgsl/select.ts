/**
 * Radix select on the GPU: a histogram of one digit of 32-bit keys (among the keys whose
 * higher digits match the prefix chosen so far), and the mask that applies the threshold.
 * The CPU picks the bin between passes exactly as workers/methods/shared/select.ts does, so
 * the selected set is the CPU's, element for element, ties broken by lowest index.
 *
 * Keys: |x| bits of a slot (key_mode 0; non-negative floats order like their bits), raw u32
 * (1: keys precomputed in a buffer), the element's random hash (2: arcee_fusion's sample), or
 * any float made orderable (3).
 * With `by_index`, only elements whose key equals `eq_key` count, keyed by 0xffffffff - index:
 * the takeEqual lowest indices among the ties are the top takeEqual of those keys.
 */
import type { Kernel } from '../gpu-context.ts';
import { HASH, INDEX } from './common.ts';

/** Float bits to a u32 that orders like the float (negatives reversed below positives). */
export const ORDERED_KEY = /* wgsl */ `
fn ordered_key(bits: u32) -> u32 { return select(bits | 0x80000000u, ~bits, (bits & 0x80000000u) != 0u); }`;

const KEYS = /* wgsl */ `${ORDERED_KEY}
fn src_key(i: u32) -> u32 {
  let v = data[p.slot * p.len + i];
  if (p.key_mode == 0u) { return v & 0x7fffffffu; }
  if (p.key_mode == 1u) { return v; }
  if (p.key_mode == 3u) { return ordered_key(v); }
  return hash_at(p.hash_key, p.start + i);
}`;

export const HISTOGRAM: Kernel = {
  name: 'radix_histogram',
  code: /* wgsl */ `${INDEX}${HASH}
struct P { len: u32, start: u32, slot: u32, key_mode: u32, hash_key: u32, by_index: u32, eq_key: u32,
           shift: u32, mask: u32, prefix: u32, prefix_mask: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> data: array<u32>;
@group(0) @binding(2) var<storage, read_write> hist: array<atomic<u32>>;
var<workgroup> local: array<atomic<u32>, 2048>;
${KEYS}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  for (var b = lid; b <= p.mask; b += WG) { atomicStore(&local[b], 0u); }
  workgroupBarrier();
  let stride = nwg.x * nwg.y * WG;
  for (var i = flat_id(wid, nwg, lid); i < p.len; i += stride) {
    var key = src_key(i);
    if (p.by_index != 0u) {
      if (key != p.eq_key) { continue; }
      key = 0xffffffffu - (p.start + i);
    }
    if ((key & p.prefix_mask) != p.prefix) { continue; }
    atomicAdd(&local[(key >> p.shift) & p.mask], 1u);
  }
  workgroupBarrier();
  for (var b = lid; b <= p.mask; b += WG) {
    let v = atomicLoad(&local[b]);
    if (v > 0u) { atomicAdd(&hist[b], v); }
  }
}`,
};

const SELECTED = /* wgsl */ `
// Selected: key above the threshold, or equal to it with a global index below the cut.
fn selected(key: u32, gi: u32, t: u32, end: u32) -> bool { return key > t || (key == t && gi < end); }`;

/**
 * Zeroes the elements of a slot that are not kept, keys = |x| bits of that slot:
 * kept = selected(t1, end1) and not (has2 and selected(t2, end2)) (breadcrumbs' band).
 */
export const APPLY_SELECTION: Kernel = {
  name: 'apply_selection',
  code: /* wgsl */ `${INDEX}
struct P { len: u32, start: u32, slot: u32, t1: u32, end1: u32, has2: u32, t2: u32, end2: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> s: array<f32>;
${SELECTED}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid);
  if (i >= p.len) { return; }
  let v = s[p.slot * p.len + i];
  let key = bitcast<u32>(v) & 0x7fffffffu;
  let gi = p.start + i;
  let keep = selected(key, gi, p.t1, p.end1) && !(p.has2 != 0u && selected(key, gi, p.t2, p.end2));
  s[p.slot * p.len + i] = select(0.0, v, keep);
}`,
};

export { SELECTED };
