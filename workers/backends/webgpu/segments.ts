/**
 * How a tensor is cut into segments that each fit one storage binding.
 *
 * A segment holds every "slot" of the job (the inputs, the base, scratch, the output) for one
 * contiguous element range, in one buffer: slot k of a segment of `len` elements starts at
 * element k * len. Kernels then bind a single buffer whatever the number of models, so the
 * limit of 8 storage buffers per shader stage never matters.
 *
 * Segments end on a multiple of `unit` (a row, for kernels that work per row) so no row is ever
 * split between two bindings.
 */
import { GpuUnsupportedError } from './errors.ts';

export interface SegmentRange {
  readonly start: number;
  readonly len: number;
}

/**
 * @param bytesPerElement the largest number of bytes one element needs in any single binding
 *   (4 x slots for the slot buffer, more for sort scratch).
 */
export function planSegments(
  n: number,
  unit: number,
  bytesPerElement: number,
  maxBindingBytes: number,
): SegmentRange[] {
  if (n <= 0) return [];
  if (unit <= 0 || n % unit !== 0) throw new RangeError(`unit ${unit} does not divide ${n}`);
  const fit = Math.floor(maxBindingBytes / bytesPerElement);
  const len = Math.floor(fit / unit) * unit;
  if (len === 0) {
    throw new GpuUnsupportedError(
      `a row of ${unit} elements needs ${unit * bytesPerElement} bytes in one GPU binding, more than the ${maxBindingBytes} this device allows`,
    );
  }
  const out: SegmentRange[] = [];
  for (let start = 0; start < n; start += len) out.push({ start, len: Math.min(len, n - start) });
  return out;
}

/** Workgroup grid for `groups` workgroups: at most 65535 per dimension (the WebGPU default). */
export function grid(groups: number): [number, number] {
  if (groups <= 0) return [0, 0];
  const x = Math.min(groups, 65535);
  return [x, Math.ceil(groups / x)];
}
