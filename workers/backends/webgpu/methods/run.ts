/**
 * The frame of every GPU method: error scopes around the run, a workspace destroyed whatever
 * happens, and small helpers for the per-segment dispatch loop.
 *
 * A GPU method reads `args.inputs` and `args.base` (uploads) and writes only `args.out`, at the
 * very end: when it throws, the inputs are intact and the CPU kernel can run on the same args.
 */
import type { KernelArgs } from '../../../methods/types.ts';
import { num } from '../../../methods/types.ts';
import type { GpuContext } from '../gpu-context.ts';
import { params } from '../params.ts';
import { perSegment, Workspace } from '../workspace.ts';

export type GpuMethod = (ctx: GpuContext, args: KernelArgs) => Promise<void>;

export interface WorkspaceOptions {
  readonly unit?: number;
  readonly bytesPerElement?: number;
}

export async function withWorkspace<T>(
  ctx: GpuContext,
  n: number,
  slots: number,
  opts: WorkspaceOptions,
  body: (ws: Workspace) => Promise<T>,
): Promise<T> {
  ctx.assertAlive();
  ctx.pushScopes();
  let popped = false;
  let ws: Workspace | undefined;
  try {
    ws = new Workspace(ctx, n, slots, opts);
    const result = await body(ws);
    ws.submit();
    popped = true;
    await ctx.popScopes();
    return result;
  } catch (e) {
    // A failed allocation makes later steps fail obscurely: report what the scopes caught
    // (out of memory: this tensor goes to the CPU) before the symptom.
    if (!popped) {
      popped = true;
      await ctx.popScopes();
    }
    throw e;
  } finally {
    ws?.destroy();
  }
}

/** Per-model weights rounded to f32, as the CPU kernels' `r(num(p, 'weight'))`. */
export function weightsOf(a: KernelArgs, name = 'weight'): number[] {
  return a.perModel.map((p) => Math.fround(num(p, name)));
}

export { params, perSegment };
