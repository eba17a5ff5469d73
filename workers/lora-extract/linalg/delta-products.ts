/**
 * The two products the randomized SVD spends its time in, Y = D V and Z = D^T Q for the
 * module's task vector D (m x n, float32, row-major, in ordinary memory) and thin float64
 * V (n x k) and Q (m x k): on the evaluation's WebAssembly SIMD matmul
 * (workers/eval/kernels/matmul.ts, about 40 GFLOP/s on one core), or its plain-JS twin.
 *
 * That kernel computes X W^T with W packed in panels of 8 rows, and reads only its own
 * WebAssembly memory, which cannot grow without detaching every view and holds at most 4 GiB.
 * So D stays outside it and goes through in blocks of rows: for D V, each block is copied in
 * as X (V^T packed once as W); for D^T Q = (Q^T D)^T, each block is packed transposed as W and
 * Q^T's matching columns are X. The arena then holds a few k-wide matrices and one block,
 * whatever the module's size, and each product costs one copy of D into the arena on top of
 * its m n k multiply-adds. The kernel sums in float32; its sums over runs of SUM_CHUNK terms
 * are added in float64, and everything around the products (QR, the small SVD) is float64.
 */
import { Arena } from '../../eval/kernels/arena.ts';
import { matmulFor, packedSize, PANEL, type Matmul, type PackedMatrix } from '../../eval/kernels/matmul.ts';
import { type ColMajor, zeros } from './matrix.ts';

export interface DeltaProducts {
  readonly rows: number;
  readonly cols: number;
  readonly kind: Matmul['kind'];
  /** D V: V is cols x k (k <= maxK), the result rows x k. */
  times(v: ColMajor): ColMajor;
  /** D^T Q: Q is rows x k, the result cols x k. */
  transposeTimes(q: ColMajor): ColMajor;
}

/** About 1 MB of D per block: the block, and the packed W it is multiplied by, stay in cache. */
const BLOCK_FLOATS = 1 << 18;
/**
 * The kernel sums in float32, one term after another; its partial sums over this many terms
 * are added up in float64, so that rounding grows with sqrt(SUM_CHUNK), not sqrt(n) (at
 * n = 4096 the residual floor of ./randomized-svd.ts fell from 1.7e-5 to 8e-7 with it).
 */
const SUM_CHUNK = 256;
/** Rows per pass over a partial last panel (the kernel's scratch). */
const SCRATCH_ROWS = 64;

export function deltaProducts(
  d: Float32Array,
  rows: number,
  cols: number,
  maxK: number,
  backend: 'auto' | 'js' = 'auto',
): DeltaProducts {
  if (d.length !== rows * cols) throw new RangeError(`D has ${d.length} values, not ${rows}x${cols}`);
  const m = rows;
  const n = cols;
  const kPad = Math.ceil(maxK / PANEL) * PANEL;
  const block = Math.max(PANEL, Math.min(m, Math.floor(BLOCK_FLOATS / n) || 1));
  const nPad = Math.ceil(n / PANEL) * PANEL;
  const floats = [
    Math.ceil(maxK / PANEL) * PANEL * n, // V^T packed, in chunks
    block * Math.max(n, nPad), // a block of D, as rows or packed transposed
    block * kPad, // a block of D V
    maxK * m, // Q^T
    maxK * n, // Z^T
    SCRATCH_ROWS * PANEL,
  ].reduce((sum, f) => sum + Arena.slot(f), 0);
  const arena = Arena.create(floats, backend);
  const mm = matmulFor(arena, SCRATCH_ROWS);
  const vt = arena.alloc(Math.ceil(maxK / PANEL) * PANEL * n);
  const blockBuf = arena.alloc(block * Math.max(n, nPad));
  const yBlock = arena.alloc(block * kPad);
  const qt = arena.alloc(maxK * m);
  const zt = arena.alloc(maxK * n);

  const checkK = (k: number): void => {
    if (k < 1 || k > maxK) throw new RangeError(`k = ${k} is outside 1..${maxK}`);
  };

  return {
    rows,
    cols,
    kind: mm.kind,
    times(v) {
      const k = v.cols;
      checkK(k);
      if (v.rows !== n) throw new RangeError(`V has ${v.rows} rows, D has ${n} columns`);
      // W = V^T (k outputs, n inputs), one packed matrix per chunk of SUM_CHUNK inputs:
      // panel p, step c holds V[c0 + c, 8p .. 8p + 7].
      const vd = v.data;
      const chunks: { c0: number; w: PackedMatrix }[] = [];
      let at = 0;
      for (let c0 = 0; c0 < n; c0 += SUM_CHUNK) {
        const len = Math.min(SUM_CHUNK, n - c0);
        const data = vt.subarray(at, at + packedSize(k, len));
        at += data.length;
        for (let p = 0; p < Math.ceil(k / PANEL); p++) {
          const base = p * len * PANEL;
          for (let j = 0; j < PANEL; j++) {
            const col = p * PANEL + j;
            const src = col * n + c0;
            if (col < k) for (let c = 0; c < len; c++) data[base + c * PANEL + j] = vd[src + c]!;
            else for (let c = 0; c < len; c++) data[base + c * PANEL + j] = 0;
          }
        }
        chunks.push({ c0, w: { n: k, k: len, data, bias: undefined } });
      }
      const y = zeros(m, k);
      const yd = y.data;
      for (let i0 = 0; i0 < m; i0 += block) {
        const b = Math.min(block, m - i0);
        blockBuf.set(d.subarray(i0 * n, (i0 + b) * n));
        for (const { c0, w } of chunks) {
          mm.run(blockBuf.subarray(c0), n, w, yBlock, k, b);
          for (let j = 0; j < k; j++) {
            const o = j * m + i0;
            for (let r = 0; r < b; r++) yd[o + r]! += yBlock[r * k + j]!;
          }
        }
      }
      return y;
    },
    transposeTimes(q) {
      const k = q.cols;
      checkK(k);
      if (q.rows !== m) throw new RangeError(`Q has ${q.rows} rows, D has ${m}`);
      // Q column-major is Q^T row-major: X = Q^T (k rows, ld m).
      qt.set(q.data);
      const z = zeros(n, k);
      const flush = (): void => {
        for (let i = 0; i < n * k; i++) z.data[i]! += zt[i]!;
      };
      let summed = 0; // rows of D summed into zt since the last flush
      for (let i0 = 0; i0 < m; i0 += block) {
        const b = Math.min(block, m - i0);
        // W = (block of D)^T (n outputs, b inputs): panel p, step c holds D[i0 + c, 8p .. 8p + 7].
        for (let p = 0; p < nPad / PANEL; p++) {
          const base = p * b * PANEL;
          const c0 = p * PANEL;
          const width = Math.min(PANEL, n - c0);
          for (let c = 0; c < b; c++) {
            const src = (i0 + c) * n + c0;
            const dst = base + c * PANEL;
            for (let j = 0; j < width; j++) blockBuf[dst + j] = d[src + j]!;
            for (let j = width; j < PANEL; j++) blockBuf[dst + j] = 0;
          }
        }
        const w = { n, k: b, data: blockBuf, bias: undefined };
        mm.run(qt.subarray(i0), m, w, zt, n, k, summed > 0);
        summed += b;
        if (summed >= SUM_CHUNK) {
          flush();
          summed = 0;
        }
      }
      if (summed > 0) flush();
      return z;
    },
  };
}
