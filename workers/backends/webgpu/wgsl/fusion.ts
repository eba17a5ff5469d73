/**
 * Arcee Fusion's kernels: per-row KL divergence of the two models' softmaxes (one workgroup
 * per row), importance = |b - a| x KL, the seeded sample (over 1e6 elements), and the final
 * choice per element. The CPU kernel computes softmax and KL in float64; WGSL's f32 exp and log
 * make the importance differ slightly, so elements right at the threshold may choose the other
 * candidate (the tolerance of docs/webgpu.md).
 */
import type { Kernel } from '../gpu-context.ts';
import { EFT, HASH, INDEX, MAIN } from './common.ts';
import { SELECTED } from './select.ts';

/**
 * KL(softmax(b) + 1e-8 || softmax(a) + 1e-8) of each row, into kl[row]; the sums in
 * double-f32. `serial`: one thread per row (short rows: no barriers); otherwise one workgroup
 * per row with tree reductions.
 */
function rowKl(serial: boolean): Kernel {
  const loop = serial ? 'for (var j = 0u; j < p.cols; j++)' : 'for (var j = lid; j < p.cols; j += WG)';
  const tree = (v: string, op: string): string =>
    serial
      ? ''
      : `sh[lid] = ${v};
  workgroupBarrier();
  for (var st = 128u; st > 0u; st = st >> 1u) {
    if (lid < st) { sh[lid] = ${op}; }
    workgroupBarrier();
  }
  ${v} = sh[0];
  workgroupBarrier();`;
  const ddPair = 'vec4f(dd_add(sh[lid].xy, sh[lid + st].xy), dd_add(sh[lid].zw, sh[lid + st].zw))';
  return {
    name: serial ? 'fusion_row_kl_serial' : 'fusion_row_kl',
    code: /* wgsl */ `${INDEX}${EFT}
struct P { len: u32, cols: u32, rows: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> s: array<f32>;
@group(0) @binding(2) var<storage, read_write> kl: array<f32>;
${serial ? '' : 'var<workgroup> sh: array<vec4f, 256>;'}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let row = ${serial ? 'flat_id(wid, nwg, lid)' : 'flat_group(wid, nwg)'};
  if (row >= p.rows) { return; }
  let start = row * p.cols;
  // a: base (slot 0), b: the other model (slot 1). mx = (max a, max b, -, -).
  var mx = vec4f(-3.4e38, -3.4e38, 0.0, 0.0);
  ${loop} { mx = max(mx, vec4f(s[start + j], s[p.len + start + j], 0.0, 0.0)); }
  ${tree('mx', 'max(sh[lid], sh[lid + st])')}
  // sums of exp: (a hi, a lo, b hi, b lo)
  var sum = vec4f(0.0);
  ${loop} {
    let e = exp(vec2f(s[start + j], s[p.len + start + j]) - mx.xy);
    sum = vec4f(dd_add(sum.xy, vec2f(e.x, 0.0)), dd_add(sum.zw, vec2f(e.y, 0.0)));
  }
  ${tree('sum', ddPair)}
  let total = vec2f(sum.x + sum.y, sum.z + sum.w);
  var acc = vec4f(0.0);
  ${loop} {
    let e = exp(vec2f(s[start + j], s[p.len + start + j]) - mx.xy) / total + vec2f(1e-8, 1e-8);
    // p = softmax(b) (e.y), q = softmax(a) (e.x): p log(p / q)
    acc = vec4f(dd_add(acc.xy, vec2f(e.y * log(e.y / e.x), 0.0)), 0.0, 0.0);
  }
  ${tree('acc', ddPair)}
  ${serial ? 'kl[row] = acc.x + acc.y;' : 'if (lid == 0u) { kl[row] = acc.x + acc.y; }'}
}`,
  };
}

export const ROW_KL = rowKl(false);
export const ROW_KL_SERIAL = rowKl(true);

/** importance (slot 2) = |b - a| x kl[row]. */
export const IMPORTANCE: Kernel = {
  name: 'fusion_importance',
  code: /* wgsl */ `${INDEX}
struct P { len: u32, start: u32, cols: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> s: array<f32>;
@group(0) @binding(2) var<storage, read> kl: array<f32>;
${MAIN}
  if (i >= p.len) { return; }
  let row = (p.start + i) / p.cols;
  s[2u * p.len + i] = abs(s[p.len + i] - s[i]) * kl[row];
}`,
};

/** Appends the importance of the sampled elements (hash above the threshold) to `sample`. */
export const SAMPLE: Kernel = {
  name: 'fusion_sample',
  code: /* wgsl */ `${INDEX}${HASH}${SELECTED}
struct P { len: u32, start: u32, key: u32, t: u32, end: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> s: array<f32>;
@group(0) @binding(2) var<storage, read_write> count: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> sample: array<f32>;
${MAIN}
  if (i >= p.len) { return; }
  let gi = p.start + i;
  if (selected(hash_at(p.key, gi), gi, p.t, p.end)) {
    sample[atomicAdd(&count[0], 1u)] = s[2u * p.len + i];
  }
}`,
};

/** out (slot 3) = importance >= threshold ? a + (b - a) : a. */
export const CHOOSE: Kernel = {
  name: 'fusion_choose',
  code: /* wgsl */ `${INDEX}
struct P { len: u32, threshold: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> s: array<f32>;
${MAIN}
  if (i >= p.len) { return; }
  let a = s[i];
  let b = s[p.len + i];
  s[3u * p.len + i] = select(a, a + (b - a), s[2u * p.len + i] >= p.threshold);
}`,
};
