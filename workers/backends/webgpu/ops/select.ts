/**
 * Exact top-k on the GPU: histogram passes (wgsl/select.ts) driven by radix-plan.ts, one
 * small readback per pass (at most 2048 counts), and a second select over indices only when
 * the cut falls inside a run of equal keys.
 */
import { params } from '../params.ts';
import { radixThreshold, tieEnd, type DigitQuery, type Histogram } from '../radix-plan.ts';
import { HISTOGRAM } from '../wgsl/select.ts';
import type { Workspace } from '../workspace.ts';

export interface KeySource {
  /**
   * 0: |x| bits of `slot`; 1: raw u32 of `slot` (of `buffers`, when given); 2: hash of the
   * index; 3: order-preserving u32 of a float of any sign (see ORDERED_KEY).
   */
  readonly mode: 0 | 1 | 2 | 3;
  readonly slot: number;
  readonly hashKey?: number;
  /** Key buffers, one per part, instead of the segments' slot buffers. */
  readonly buffers?: readonly GPUBuffer[];
  /** Select among these element ranges instead of the workspace's segments. */
  readonly parts?: readonly KeyPart[];
}

export interface KeyPart {
  readonly start: number;
  readonly len: number;
  readonly buf: GPUBuffer;
}

export interface GpuThreshold {
  /** Selected: key > key, or key === key and global index < end. */
  readonly key: number;
  readonly end: number;
}

/**
 * Workgroups per segment for a histogram pass: each flushes its 2048 local bins to global
 * memory, so each thread first loops over at least 64 elements; at most 1024 groups.
 */
function histogramGroups(len: number): number {
  return Math.min(1024, Math.max(1, Math.ceil(len / (64 * 256))));
}

function histogramOn(ws: Workspace, src: KeySource, hist: GPUBuffer, tieKey?: number): Histogram {
  return async (q: DigitQuery) => {
    ws.clear(hist);
    partsOf(ws, src).forEach((seg, si) => {
      const data = src.buffers?.[si] ?? seg.buf;
      const p = params().u32(
        seg.len,
        seg.start,
        src.slot,
        src.mode,
        src.hashKey ?? 0,
        tieKey === undefined ? 0 : 1,
        tieKey ?? 0,
        q.shift,
        (1 << q.bits) - 1,
        q.prefix,
        q.prefixMask,
      );
      ws.dispatch(HISTOGRAM, p, [data, hist], histogramGroups(seg.len));
    });
    return ws.readU32(hist, 1 << q.bits);
  };
}

function partsOf(ws: Workspace, src: KeySource): readonly KeyPart[] {
  return src.parts ?? ws.segments;
}

/** The threshold that keeps exactly k of the keys (k clamped as the CPU select). */
export async function selectTopK(ws: Workspace, src: KeySource, k: number): Promise<GpuThreshold> {
  const n = partsOf(ws, src).reduce((s, p) => s + p.len, 0);
  const hist = ws.storage(2048 * 4);
  const th = await radixThreshold(n, k, histogramOn(ws, src, hist));
  const end = await tieEnd(n, th, histogramOn(ws, src, hist, th.key));
  return { key: th.key, end };
}

/** Only the key of the k-th largest (no tie pass): quantiles and SCE's band centre. */
export async function kthLargestKey(ws: Workspace, src: KeySource, k: number): Promise<number> {
  const n = partsOf(ws, src).reduce((s, p) => s + p.len, 0);
  return (await radixThreshold(n, k, histogramOn(ws, src, ws.storage(2048 * 4)))).key;
}
