/**
 * NuSLERP on the GPU: per vector (the whole tensor, each row, or each column) the three sums
 * a.a, b.b, a.b, the coefficients on the CPU in float64 as the CPU kernel, then one combine.
 * The CPU kernel divides (c0 a + c1 b) by sin theta in float64; here c0 / sin and c1 / sin are
 * float64 coefficients applied in double-f32, the same value up to float64 rounding.
 */
import { bool, num, type KernelArgs } from '../../../methods/types.ts';
import type { GpuContext } from '../gpu-context.ts';
import { blockSums, totals } from '../ops/reduce.ts';
import { pairsOf } from '../ops/vector.ts';
import { params } from '../params.ts';
import { COLUMN_DOTS } from '../wgsl/reduce.ts';
import { SUB_BASE } from '../wgsl/elementwise.ts';
import { PER_VECTOR_COMBINE } from '../wgsl/vector.ts';
import { perSegment, Workspace } from '../workspace.ts';
import { withWorkspace } from './run.ts';

/** [c_a, c_b] of one vector, from its sums (the CPU kernel's slerpVector). */
function coefficients(t: number, na: number, nb: number, ab: number): [number, number] {
  const cos = Math.min(1, Math.max(-1, ab / Math.max(Math.sqrt(na), 1e-7) / Math.max(Math.sqrt(nb), 1e-7)));
  const theta = Math.acos(cos);
  const sin = Math.sin(theta);
  if (Math.abs(sin) < 1e-8) return [1 - t, t];
  return [Math.sin((1 - t) * theta) / sin, Math.sin(t * theta) / sin];
}

async function columnSums(ws: Workspace, cols: number): Promise<Float64Array> {
  const acc = ws.storage(cols * 3 * 8);
  for (const seg of ws.segments) {
    ws.dispatch(COLUMN_DOTS, params().u32(seg.len, cols, 0, 1), [seg.buf, acc], Workspace.groups(cols));
  }
  const pairs = await ws.readF32(acc, cols * 6);
  const out = new Float64Array(cols * 3);
  for (let j = 0; j < cols * 3; j++) out[j] = pairs[2 * j]! + pairs[2 * j + 1]!;
  return out;
}

export async function nuslerpGpu(ctx: GpuContext, a: KernelArgs): Promise<void> {
  const wa = num(a.perModel[0]!, 'weight');
  const wb = num(a.perModel[1]!, 'weight');
  const t = Math.abs(wa + wb) < 1e-6 ? 0.5 : wb / (wa + wb);
  const n = a.out.length;
  const shape = a.shape;
  const flat = bool(a.global, 'nuslerp_flatten') || shape.length < 2;
  const rowWise = !flat && bool(a.global, 'nuslerp_row_wise');
  // mode 0: one vector; 1: rows of `cols`; 2: columns (vectors along dim 0, `cols` of them).
  const mode = flat ? 0 : rowWise ? 2 : 1;
  const cols = mode === 1 ? shape[shape.length - 1]! : mode === 2 ? n / shape[0]! : n;
  const base = a.base;
  const outSlot = base ? 3 : 2;
  await withWorkspace(ctx, n, outSlot + 1, { unit: mode === 0 ? 1 : cols }, async (ws) => {
    ws.upload(0, a.inputs[0]!);
    ws.upload(1, a.inputs[1]!);
    if (base) {
      ws.upload(2, base);
      perSegment(ws, SUB_BASE, (seg) => params().u32(seg.len, 2, 2));
    }
    let coef: Float64Array;
    if (mode === 0) {
      const [aa, bb, ab] = await totals(ws, [
        { a: 0, b: 0 },
        { a: 1, b: 1 },
        { a: 0, b: 1 },
      ]);
      coef = Float64Array.from(coefficients(t, aa!, bb!, ab!));
    } else {
      const vectors = mode === 1 ? n / cols : cols;
      let sums: (v: number, j: number) => number;
      if (mode === 1) {
        const [aa, bb, ab] = await blockSums(
          ws,
          [
            { a: 0, b: 0 },
            { a: 1, b: 1 },
            { a: 0, b: 1 },
          ],
          cols,
        );
        const rows = [aa!, bb!, ab!];
        sums = (v, j) => rows[j]![v]!;
      } else {
        const c = await columnSums(ws, cols);
        sums = (v, j) => c[3 * v + j]!;
      }
      coef = new Float64Array(2 * vectors);
      for (let v = 0; v < vectors; v++) coef.set(coefficients(t, sums(v, 0), sums(v, 1), sums(v, 2)), 2 * v);
    }
    const cb = ws.storageFrom(pairsOf(coef));
    perSegment(
      ws,
      PER_VECTOR_COMBINE,
      (seg) => params().u32(seg.len, seg.start, mode, cols, 0, 1, outSlot, base ? 1 : 0, 2),
      [cb],
    );
    await ws.readSlot(outSlot, a.out);
  });
}
