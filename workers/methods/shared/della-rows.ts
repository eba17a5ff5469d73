/**
 * DELLA's MagPrune on whole rows (mergekit's `magnitude_prune` in sparsify.py): rank each row's
 * |delta| ascending (ties by column, a deterministic order), keep rank r with probability
 * p(r) = density - eps + 2 eps r / (cols - 1), drawn from the counter-based RNG at the element's
 * index in the tensor.
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
