/**
 * One output tensor of a MoE build, written into its shard. A tensor copied with its dtype and
 * values unchanged is written as its stored bytes (byte-identical to the source); otherwise it
 * goes through float32 chunk by chunk (dtype change, an expert's noise_scale and residual_scale),
 * so only a chunk's worth of floats is ever decoded.
 *
 * mergekit (common.py noise_and_scale) adds torch.randn noise times noise_scale, then multiplies
 * down_proj by residual_scale, in the source dtype, then casts; here both happen in float32 and
 * the result is rounded once. The noise is drawn from ../rng.ts, keyed by the seed and the
 * output tensor's name, element by element, so it does not depend on the chunking.
 */
import { decodeToF32, DTYPE_SIZE, encodeFromF32, type DType, type WritableDType } from '../io/dtypes.ts';
import { normalAt, streamKey } from '../rng.ts';

/** Elements per chunk: 1 MB of float32. */
const CHUNK = 1 << 18;

export interface ValueChange {
  /** Standard deviation of the Gaussian noise added to every element. */
  readonly noise?: number;
  /** Factor applied after the noise. */
  readonly scale?: number;
}

export type WriteAt = (offset: number, data: Uint8Array) => Promise<void> | void;

/** Writes `bytes` (a tensor stored as `from`) as `to`, changed as asked; returns bytes written. */
export async function writeConverted(
  bytes: Uint8Array,
  from: DType,
  to: WritableDType,
  change: ValueChange,
  noiseKey: { readonly seed: number; readonly name: string },
  write: WriteAt,
): Promise<number> {
  const noise = change.noise ?? 0;
  const scale = change.scale ?? 1;
  if (from === to && noise === 0 && scale === 1) {
    await write(0, bytes);
    return bytes.byteLength;
  }
  const numel = bytes.byteLength / DTYPE_SIZE[from];
  const key = streamKey(noiseKey.seed, noiseKey.name, 0);
  const buf = new Float32Array(Math.min(CHUNK, numel));
  let written = 0;
  for (let start = 0; start < numel; start += CHUNK) {
    const n = Math.min(CHUNK, numel - start);
    const chunk = bytes.subarray(start * DTYPE_SIZE[from], (start + n) * DTYPE_SIZE[from]);
    const x = decodeToF32(chunk, from, buf.subarray(0, n));
    if (noise !== 0) for (let i = 0; i < n; i++) x[i]! += noise * normalAt(key, start + i);
    if (scale !== 1) for (let i = 0; i < n; i++) x[i]! *= scale;
    const out = encodeFromF32(x, to);
    await write(start * DTYPE_SIZE[to], out);
    written += out.byteLength;
  }
  return written;
}
