/**
 * Arcee Fusion on the GPU: importance per element, the sample (all elements, or the 1e6 with
 * the largest seeded hashes, chosen exactly as the CPU by radix select), its quartiles by
 * radix select on order-preserving keys, the threshold in float64 as the CPU kernel, and the
 * per-element choice.
 */
import type { KernelArgs } from '../../../methods/types.ts';
import type { GpuContext } from '../gpu-context.ts';
import { kthLargestKey, selectTopK, type KeyPart } from '../ops/select.ts';
import { params } from '../params.ts';
import { floatOfOrderedKey } from '../radix-plan.ts';
import { CHOOSE, IMPORTANCE, ROW_KL, ROW_KL_SERIAL, SAMPLE } from '../wgsl/fusion.ts';
import { perSegment, Workspace } from '../workspace.ts';
import { withWorkspace } from './run.ts';

/** The CPU kernel's sample size (mergekit's torch.randperm sample). */
const SAMPLE_SIZE = 1_000_000;

export async function arceeFusionGpu(ctx: GpuContext, a: KernelArgs): Promise<void> {
  const n = a.out.length;
  const cols = a.shape.length >= 2 ? a.shape[a.shape.length - 1]! : n;
  await withWorkspace(ctx, n, 4, { unit: cols }, async (ws) => {
    ws.upload(0, a.base!);
    ws.upload(1, a.inputs[0]!);
    for (const seg of ws.segments) {
      const rows = seg.len / cols;
      const kl = ws.storage(rows * 4);
      // Short rows: a thread each; long rows: a workgroup each.
      const serial = cols <= 512;
      ws.dispatch(
        serial ? ROW_KL_SERIAL : ROW_KL,
        params().u32(seg.len, cols, rows),
        [seg.buf, kl],
        serial ? Workspace.groups(rows) : rows,
      );
      ws.dispatch(IMPORTANCE, params().u32(seg.len, 0, cols), [seg.buf, kl], Workspace.groups(seg.len));
    }
    let parts: readonly KeyPart[];
    let size: number;
    let slot: number;
    if (n <= SAMPLE_SIZE) {
      parts = ws.segments;
      size = n;
      slot = 2;
    } else {
      const key = a.rng(0).key;
      const th = await selectTopK(ws, { mode: 2, slot: 0, hashKey: key }, SAMPLE_SIZE);
      const count = ws.storage(4);
      const sample = ws.storage(SAMPLE_SIZE * 4);
      perSegment(ws, SAMPLE, (seg) => params().u32(seg.len, seg.start, key, th.key, th.end), [count, sample]);
      parts = [{ start: 0, len: SAMPLE_SIZE, buf: sample }];
      size = SAMPLE_SIZE;
      slot = 0;
    }
    // sorted[trunc(q (size - 1))] ascending is the (size - that)-th largest.
    const at = async (q: number): Promise<number> =>
      floatOfOrderedKey(await kthLargestKey(ws, { mode: 3, slot, parts }, size - Math.trunc(q * (size - 1))));
    const q50 = await at(0.5);
    const q75 = await at(0.75);
    const q25 = await at(0.25);
    const threshold = Math.fround(q50 + Math.fround(1.5 * Math.fround(q75 - q25)));
    perSegment(ws, CHOOSE, (seg) => params().u32(seg.len).f32(threshold));
    await ws.readSlot(3, a.out);
  });
}
