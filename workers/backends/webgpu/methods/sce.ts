/**
 * SCE on the GPU: task vectors, the variance selection with its CPU-checked band (see
 * wgsl/sce.ts and sce-band.ts), weights from near-float64 sums of squares, then the sign
 * election and weighted mean.
 */
import { num, type KernelArgs } from '../../../methods/types.ts';
import { GpuUnsupportedError } from '../errors.ts';
import type { GpuContext } from '../gpu-context.ts';
import { totals } from '../ops/reduce.ts';
import { kthLargestKey } from '../ops/select.ts';
import { params } from '../params.ts';
import { BandBoundError, resolveBand, varianceKeyError, type BandElement } from '../sce-band.ts';
import { f64Pair } from '../wgsl/common.ts';
import { SUB_BASE } from '../wgsl/elementwise.ts';
import { APPLY, BAND, COMBINE, MARK, TINY_VARIANCE, VARIANCE } from '../wgsl/sce.ts';
import { perSegment, Workspace } from '../workspace.ts';
import { withWorkspace } from './run.ts';

/** Most band elements copied back; more means heavy ties, which the CPU handles as fast. */
const BAND_CAP = 1 << 16;

async function selectByVariance(ws: Workspace, m: number, topk: number): Promise<void> {
  const keys = ws.segments.map((seg) => ws.storage(seg.len * 4));
  const counts = ws.storage(8);
  ws.segments.forEach((seg, si) => {
    ws.dispatch(
      VARIANCE,
      params().u32(seg.len, m).f32(TINY_VARIANCE),
      [seg.buf, keys[si]!, counts],
      Workspace.groups(seg.len),
    );
  });
  const [nonzero, tiny] = await ws.readU32(counts, 2);
  if (tiny! > 0) throw new GpuUnsupportedError('sce: variances too small for the f32 error bound');
  // mergekit: k = int(count_nonzero(var) * select_topk), the product taken in float32.
  const k = Math.trunc(Math.fround(nonzero! * topk));
  const hiAll = 0xffffffff;
  if (k >= ws.n) return; // keep everything
  const apply = (hi: number): void =>
    ws.segments.forEach((seg, si) => {
      ws.dispatch(APPLY, params().u32(seg.len, m, hi), [seg.buf, keys[si]!], Workspace.groups(seg.len));
    });
  if (k <= 0) {
    apply(hiAll - 1); // every key (at most 0x7fffffff) is at or below: nothing kept
    return;
  }
  const cut = await kthLargestKey(ws, { mode: 1, slot: 0, buffers: keys }, k);
  const e = varianceKeyError(m);
  const lo = Math.max(0, cut - 2 * e);
  const hi = cut + 2 * e;
  ws.clear(counts);
  const band = ws.storage(BAND_CAP * (m + 1) * 4);
  ws.segments.forEach((seg, si) => {
    ws.dispatch(
      BAND,
      params().u32(seg.len, seg.start, m, lo, hi, BAND_CAP),
      [seg.buf, keys[si]!, counts, band],
      Workspace.groups(seg.len),
    );
  });
  const [above, inBand] = await ws.readU32(counts, 2);
  if (inBand! > BAND_CAP) throw new GpuUnsupportedError(`sce: ${inBand} elements tie at the cut`);
  const raw = await ws.read(band, 0, inBand! * (m + 1) * 4);
  const u = new Uint32Array(raw);
  const f = new Float32Array(raw);
  const elements: BandElement[] = [];
  for (let j = 0; j < inBand!; j++) {
    elements.push({ index: u[j * (m + 1)]!, entries: f.subarray(j * (m + 1) + 1, (j + 1) * (m + 1)) });
  }
  let kept: number[];
  try {
    kept = resolveBand(elements, k - above!, cut, e);
  } catch (err) {
    if (err instanceof BandBoundError) throw new GpuUnsupportedError(`sce: ${err.message}`);
    throw err;
  }
  if (kept.length > 0) {
    const keptBuf = ws.storageFrom(Uint32Array.from(kept));
    ws.segments.forEach((seg, si) => {
      ws.dispatch(
        MARK,
        params().u32(kept.length, seg.start, seg.len),
        [keptBuf, keys[si]!],
        Workspace.groups(kept.length),
      );
    });
  }
  apply(hi);
}

export async function sceGpu(ctx: GpuContext, a: KernelArgs): Promise<void> {
  // merge_studio.consensus: count is the CPU's alone
  if (a.compat.consensus !== 'sum')
    throw new GpuUnsupportedError(`sce: consensus ${a.compat.consensus} runs on the CPU`);
  const base = a.base!;
  const m = a.inputs.length;
  const n = a.out.length;
  if (m === 0) {
    a.out.set(base);
    return;
  }
  await withWorkspace(ctx, n, m + 2, {}, async (ws) => {
    a.inputs.forEach((x, k) => ws.upload(k, x));
    ws.upload(m, base);
    perSegment(ws, SUB_BASE, (seg) => params().u32(seg.len, m, m));
    const topk = num(a.global, 'select_topk');
    if (topk < 1) await selectByVariance(ws, m, topk);
    const sq = await totals(
      ws,
      a.inputs.map((_, k) => ({ a: k, b: k })),
    );
    let w = sq.map((s) => Math.fround(s / n));
    const wsum = w.reduce((x, v) => x + v, 0);
    w = Math.abs(wsum) < 1e-6 ? w.map(() => Math.fround(1 / m)) : w.map((v) => Math.fround(v / wsum));
    const [fHi, fLo] = f64Pair(1e-6);
    const wb = ws.storageFrom(Float32Array.from(w));
    perSegment(
      ws,
      COMBINE,
      (seg) =>
        params()
          .u32(seg.len, m, m, m + 1)
          .f32(fHi, fLo),
      [wb],
    );
    await ws.readSlot(m + 1, a.out);
  });
}
