/**
 * DELLA's per-row work in WebAssembly (the JS references are in ../della.ts):
 *
 * - `rank_row`: a stable LSD radix sort of one row's 31-bit magnitude keys (digits of 11, 10
 *   and 10 bits; the three histograms counted in one pass; a pass skipped when one digit
 *   holds the whole row), moving (key, column) as one 64-bit word. The result is the row's
 *   columns by |value| ascending, ties by column: what a comparison sort of the pairs gives.
 * - `hash24`: the 24-bit random draws hashAt(key, start + i) >>> 8 of a run of elements,
 *   four lanes at a time;
 * - `della_stats` / `della_apply`: the keep decision of each rank (scalar: the ranks visit the
 *   row in random order), with the rescale sums and kept bits, or zeroing what is dropped;
 * - `mask_bits`: zeroing a chunk from stored kept bits, 32 elements a word of bits.
 */
import { F64, I32, I64, V128, op, type Bytes, type FunctionDef } from '../wasm-builder.ts';
import { forBlocks, locals } from './loops.ts';
import { mix32 } from './sum-kernels.ts';

/** [shift, mask] of the three digits of a 31-bit key. */
const DIGITS = [
  [0, 0x7ff],
  [11, 0x3ff],
  [21, 0x3ff],
] as const;
/** Bytes of one digit's counts (2048 u32). */
export const COUNTS_BYTES = 2048 * 4;

/**
 * rank_row(row, cols, a, b, counts) -> ptr: sorts the float32 row (cols >= 1) into 8-byte words
 * (column | key << 32) in a or b (each cols x 8 bytes) and returns which one holds the result;
 * counts is 3 x 2048 u32 of scratch.
 */
export function rankRowKernel(): FunctionDef {
  const L = locals('row', 'cols', 'a', 'b', 'counts', 'i', 'key', 'p', 'sum', 'c', 'src', 't', 'dst', 'w');
  /** The address of the count of digit d of the i32 on the stack. */
  const countOf = (d: number): Bytes => {
    const [shift, mask] = DIGITS[d]!;
    // prettier-ignore
    return [...op.i32(shift), ...op.shrU, ...op.i32(mask), ...op.and, ...op.i32(2), ...op.shl,
      ...op.get(L.counts), ...op.add, ...op.i32(COUNTS_BYTES * d), ...op.add];
  };
  const bump = (d: number): Bytes => [
    ...op.get(L.key), ...countOf(d), ...op.tee(L.p), ...op.get(L.p), ...op.i32Load(0),
    ...op.i32(1), ...op.add, ...op.i32Store(0),
  ]; // prettier-ignore
  const body: number[] = [];
  // prettier-ignore
  body.push(
    // zero the counts
    ...op.get(L.counts), ...op.set(L.p), ...op.i32((3 * COUNTS_BYTES) / 16), ...op.set(L.i),
    ...forBlocks(L.i, [[L.p, 16]], [...op.get(L.p), ...op.v128Zero, ...op.v128Store(0)]),
    // the words (column | key << 32) into a, and the three histograms
    ...op.get(L.a), ...op.set(L.dst), ...op.get(L.row), ...op.set(L.src), ...op.get(L.cols), ...op.set(L.i),
    ...forBlocks(L.i, [[L.src, 4], [L.dst, 8]], [
      ...op.get(L.src), ...op.i32Load(0), ...op.i32(0x7fffffff), ...op.and, ...op.set(L.key),
      ...op.get(L.dst), ...op.get(L.key), ...op.i64ExtendI32U, ...op.i64(32), ...op.i64Shl,
      ...op.get(L.c), ...op.i64ExtendI32U, ...op.i64Or, ...op.i64Store(0),
      ...op.get(L.c), ...op.i32(1), ...op.add, ...op.set(L.c),
      ...bump(0), ...bump(1), ...bump(2),
    ]),
  );
  for (const d of [0, 1, 2]) {
    const [, mask] = DIGITS[d]!;
    // prettier-ignore
    body.push(...op.block([
      // skip when one digit holds the whole row
      ...op.get(L.a), ...op.i32Load(4), ...countOf(d), ...op.i32Load(0), ...op.get(L.cols), ...op.eq, ...op.brIf(0),
      // exclusive prefix sums of the counts
      ...op.i32(0), ...op.set(L.sum), ...op.i32(0), ...countOf(d), ...op.set(L.p), ...op.i32(mask + 1), ...op.set(L.i),
      ...forBlocks(L.i, [[L.p, 4]], [
        ...op.get(L.p), ...op.i32Load(0), ...op.set(L.t),
        ...op.get(L.p), ...op.get(L.sum), ...op.i32Store(0),
        ...op.get(L.sum), ...op.get(L.t), ...op.add, ...op.set(L.sum),
      ]),
      // stable scatter a -> b by this digit of the key (the word's high half)
      ...op.get(L.a), ...op.set(L.src), ...op.get(L.cols), ...op.set(L.i),
      ...forBlocks(L.i, [[L.src, 8]], [
        ...op.get(L.src), ...op.i64Load(0), ...op.set(L.w),
        ...op.get(L.src), ...op.i32Load(4), ...countOf(d), ...op.tee(L.p), ...op.i32Load(0), ...op.tee(L.t),
        ...op.i32(3), ...op.shl, ...op.get(L.b), ...op.add, ...op.get(L.w), ...op.i64Store(0),
        ...op.get(L.p), ...op.get(L.t), ...op.i32(1), ...op.add, ...op.i32Store(0),
      ]),
      ...op.get(L.a), ...op.get(L.b), ...op.set(L.a), ...op.set(L.b),
    ]));
  }
  body.push(...op.get(L.a));
  return {
    exportName: 'rank_row',
    params: [I32, I32, I32, I32, I32],
    results: [I32],
    locals: [
      [8, I32],
      [1, I64],
    ],
    body,
  };
}

