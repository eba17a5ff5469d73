/**
 * DELLA's keep probability per rank within a row, computed here with exactly the float64 and
 * Math.fround steps of the CPU kernel (workers/methods/shared/sparsify.ts), then uploaded: the
 * GPU compares its uniforms against these f32 values instead of redoing the division, whose
 * WGSL accuracy (2.5 ulp) could flip a mask bit.
 *
 * One column gives NaN in the CPU kernel (0 / 0), which keeps nothing; WGSL may treat NaN as
 * any value, so it becomes -1, which also keeps nothing.
 */
export function dellaKeepTable(cols: number, density: number, epsilon: number): Float32Array {
  const table = new Float32Array(Math.max(cols, 1));
  const lo = Math.fround(density - epsilon);
  for (let rank = 0; rank < cols; rank++) {
    const norm = Math.fround(Math.min(1, Math.max(0, rank / (cols - 1))));
    const p = Math.fround(lo + Math.fround(norm * 2 * epsilon));
    table[rank] = Number.isNaN(p) ? -1 : p;
  }
  return table;
}

export function nextPow2(x: number): number {
  let p = 1;
  while (p < x) p *= 2;
  return p;
}
