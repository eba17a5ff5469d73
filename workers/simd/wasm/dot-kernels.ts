/**
 * Inner products of many float32 rows with one float64 vector: tokensurgeon's omp and mp_rope
 * scan every shared token's row at each step (workers/tokensurgeon/row-scan.ts).
 */
import { I32, V128, op, type FunctionDef } from '../wasm-builder.ts';
import { loadHalf } from './f64-lanes.ts';
import { forBlocks, locals } from './loops.ts';

/**
 * dots(points, rows, blocks, r, out, skip): for each of `rows` float32 rows of 4·blocks
 * elements, each followed by `skip` bytes (the row's elements after its last whole block), the
 * four float64 sums of row[j] · r[j] by j mod 4 (j = 0, 1 in one f64x2 lane
 * pair, 2, 3 in the other), r being 4·blocks float64 values; 32 bytes of out per row. The
 * same products and the same order of additions as the JS reference's four running sums
 * (workers/linalg/dot.ts dotAt), so the same bits.
 */
export function dotsKernel(): FunctionDef {
  const L = locals('p', 'rows', 'blocks', 'r', 'out', 'skip', 'n', 'q', 's0', 's1');
  const s = [L.s0, L.s1];
  // prettier-ignore
  const body = op.loop([
    ...op.v128Zero, ...op.set(L.s0),
    ...op.v128Zero, ...op.set(L.s1),
    ...op.get(L.r), ...op.set(L.q),
    ...op.get(L.blocks), ...op.set(L.n),
    ...forBlocks(L.n, [[L.p, 16], [L.q, 32]], ([0, 1] as const).flatMap((h) => [
      ...op.get(s[h]!),
      ...op.get(L.p), ...loadHalf(h),
      ...op.get(L.q), ...op.v128Load(16 * h),
      ...op.f64x2Mul, ...op.f64x2Add, ...op.set(s[h]!),
    ])),
    ...op.get(L.out), ...op.get(L.s0), ...op.v128Store(0),
    ...op.get(L.out), ...op.get(L.s1), ...op.v128Store(16),
    ...op.get(L.out), ...op.i32(32), ...op.add, ...op.set(L.out),
    ...op.get(L.p), ...op.get(L.skip), ...op.add, ...op.set(L.p),
    ...op.get(L.rows), ...op.i32(-1), ...op.add, ...op.tee(L.rows), ...op.brIf(0),
  ]);
  return {
    exportName: 'dots',
    params: [I32, I32, I32, I32, I32, I32],
    locals: [
      [2, I32],
      [2, V128],
    ],
    body,
  };
}
