/**
 * Host side of the reductions: dispatch BLOCK_REDUCE over every segment, read the (hi, lo)
 * pairs back and add them in float64. Whole-tensor sums use blocks of 4096 elements (one
 * workgroup each); per-row sums use one block per row, so segments must hold whole rows.
 */
import { BLOCK_REDUCE, ROW_REDUCE_SERIAL } from '../wgsl/reduce.ts';
import { params } from '../params.ts';
import { Workspace } from '../workspace.ts';

/** Elements per workgroup for whole-tensor sums: 16 per thread. */
const FLAT_BLOCK = 4096;

/** Blocks up to this long are summed by one thread each (no barriers), longer by a workgroup. */
const SERIAL_MAX = 512;

export interface ReduceSpec {
  readonly a: number;
  /** The other slot of a dot product; absent: the sum of |a|. */
  readonly b?: number;
}

/** Per spec, the sum over each block of `blockLen` elements, blocks in element order. */
export async function blockSums(
  ws: Workspace,
  specs: readonly ReduceSpec[],
  blockLen: number,
): Promise<Float64Array[]> {
  const blocksPer = ws.segments.map((s) => Math.ceil(s.len / blockLen));
  const total = blocksPer.reduce((x, y) => x + y, 0);
  if (total === 0) return specs.map(() => new Float64Array(0));
  const out = ws.storage(specs.length * total * 8);
  specs.forEach((spec, j) => {
    let offset = j * total;
    ws.segments.forEach((seg, si) => {
      const nb = blocksPer[si]!;
      const serial = blockLen <= SERIAL_MAX;
      ws.dispatch(
        serial ? ROW_REDUCE_SERIAL : BLOCK_REDUCE,
        params().u32(seg.len, blockLen, nb, spec.a, spec.b ?? 0, spec.b === undefined ? 1 : 0, offset),
        [seg.buf, out],
        serial ? Workspace.groups(nb) : nb,
      );
      offset += nb;
    });
  });
  const pairs = await ws.readF32(out, specs.length * total * 2);
  return specs.map((_, j) => {
    const r = new Float64Array(total);
    for (let b = 0; b < total; b++) r[b] = pairs[2 * (j * total + b)]! + pairs[2 * (j * total + b) + 1]!;
    return r;
  });
}

/** Whole-tensor sums, one number per spec. */
export async function totals(ws: Workspace, specs: readonly ReduceSpec[]): Promise<number[]> {
  const blocks = await blockSums(ws, specs, FLAT_BLOCK);
  return blocks.map((b) => {
    let s = 0;
    for (let i = 0; i < b.length; i++) s += b[i]!;
    return s;
  });
}

export async function dotOf(ws: Workspace, a: number, b: number): Promise<number> {
  return (await totals(ws, [{ a, b }]))[0]!;
}
