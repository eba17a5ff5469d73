/**
 * Karcher mean on the GPU: the CPU kernel's fixed-point iteration, with every vector update
 * on the GPU and the per-iteration scalars (cosines, angles, norms) read back and computed in
 * float64 on the CPU. The tangent accumulates in f32 here (float64 on the CPU). Equal weights
 * only: a tensor with merge_studio.weights goes to the CPU (GpuUnsupportedError).
 */
import { num, type KernelArgs } from '../../../methods/types.ts';
import { GpuUnsupportedError } from '../errors.ts';
import type { GpuContext } from '../gpu-context.ts';
import { totals } from '../ops/reduce.ts';
import { axpby, copySlot, divSlot, fillSlot, mix, mulSlot, tangent } from '../ops/vector.ts';
import { withWorkspace } from './run.ts';

export async function karcherGpu(ctx: GpuContext, a: KernelArgs): Promise<void> {
  // merge_studio.weights: the CPU's alone
  if (a.weights) throw new GpuUnsupportedError('karcher: merge_studio.weights run on the CPU');
  const n = a.out.length;
  const N = a.inputs.length;
  if (N === 1) {
    a.out.set(a.inputs[0]!);
    return;
  }
  const maxIter = num(a.global, 'max_iter');
  const tol = num(a.global, 'tol');
  const alpha = 1 / N;
  const u = N;
  const T = N + 1;
  await withWorkspace(ctx, n, N + 2, {}, async (ws) => {
    a.inputs.forEach((x, k) => ws.upload(k, x));
    const norms = (
      await totals(
        ws,
        a.inputs.map((_, k) => ({ a: k, b: k })),
      )
    ).map(Math.sqrt);
    norms.forEach((nk, k) => (nk === 0 ? fillSlot(ws, k, 0) : divSlot(ws, k, nk)));
    const valid = norms.flatMap((nk, k) => (nk > tol ? [k] : []));
    if (valid.length === 0) {
      fillSlot(ws, u, 0);
    } else {
      const w = 1 / valid.length;
      mix(
        ws,
        u,
        valid.map((k) => ({ slot: k, coef: w })),
      );
      const nu = Math.sqrt((await totals(ws, [{ a: u, b: u }]))[0]!);
      if (nu < tol) copySlot(ws, valid[0]!, u);
      else divSlot(ws, u, nu);
      for (let iter = 0; iter < maxIter; iter++) {
        const dots = await totals(
          ws,
          valid.map((k) => ({ a: u, b: k })),
        );
        const terms = valid.flatMap((k, j) => {
          const c = Math.min(1, Math.max(-1, dots[j]!));
          const theta = Math.acos(c);
          return theta < tol ? [] : [{ slot: k, a: (w * theta) / Math.sin(theta), b: 1, c }];
        });
        if (terms.length === 0) break; // T = 0, whose norm is below tol
        tangent(ws, T, u, terms);
        const nT = Math.sqrt((await totals(ws, [{ a: T, b: T }]))[0]!);
        if (nT < tol) break;
        axpby(ws, u, u, Math.cos(nT), T, Math.sin(nT) / nT, true);
        const nNew = Math.sqrt((await totals(ws, [{ a: u, b: u }]))[0]!);
        if (nNew > tol) divSlot(ws, u, nNew);
      }
      mulSlot(
        ws,
        u,
        norms.reduce((acc, v) => acc + alpha * v, 0),
      );
    }
    await ws.readSlot(u, a.out);
  });
}
