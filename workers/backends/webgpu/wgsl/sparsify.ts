/**
 * The random sparsifiers: DARE's Bernoulli mask and DELLA's rank-dependent one. Both draw
 * uniform_at(stream key, element index), the same bits as rng.ts, so the masks equal the CPU's.
 *
 * DELLA ranks |delta| within each row: a bitonic sort of (key, column) pairs per row, padded
 * to a power of two with keys that sort last. The keep probability of each rank comes from a
 * table the CPU computes with the CPU kernel's own float arithmetic (della-table.ts), so no
 * GPU division decides a mask bit.
 */
import type { Kernel } from '../gpu-context.ts';
import { HASH, INDEX, MAIN } from './common.ts';

export const DARE_MASK: Kernel = {
  name: 'dare_mask',
  code: /* wgsl */ `${INDEX}${HASH}
struct P { len: u32, start: u32, slot: u32, key: u32, prob: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> s: array<f32>;
${MAIN}
  if (i >= p.len) { return; }
  let v = s[p.slot * p.len + i];
  s[p.slot * p.len + i] = select(0.0, v, uniform_at(p.key, p.start + i) < p.prob);
}`,
};

/** Fills the sort buffer: row r, position j < cols holds (|x| bits, j); padding (~0, j). */
export const SORT_INIT: Kernel = {
  name: 'della_sort_init',
  code: /* wgsl */ `${INDEX}
struct P { len: u32, slot: u32, cols: u32, pow2: u32, total: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> s: array<u32>;
@group(0) @binding(2) var<storage, read_write> pairs: array<vec2u>;
${MAIN}
  if (i >= p.total) { return; }
  let row = i / p.pow2;
  let j = i % p.pow2;
  if (j < p.cols) {
    pairs[i] = vec2u(s[p.slot * p.len + row * p.cols + j] & 0x7fffffffu, j);
  } else {
    pairs[i] = vec2u(0xffffffffu, j);
  }
}`,
};

/** One compare-exchange step (k, j) of an ascending bitonic sort within each row. */
export const SORT_STEP: Kernel = {
  name: 'della_sort_step',
  code: /* wgsl */ `${INDEX}
struct P { half_total: u32, pow2: u32, k: u32, j: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> pairs: array<vec2u>;
fn less(a: vec2u, b: vec2u) -> bool { return a.x < b.x || (a.x == b.x && a.y < b.y); }
${MAIN}
  if (i >= p.half_total) { return; }
  let half = p.pow2 / 2u;
  let row = i / half;
  let q = i % half;
  let a = (q / p.j) * 2u * p.j + (q % p.j);
  let b = a + p.j;
  let up = (a & p.k) == 0u;
  let ia = row * p.pow2 + a;
  let ib = row * p.pow2 + b;
  let x = pairs[ia];
  let y = pairs[ib];
  if (select(less(x, y), less(y, x), up)) {
    pairs[ia] = y;
    pairs[ib] = x;
  }
}`,
};

/** Keeps the element of rank r in its row with probability table[r]. */
export const DELLA_MASK: Kernel = {
  name: 'della_mask',
  code: /* wgsl */ `${INDEX}${HASH}
struct P { len: u32, start: u32, slot: u32, cols: u32, pow2: u32, key: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> s: array<f32>;
@group(0) @binding(2) var<storage, read> pairs: array<vec2u>;
@group(0) @binding(3) var<storage, read> table: array<f32>;
${MAIN}
  if (i >= p.len) { return; }
  let row = i / p.cols;
  let rank = i % p.cols;
  let c = pairs[row * p.pow2 + rank].y;
  let e = row * p.cols + c;
  let keep = uniform_at(p.key, p.start + e) < table[rank];
  if (!keep) { s[p.slot * p.len + e] = 0.0; }
}`,
};
