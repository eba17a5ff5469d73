/**
 * DELLA's MagPrune (mergekit's `della_magprune` in sparsify.py): rank |delta| ascending along
 * dim 1 of the tensor viewed as at least 2-D (ties by position along that dim, a deterministic
 * order), keep rank r with probability p(r) = density - eps + 2 eps r / (cols - 1), drawn from
 * the counter-based RNG at the element's flat index in the tensor. Up to 2-D that ranks each
 * row along its columns; a 3-D [E, O, I] tensor (fused MoE experts) is ranked along O for each
 * (e, i), over the strided vector x[e, :, i], as torch's argsort(dim=1) does.
 *
 * The ranks come from workers/simd/della.ts (a radix sort, in WebAssembly where available);
 * p(r) is tabulated once per tensor as the integer bound t(r) with `hash >>> 8 < t(r)` exactly
 * when `uniformAt(...) < p(r)` (the float32 steps of mergekit's formula, as the GPU table).
 */
/** Integer keep thresholds per rank: keep iff (hashAt(key, g) >>> 8) < table[rank]. */
export function dellaThresholds(cols: number, density: number, epsilon: number): Int32Array {
  const table = new Int32Array(cols);
  const lo = Math.fround(density - epsilon);
  const eps2 = 2 * epsilon;
  for (let rank = 0; rank < cols; rank++) {
    const norm = Math.fround(Math.min(1, Math.max(0, rank / (cols - 1)))); // NaN for one column
    const p = Math.fround(lo + Math.fround(norm * eps2));
    // u = h / 2^24 < p  <=>  h < ceil(p * 2^24) for integer h; NaN keeps nothing (0)
    table[rank] = Number.isNaN(p) ? 0 : Math.max(0, Math.min(16777216, Math.ceil(p * 16777216)));
  }
  return table;
}

/**
 * The dimension DELLA ranks along: its length `cols`, and `stride`, the elements between
 * neighbours along it in the flat tensor (1 up to 2-D; for >= 3-D the product of the dims
 * after dim 1). A 0-D or 1-D tensor is one row, as mergekit's unsqueeze(0) makes it.
 */
export function dellaAxis(shape: readonly number[]): { cols: number; stride: number } {
  if (shape.length < 2) return { cols: shape[0] ?? 1, stride: 1 };
  let stride = 1;
  for (let d = 2; d < shape.length; d++) stride *= shape[d]!;
  return { cols: shape[1]!, stride };
}
