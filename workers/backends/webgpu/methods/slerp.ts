/**
 * SLERP on the GPU: three dot products (near-float64 sums, see wgsl/reduce.ts), the CPU
 * kernel's own coefficient function, then out = a v0 + b v1 with the same f32 coefficients.
 */
import { slerpCoefficients } from '../../../methods/slerp.ts';
import { num, type KernelArgs } from '../../../methods/types.ts';
import type { GpuContext } from '../gpu-context.ts';
import { totals } from '../ops/reduce.ts';
import { axpby } from '../ops/vector.ts';
import { withWorkspace } from './run.ts';

export async function slerpGpu(ctx: GpuContext, a: KernelArgs): Promise<void> {
  await withWorkspace(ctx, a.out.length, 3, {}, async (ws) => {
    ws.upload(0, a.base!);
    ws.upload(1, a.inputs[0]!);
    const [d, s0, s1] = await totals(ws, [
      { a: 0, b: 1 },
      { a: 0, b: 0 },
      { a: 1, b: 1 },
    ]);
    const n0 = Math.sqrt(s0!);
    const n1 = Math.sqrt(s1!);
    const cos = d! / (n0 > 1e-8 ? n0 : 1) / (n1 > 1e-8 ? n1 : 1);
    const c = slerpCoefficients(num(a.global, 't'), cos);
    axpby(ws, 2, 0, c.s0, 1, c.s1, false);
    await ws.readSlot(2, a.out);
  });
}
