/**
 * The matmul kernel of the forward pass as a WebAssembly SIMD module, generated at load time.
 *
 * `gemm4` and `gemm1` compute Y[rows, 8 * panels] (+)= X[rows, K] W^T for W packed in panels of
 * 8 output columns (see kernels/matmul.ts: panel p holds W rows 8p..8p+7, interleaved by k, so each step
 * of the inner loop reads 8 weights as two contiguous 128-bit vectors). The register block is
 * 4 rows x 8 columns: 8 f32x4 accumulators, 2 weight vectors and 1 broadcast input fit in the
 * 16 vector registers of x86-64 and ARM64 with room to spare. `gemm1` is the same with one row,
 * for row counts that are not a multiple of 4 (generation, short prompts).
 *
 * All pointers and strides are in bytes. Loops are do-while: the caller guarantees
 * rows >= the block height, panels >= 1 and K >= 1.
 */
import { op, I32, V128, type Bytes, type FunctionDef } from '../../simd/wasm-builder.ts';

// Parameter indices, shared by both kernels.
const X = 0;
const LDX = 1;
const P = 2;
const KB = 3; // K * 4
const PANELS = 4;
const Y = 5;
const LDY = 6;
const ROWS = 7;
const ACC = 8; // 1: accumulate into Y, 0: overwrite
const PARAMS = 9;

/** The address of row r of a block: base, or base + the local holding r * stride. */
const rowPtr = (base: number, off: (r: number) => number, r: number): Bytes =>
  r === 0 ? op.get(base) : [...op.get(base), ...op.get(off(r)), ...op.add];

export function gemmKernel(exportName: string, rowsPerBlock: number): FunctionDef {
  // i32 locals
  const xr = PARAMS;
  const yr = PARAMS + 1;
  const xend = PARAMS + 2;
  const pp = PARAMS + 3;
  const yp = PARAMS + 4;
  const xp = PARAMS + 5;
  const kend = PARAMS + 6;
  const pend = PARAMS + 7;
  const xoff = (r: number): number => PARAMS + 8 + (r - 1); // r * ldx, r >= 1
  const yoff = (r: number): number => PARAMS + 8 + (rowsPerBlock - 1) + (r - 1); // r * ldy
  const i32Locals = 8 + 2 * (rowsPerBlock - 1);
  // v128 locals
  const v0 = PARAMS + i32Locals;
  const acc = (r: number, half: number): number => v0 + 2 * r + half;
  const b0 = v0 + 2 * rowsPerBlock;
  const b1 = b0 + 1;
  const a = b0 + 2;
  const rows = [...Array(rowsPerBlock).keys()];

  const body: number[] = [];
  for (const r of rows.slice(1)) {
    body.push(...op.get(LDX), ...op.i32(r), ...op.mul, ...op.set(xoff(r)));
    body.push(...op.get(LDY), ...op.i32(r), ...op.mul, ...op.set(yoff(r)));
  }
  body.push(...op.get(X), ...op.set(xr), ...op.get(Y), ...op.set(yr));
  body.push(...op.get(X), ...op.get(ROWS), ...op.get(LDX), ...op.mul, ...op.add, ...op.set(xend));
  body.push(...op.get(P), ...op.get(PANELS), ...op.get(KB), ...op.mul, ...op.i32(8), ...op.mul, ...op.add);
  body.push(...op.set(pend));

  const initAcc = op.ifElse(
    rows.flatMap((r) => [
      ...rowPtr(yp, yoff, r),
      ...op.v128Load(0),
      ...op.set(acc(r, 0)),
      ...rowPtr(yp, yoff, r),
      ...op.v128Load(16),
      ...op.set(acc(r, 1)),
    ]),
    rows.flatMap((r) => [...op.v128Zero, ...op.set(acc(r, 0)), ...op.v128Zero, ...op.set(acc(r, 1))]),
  );
  const kStep = [
    ...op.get(pp),
    ...op.v128Load(0),
    ...op.set(b0),
    ...op.get(pp),
    ...op.v128Load(16),
    ...op.set(b1),
    ...rows.flatMap((r) => [
      ...rowPtr(xp, xoff, r),
      ...op.load32Splat(0),
      ...op.tee(a),
      ...op.get(b0),
      ...op.f32x4Mul,
      ...op.get(acc(r, 0)),
      ...op.f32x4Add,
      ...op.set(acc(r, 0)),
      ...op.get(a),
      ...op.get(b1),
      ...op.f32x4Mul,
      ...op.get(acc(r, 1)),
      ...op.f32x4Add,
      ...op.set(acc(r, 1)),
    ]),
    ...op.get(pp),
    ...op.i32(32),
    ...op.add,
    ...op.set(pp),
    ...op.get(xp),
    ...op.i32(4),
    ...op.add,
    ...op.tee(xp),
    ...op.get(kend),
    ...op.ltU,
    ...op.brIf(0),
  ];
  const store = rows.flatMap((r) => [
    ...rowPtr(yp, yoff, r),
    ...op.get(acc(r, 0)),
    ...op.v128Store(0),
    ...rowPtr(yp, yoff, r),
    ...op.get(acc(r, 1)),
    ...op.v128Store(16),
  ]);
  const panelLoop = op.loop([
    ...op.get(ACC),
    ...initAcc,
    ...op.get(xr),
    ...op.set(xp),
    ...op.get(xr),
    ...op.get(KB),
    ...op.add,
    ...op.set(kend),
    ...op.loop(kStep),
    ...store,
    ...op.get(yp),
    ...op.i32(32),
    ...op.add,
    ...op.set(yp),
    ...op.get(pp),
    ...op.get(pend),
    ...op.ltU,
    ...op.brIf(0),
  ]);
  const rowLoop = op.loop([
    ...op.get(P),
    ...op.set(pp),
    ...op.get(yr),
    ...op.set(yp),
    ...panelLoop,
    ...op.get(xr),
    ...op.get(LDX),
    ...op.i32(rowsPerBlock),
    ...op.mul,
    ...op.add,
    ...op.set(xr),
    ...op.get(yr),
    ...op.get(LDY),
    ...op.i32(rowsPerBlock),
    ...op.mul,
    ...op.add,
    ...op.set(yr),
    ...op.get(xr),
    ...op.get(xend),
    ...op.ltU,
    ...op.brIf(0),
  ]);
  body.push(...rowLoop);
  return {
    exportName,
    params: new Array<number>(PARAMS).fill(I32),
    locals: [
      [i32Locals, I32],
      [2 * rowsPerBlock + 3, V128],
    ],
    body,
  };
}

/** Rows per block of the main kernel. */
export const GEMM_BLOCK_ROWS = 4;

export const gemmKernels = (): FunctionDef[] => [
  gemmKernel('gemm4', GEMM_BLOCK_ROWS),
  gemmKernel('gemm1', 1),
];
