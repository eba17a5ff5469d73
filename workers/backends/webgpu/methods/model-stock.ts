/**
 * Model Stock on the GPU: the fine-tunes' mean, the offsets from the base, the mean pairwise
 * cosine of the offsets (per tensor or per row) from GPU sums, and t per row on the CPU as the
 * CPU kernel computes it; out = t avg + (1 - t) base in double-f32, rounded once. Equal
 * weights only: a tensor with merge_studio.weights goes to the CPU (GpuUnsupportedError).
 */
import { bool, type KernelArgs } from '../../../methods/types.ts';
import { GpuUnsupportedError } from '../errors.ts';
import type { GpuContext } from '../gpu-context.ts';
import { blockSums, totals, type ReduceSpec } from '../ops/reduce.ts';
import { pairsOf } from '../ops/vector.ts';
import { params } from '../params.ts';
import { SUB_BASE } from '../wgsl/elementwise.ts';
import { MEAN_OF, PER_VECTOR_COMBINE } from '../wgsl/vector.ts';
import { perSegment } from '../workspace.ts';
import { withWorkspace } from './run.ts';

export async function modelStockGpu(ctx: GpuContext, a: KernelArgs): Promise<void> {
  // merge_studio.weights: the CPU's alone
  if (a.weights) throw new GpuUnsupportedError('model_stock: merge_studio.weights run on the CPU');
  const N = a.inputs.length;
  const n = a.out.length;
  const rowLen = bool(a.global, 'filter_wise') && a.shape.length >= 1 ? a.shape[a.shape.length - 1]! : n;
  const rows = n / rowLen;
  const avg = N + 1;
  // Norms first, then the pairs a < b, in the CPU kernel's order.
  const specs: ReduceSpec[] = a.inputs.map((_, k) => ({ a: k, b: k }));
  for (let x = 0; x < N; x++) for (let y = x + 1; y < N; y++) specs.push({ a: x, b: y });
  await withWorkspace(ctx, n, N + 2, { unit: rowLen === n ? 1 : rowLen }, async (ws) => {
    a.inputs.forEach((x, k) => ws.upload(k, x));
    ws.upload(N, a.base!);
    perSegment(ws, MEAN_OF, (seg) => params().u32(seg.len, N, avg));
    perSegment(ws, SUB_BASE, (seg) => params().u32(seg.len, N, N));
    const sums: ArrayLike<number>[] =
      rows === 1 ? (await totals(ws, specs)).map((v) => [v]) : await blockSums(ws, specs, rowLen);
    const coef = new Float64Array(2 * rows);
    for (let r = 0; r < rows; r++) {
      const norms = a.inputs.map((_, k) => Math.sqrt(sums[k]![r]!));
      let sum = 0;
      let pairs = 0;
      let j = N;
      for (let x = 0; x < N; x++) {
        for (let y = x + 1; y < N; y++) {
          const d = sums[j++]![r]!;
          sum += Math.min(1, Math.max(-1, d / Math.max(norms[x]! * norms[y]!, 1e-6)));
          pairs++;
        }
      }
      const cos = sum / pairs;
      const t = (N * cos) / (1 + (N - 1) * cos);
      coef[2 * r] = t;
      coef[2 * r + 1] = 1 - t;
    }
    const cb = ws.storageFrom(pairsOf(coef));
    perSegment(
      ws,
      PER_VECTOR_COMBINE,
      (seg) => params().u32(seg.len, seg.start, rows === 1 ? 0 : 1, rowLen, avg, N, avg, 0, 0),
      [cb],
    );
    await ws.readSlot(avg, a.out);
  });
}
