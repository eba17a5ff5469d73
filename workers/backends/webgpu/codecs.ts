/**
 * BF16 / F16 <-> float32 on the GPU, for when the engine uploads raw checkpoint bytes instead
 * of decoded float32 (half the transfer for 16-bit models). Same bits as workers/io/dtypes.ts.
 * Arrays larger than a binding are converted in chunks.
 */
import type { GpuContext } from './gpu-context.ts';
import { params } from './params.ts';
import { PACK_HALF, UNPACK_HALF } from './wgsl/codecs.ts';
import { Workspace } from './workspace.ts';

export type HalfDType = 'BF16' | 'F16';

const CODE: Readonly<Record<HalfDType, number>> = { BF16: 0, F16: 1 };

/** Elements per chunk: the f32 side must fit a binding; even, so words never split. */
function chunkElements(ctx: GpuContext): number {
  return Math.max(2, Math.floor(ctx.maxBindingBytes / 4 / 2) * 2);
}

async function bare<T>(ctx: GpuContext, body: (ws: Workspace) => Promise<T>): Promise<T> {
  ctx.assertAlive();
  ctx.pushScopes();
  let popped = false;
  const ws = new Workspace(ctx, 0, 0);
  try {
    const r = await body(ws);
    popped = true;
    await ctx.popScopes();
    return r;
  } catch (e) {
    if (!popped) {
      popped = true;
      await ctx.popScopes(); // what the scopes caught explains the failure best
    }
    throw e;
  } finally {
    ws.destroy();
  }
}

/** Little-endian 16-bit values (`bytes.length` = 2 n) to float32. */
export function decodeHalfOnGpu(ctx: GpuContext, bytes: Uint8Array, dtype: HalfDType): Promise<Float32Array> {
  const n = bytes.byteLength / 2;
  if (!Number.isInteger(n))
    throw new RangeError(`${bytes.byteLength} bytes is not a whole number of ${dtype}`);
  const out = new Float32Array(n);
  return bare(ctx, async (ws) => {
    const chunk = chunkElements(ctx);
    for (let s = 0; s < n; s += chunk) {
      const len = Math.min(chunk, n - s);
      const words = new Uint32Array(Math.ceil(len / 2));
      new Uint8Array(words.buffer).set(bytes.subarray(2 * s, 2 * (s + len)));
      const src = ws.storageFrom(words);
      const dst = ws.storage(len * 4);
      ws.dispatch(UNPACK_HALF, params().u32(len, CODE[dtype]), [src, dst], Workspace.groups(len));
      out.set(new Float32Array(await ws.read(dst, 0, len * 4)), s);
      src.destroy();
      dst.destroy();
    }
    return out;
  });
}

/** float32 to little-endian 16-bit values, rounding to nearest even. */
export function encodeHalfOnGpu(
  ctx: GpuContext,
  values: Float32Array,
  dtype: HalfDType,
): Promise<Uint8Array> {
  const n = values.length;
  const out = new Uint8Array(2 * n);
  return bare(ctx, async (ws) => {
    const chunk = chunkElements(ctx);
    for (let s = 0; s < n; s += chunk) {
      const len = Math.min(chunk, n - s);
      const bits = new Uint32Array(values.buffer, values.byteOffset + 4 * s, len);
      const src = ws.storageFrom(bits);
      const words = Math.ceil(len / 2);
      const dst = ws.storage(words * 4);
      ws.dispatch(PACK_HALF, params().u32(len, CODE[dtype]), [src, dst], Workspace.groups(words));
      out.set(new Uint8Array(await ws.read(dst, 0, words * 4)).subarray(0, 2 * len), 2 * s);
      src.destroy();
      dst.destroy();
    }
    return out;
  });
}
