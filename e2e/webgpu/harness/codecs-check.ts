/**
 * The WGSL BF16 / F16 codecs against workers/io/dtypes.ts: every 16-bit code decoded, and
 * encodes of random bit patterns plus the hard cases (ties to even, subnormals, overflow,
 * infinities, NaN), all compared bit for bit.
 */
import { decodeHalfOnGpu, encodeHalfOnGpu } from '../../../workers/backends/webgpu/codecs.ts';
import type { GpuContext } from '../../../workers/backends/webgpu/gpu-context.ts';
import { decodeToF32, encodeFromF32 } from '../../../workers/io/dtypes.ts';
import { hashAt } from '../../../workers/rng.ts';
import type { CodecReport } from './api.ts';

const SPECIAL_BITS = [
  0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffc00001, 0x00000001, 0x807fffff,
  0x3f808000, 0x3f818000, 0x3f80ffff, 0x477fe000, 0x477ff000, 0x477fefff, 0x33000000, 0x33000001, 0x387fc000,
  0x38800000, 0x387ff000, 0x7f7fffff, 0xff7fffff, 0x3f7fffff,
];

export async function checkCodecs(ctx: GpuContext, dtype: 'BF16' | 'F16'): Promise<CodecReport> {
  // Decode: all 65536 codes.
  const codes = new Uint16Array(65536).map((_, i) => i);
  const bytes = new Uint8Array(codes.buffer);
  const gpuDecoded = await decodeHalfOnGpu(ctx, bytes, dtype);
  const cpuDecoded = decodeToF32(bytes, dtype);
  let decodeMismatches = 0;
  const gd = new Uint32Array(gpuDecoded.buffer);
  const cd = new Uint32Array(cpuDecoded.buffer);
  for (let i = 0; i < 65536; i++) {
    const bothNaN = Number.isNaN(gpuDecoded[i]!) && Number.isNaN(cpuDecoded[i]!);
    if (gd[i] !== cd[i] && !bothNaN) decodeMismatches++;
  }
  // Encode: specials, every half code's float (exact), and random bit patterns; odd count.
  const n = 200_001;
  const bits = new Uint32Array(n);
  bits.set(SPECIAL_BITS);
  bits.set(cd, SPECIAL_BITS.length);
  for (let i = SPECIAL_BITS.length + 65536; i < n; i++) bits[i] = hashAt(0x5eed, i);
  const values = new Float32Array(bits.buffer);
  const gpuEncoded = await encodeHalfOnGpu(ctx, values, dtype);
  const cpuEncoded = encodeFromF32(values, dtype);
  let encodeMismatches = 0;
  for (let i = 0; i < cpuEncoded.length; i += 2) {
    if (gpuEncoded[i] !== cpuEncoded[i] || gpuEncoded[i + 1] !== cpuEncoded[i + 1]) encodeMismatches++;
  }
  const chunk = Math.max(2, Math.floor(ctx.maxBindingBytes / 8) * 2);
  return { dtype, values: n, decodeMismatches, encodeMismatches, chunks: Math.ceil(n / chunk) };
}
