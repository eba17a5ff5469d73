/**
 * Multi-SLERP on the GPU, step for step as the CPU kernel: norms, the weighted mean of unit
 * vectors, its norm, the tangent, its norm, the exponential map. Each norm and dot product is
 * a reduction read back to the CPU, which computes the scalars in float64.
 *
 * When the weighted unit vectors cancel (antipodal inputs), the tensor goes to the CPU kernel,
 * which either raises its error for the user or takes its two-model shortcut.
 */
import { bool, num, type KernelArgs } from '../../../methods/types.ts';
import { GpuUnsupportedError } from '../errors.ts';
import type { GpuContext } from '../gpu-context.ts';
import { totals } from '../ops/reduce.ts';
import { divSlot, mix, tangent } from '../ops/vector.ts';
import { params } from '../params.ts';
import { f64Pair } from '../wgsl/common.ts';
import { SUB_BASE } from '../wgsl/elementwise.ts';
import { EXP_MAP } from '../wgsl/vector.ts';
import { perSegment } from '../workspace.ts';
import { withWorkspace } from './run.ts';

export async function multislerpGpu(ctx: GpuContext, a: KernelArgs): Promise<void> {
  const m = a.inputs.length;
  if (m === 1) {
    a.out.set(a.inputs[0]!);
    return;
  }
  const eps = num(a.global, 'eps');
  let w = a.perModel.map((p) => Math.fround(num(p, 'weight')));
  if (bool(a.global, 'normalize_weights')) {
    const s = w.reduce((x, y) => x + y, 0);
    w = w.map((x) => Math.fround(x / s));
  }
  const base = a.base;
  const hat = m + 1;
  const tan = m + 2;
  await withWorkspace(ctx, a.out.length, m + 3, {}, async (ws) => {
    a.inputs.forEach((x, k) => ws.upload(k, x));
    if (base) {
      ws.upload(m, base);
      perSegment(ws, SUB_BASE, (seg) => params().u32(seg.len, m, m));
    }
    const norms = (
      await totals(
        ws,
        a.inputs.map((_, k) => ({ a: k, b: k })),
      )
    ).map(Math.sqrt);
    const inv = norms.map((v) => 1 / (v + eps));
    mix(
      ws,
      hat,
      w.map((wk, k) => ({ slot: k, coef: wk * inv[k]! })),
    );
    const mNorm = Math.sqrt((await totals(ws, [{ a: hat, b: hat }]))[0]!);
    if (mNorm < eps) throw new GpuUnsupportedError('multislerp: the weighted unit vectors cancel out');
    divSlot(ws, hat, mNorm);
    const dots = (
      await totals(
        ws,
        a.inputs.map((_, k) => ({ a: k, b: hat })),
      )
    ).map((d, k) => d * inv[k]!);
    tangent(
      ws,
      tan,
      hat,
      w.map((wk, k) => ({ slot: k, a: wk, b: inv[k]!, c: dots[k]! })),
    );
    const tSq = (await totals(ws, [{ a: tan, b: tan }]))[0]!;
    const angle = Math.sqrt(tSq) + eps;
    const avgNorm = norms.reduce((s, v, k) => s + v * w[k]!, 0);
    const cosA = Math.cos(angle);
    const sinA = Math.sin(angle) / angle;
    perSegment(ws, EXP_MAP, (seg) =>
      params()
        .u32(seg.len, hat, tan, hat, base ? 1 : 0, m)
        .f32(...f64Pair(cosA), ...f64Pair(sinA), ...f64Pair(avgNorm)),
    );
    await ws.readSlot(hat, a.out);
  });
}
