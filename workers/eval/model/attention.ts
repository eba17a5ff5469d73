/**
 * Causal grouped-query attention as matmuls: scores = Q K^T and out = P V, per head.
 *
 * Per sequence and key/value head, K and V are packed once (into the matmul's panel layout)
 * and shared by the query heads of the group. Queries go in chunks of 32 rows, each against
 * only the keys it can see (a prefix of K's panels), which skips most of the masked upper
 * triangle; the softmax is left unnormalised and each output row is scaled by 1 / sum instead.
 * Keys and values come from the fused q/k/v buffer (evaluation: each window on its own) or
 * from the KV cache (generation: one sequence across calls).
 */
import { PANEL, type Matmul } from '../kernels/matmul.ts';
import type { VectorOps } from '../kernels/vector-ops.ts';
import type { DecoderConfig } from './decoder-config.ts';
import { causalSoftmax } from './ops.ts';

/** Query rows per chunk: 4 chunks per 128-token window compute 62% of the full square. */
const CHUNK = 32;

/** Rows of keys (or values): row j of head g starts at buf[j * ld + col + g * headDim]. */
export interface KeySource {
  readonly buf: Float32Array;
  readonly ld: number;
  readonly col: number;
}

export interface AttentionScratch {
  /** [len, keys] */
  readonly scores: Float32Array;
  /** packed K: ceil(keys / 8) panels of headDim x 8 */
  readonly pk: Float32Array;
  /** packed V: ceil(headDim / 8) panels of keys x 8 */
  readonly pv: Float32Array;
}

export interface AttentionCall {
  readonly mm: Matmul;
  readonly vec: VectorOps;
  readonly config: DecoderConfig;
  /** Fused [q | k | v] rows of this call (RoPE applied). */
  readonly qkv: Float32Array;
  readonly qkvWidth: number;
  /** Output rows [rows, heads * headDim]. */
  readonly out: Float32Array;
  readonly seqs: number;
  /** Query rows per sequence. */
  readonly len: number;
  /** Position of the first query row (the cache length before this call). */
  readonly start: number;
  readonly keys: (seq: number) => KeySource;
  readonly values: (seq: number) => KeySource;
  readonly scratch: AttentionScratch;
}

function packKeys(src: KeySource, g: number, hd: number, n: number, out: Float32Array): void {
  const padded = Math.ceil(n / PANEL) * PANEL;
  for (let j = 0; j < padded; j++) {
    const base = Math.floor(j / PANEL) * hd * PANEL + (j % PANEL);
    if (j >= n) {
      for (let d = 0; d < hd; d++) out[base + d * PANEL] = 0;
      continue;
    }
    const o = j * src.ld + src.col + g * hd;
    for (let d = 0; d < hd; d++) out[base + d * PANEL] = src.buf[o + d]!;
  }
}

function packValues(src: KeySource, g: number, hd: number, n: number, out: Float32Array): void {
  const panels = Math.ceil(hd / PANEL);
  for (let p = 0; p < panels; p++) {
    const cols = Math.min(PANEL, hd - p * PANEL);
    for (let j = 0; j < n; j++) {
      const o = j * src.ld + src.col + g * hd + p * PANEL;
      const base = (p * n + j) * PANEL;
      for (let d = 0; d < PANEL; d++) out[base + d] = d < cols ? src.buf[o + d]! : 0;
    }
  }
}

export function attention(a: AttentionCall): void {
  const { config: c, mm, scratch } = a;
  const hd = c.headDim;
  const group = c.heads / c.kvHeads;
  const keys = a.start + a.len;
  const outWidth = c.heads * hd;
  const scale = 1 / Math.sqrt(hd);
  const valuePanels = Math.ceil(hd / PANEL);
  const inv = new Float32Array(CHUNK);
  for (let s = 0; s < a.seqs; s++) {
    const row = s * a.len;
    for (let g = 0; g < c.kvHeads; g++) {
      packKeys(a.keys(s), g, hd, keys, scratch.pk);
      packValues(a.values(s), g, hd, keys, scratch.pv);
      for (let h = g * group; h < (g + 1) * group; h++) {
        for (let c0 = 0; c0 < a.len; c0 += CHUNK) {
          const rows = Math.min(CHUNK, a.len - c0);
          const visible = a.start + c0 + rows; // keys the chunk's last query sees
          const scores = scratch.scores.subarray(c0 * keys);
          const q = a.qkv.subarray((row + c0) * a.qkvWidth + h * hd);
          mm.run(q, a.qkvWidth, { n: visible, k: hd, data: scratch.pk, bias: undefined }, scores, keys, rows);
          causalSoftmax(a.vec, scores, keys, rows, a.start + c0, visible, scale, c.slidingWindow, inv);
          const out = a.out.subarray((row + c0) * outWidth + h * hd);
          for (let p = 0; p < valuePanels; p++) {
            const panel = { n: Math.min(PANEL, hd - p * PANEL), k: visible, data: scratch.pv.subarray(p * keys * PANEL), bias: undefined }; // prettier-ignore
            mm.run(scores, keys, panel, out.subarray(p * PANEL), outWidth, rows);
          }
          for (let r = 0; r < rows; r++) {
            const o = r * outWidth;
            const f = inv[r]!;
            for (let d = 0; d < hd; d++) out[o + d] = out[o + d]! * f;
          }
        }
      }
    }
  }
}
