/**
 * The loop shape every merge kernel uses: a do-while over `count` blocks that advances a few
 * byte pointers by fixed steps. The JS side calls a kernel only with count >= 1 and handles the
 * elements after the last whole block itself (see ../dispatch.ts), so the WebAssembly code has
 * no scalar tails.
 */
import { op, type Bytes } from '../wasm-builder.ts';

/** do { body; ptr += step for each [ptr, step] } while (--count !== 0) */
export function forBlocks(
  count: number,
  advance: readonly (readonly [number, number])[],
  body: Bytes,
): Bytes {
  return op.loop([
    ...body,
    ...advance.flatMap(([p, step]) => [...op.get(p), ...op.i32(step), ...op.add, ...op.set(p)]),
    ...op.get(count),
    ...op.i32(-1),
    ...op.add,
    ...op.tee(count),
    ...op.brIf(0),
  ]);
}

/** Local index allocator for a kernel: parameters first, then locals grouped by type. */
export function locals<const P extends readonly string[]>(
  ...names: P
): { readonly [K in P[number]]: number } {
  return Object.fromEntries(names.map((n, i) => [n, i])) as { readonly [K in P[number]]: number };
}