/** hash24(out, blocks, key, start): out[i] = hashAt(key, start + i) >>> 8, 4 a block. */
export function hash24Kernel(): FunctionDef {
  const L = locals('out', 'blocks', 'key', 'start', 'idx', 'vkey', 't');
  // prettier-ignore
  const body = [
    ...op.get(L.key), ...op.i32x4Splat, ...op.set(L.vkey),
    ...op.get(L.start), ...op.i32x4Splat, ...op.i32x4Const(0, 1, 2, 3), ...op.i32x4Add, ...op.set(L.idx),
    ...forBlocks(L.blocks, [[L.out, 16]], [
      ...op.get(L.idx), ...op.get(L.vkey), ...op.v128Xor, ...op.set(L.t), ...mix32(L.t),
      ...op.get(L.t), ...op.get(L.vkey), ...op.i32x4Add, ...op.set(L.t), ...mix32(L.t),
      ...op.get(L.out), ...op.get(L.t), ...op.i32(8), ...op.i32x4ShrU, ...op.v128Store(0),
      ...op.get(L.idx), ...op.i32x4Const(4), ...op.i32x4Add, ...op.set(L.idx),
    ]),
  ];
  return { exportName: 'hash24', params: [I32, I32, I32, I32], locals: [[3, V128]], body };
}

/**
 * della_stats(row, words, draws, thresholds, cols, lane0, acc, bits, bit0): for each rank r of
 * the row (words from rank_row), column c = words[2r] is kept iff draws[c] < thresholds[r];
 * acc[(lane0 + c) & 3] += |row[c]| (f64), and for kept ones acc[4 + ...] too and bit bit0 + c
 * of `bits` is set. della_apply (same parameters, the last four unused): zero the dropped ones.
 */
export function dellaRowKernel(stats: boolean): FunctionDef {
  const L = locals(
    'row',
    'words',
    'draws',
    'thresholds',
    'cols',
    'lane0',
    'acc',
    'bits',
    'bit0',
    'c',
    'keep',
    'p',
    'b',
    'a',
  );
  const value = [...op.get(L.c), ...op.i32(2), ...op.shl, ...op.get(L.row), ...op.add]; // row + 4c
  // prettier-ignore
  const accumulate = (offset: number): Bytes => [
    ...op.get(L.p), ...op.get(L.p), ...op.f64Load(offset), ...op.get(L.a), ...op.f64Add, ...op.f64Store(offset),
  ];
  // prettier-ignore
  const body = forBlocks(L.cols, [[L.words, 8], [L.thresholds, 4]], [
    ...op.get(L.words), ...op.i32Load(0), ...op.set(L.c),
    ...op.get(L.c), ...op.i32(2), ...op.shl, ...op.get(L.draws), ...op.add, ...op.i32Load(0),
    ...op.get(L.thresholds), ...op.i32Load(0), ...op.ltS, ...op.set(L.keep),
    ...(stats
      ? [
          ...value, ...op.f32Load(0), ...op.f32Abs, ...op.f64PromoteF32, ...op.set(L.a),
          ...op.get(L.lane0), ...op.get(L.c), ...op.add, ...op.i32(3), ...op.and, ...op.i32(3), ...op.shl,
          ...op.get(L.acc), ...op.add, ...op.set(L.p),
          ...accumulate(0),
          ...op.get(L.keep),
          ...op.if([
            ...accumulate(32),
            ...op.get(L.bit0), ...op.get(L.c), ...op.add, ...op.set(L.b),
            ...op.get(L.b), ...op.i32(5), ...op.shrU, ...op.i32(2), ...op.shl, ...op.get(L.bits), ...op.add, ...op.tee(L.p),
            ...op.get(L.p), ...op.i32Load(0), ...op.i32(1), ...op.get(L.b), ...op.shl, ...op.or, ...op.i32Store(0),
          ]),
        ]
      : [...op.get(L.keep), ...op.eqz, ...op.if([...value, ...op.f32(0), ...op.f32Store(0)])]),
  ]);
  return {
    exportName: stats ? 'della_stats' : 'della_apply',
    params: new Array<number>(9).fill(I32),
    locals: [
      [4, I32],
      [1, F64],
    ],
    body,
  };
}

/** mask_bits(x, words, bits): x[i] = 0 unless bit i of `bits` is set, 32 elements a word. */
export function maskBitsKernel(): FunctionDef {
  const L = locals('x', 'words', 'bits', 'w');
  const block = (j: number): Bytes => [
    ...op.get(L.x), ...op.get(L.x), ...op.v128Load(16 * j),
    ...op.get(L.w), ...op.i32x4Const(1 << (4 * j), 1 << (4 * j + 1), 1 << (4 * j + 2), 1 << (4 * j + 3)), ...op.v128And,
    ...op.v128Zero, ...op.i32x4Eq, ...op.v128AndNot, ...op.v128Store(16 * j),
  ]; // prettier-ignore
  // prettier-ignore
  const body = forBlocks(L.words, [[L.x, 128], [L.bits, 4]], [
    ...op.get(L.bits), ...op.i32Load(0), ...op.i32x4Splat, ...op.set(L.w),
    ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap(block),
  ]);
  return { exportName: 'mask_bits', params: [I32, I32, I32], locals: [[1, V128]], body };
}
