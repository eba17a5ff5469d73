/**
 * model_stock, sce, arcee_fusion and ramplus_tl in bf16 against mergekit's code re-traced op by
 * op with torch-CPU semantics (./torch-ref.ts): every tensor op rounds to bf16; reductions
 * accumulate in float32 and round once (a mean divides before rounding); a Python float
 * scalar stays float32 in a product; a float32 tensor (the fusion mask, ramplus's lambda)
 * promotes what it touches to float32.
 */
import { describe, expect, it } from 'vitest';
import { roundToBf16 } from '../io/dtypes.ts';
import { run } from './test-helpers.ts';
import { bf16, bf16Array, bf16Norm, bf16Sum, f32Total, mismatches } from './torch-ref.ts';

const f32 = Math.fround;
const clamp1 = (x: number) => Math.min(1, Math.max(-1, x));
const rowsOf = (v: number[], len: number) =>
  Array.from({ length: v.length / len }, (_, r) => v.slice(r * len, (r + 1) * len));

/** mergekit's model_stock on one vector (a row with filter_wise, else the whole tensor). */
function torchModelStock(w0: number[], ws: number[][]): number[] {
  const N = ws.length;
  const offsets = ws.map((w) => w.map((v, i) => bf16(v - w0[i]!)));
  const cos: number[] = [];
  for (let a = 0; a < N; a++) {
    for (let b = a + 1; b < N; b++) {
      const np = Math.max(bf16(bf16Norm(offsets[a]!) * bf16Norm(offsets[b]!)), bf16(1e-6));
      const dot = bf16(f32Total(offsets[a]!.map((v, i) => bf16(v * offsets[b]![i]!))));
      cos.push(clamp1(bf16(dot / np)));
    }
  }
  const c = bf16(f32(cos.reduce((s, v) => f32(s + v), 0) / cos.length)); // mean: float32 sum / count
  const t = bf16(bf16(N * c) / bf16(1 + bf16((N - 1) * c)));
  // Python's sum(ws): 0 + w_0 + w_1 + ..., each add a bf16 op
  const avg = w0.map((_, i) => bf16(ws.reduce((s, w) => bf16(s + w[i]!), 0) / N));
  return w0.map((v, i) => bf16(bf16(t * avg[i]!) + bf16(bf16(1 - t) * v)));
}

/** mergekit's sce (ties at the top-k cut-off broken by lowest index, as the kernel does). */
function torchSce(base: number[], xs: number[][], topk: number): number[] {
  const M = xs.length;
  const n = base.length;
  let tv = xs.map((x) => x.map((v, i) => bf16(v - base[i]!)));
  if (topk < 1) {
    const variance = base.map((_, i) => {
      const mean = tv.reduce((s, t) => s + t[i]!, 0) / M;
      return bf16(tv.reduce((s, t) => s + (t[i]! - mean) ** 2, 0) / M); // Welford in float64
    });
    const k = Math.trunc(f32(variance.filter((v) => v !== 0).length * topk));
    const order = variance
      .map((v, i) => [Math.abs(v), i] as const)
      .sort((p, q) => q[0] - p[0] || p[1] - q[1]);
    const keep = new Set(order.slice(0, k).map(([, i]) => i));
    tv = tv.map((t) => t.map((v, i) => (keep.has(i) ? v : 0)));
  }
  // sce_weight: mean(tv ** 2) per model; sum(...).item(); weights / sum
  const w = tv.map((t) => bf16(f32(f32Total(t.map((v) => bf16(v * v))) / n)));
  const wsum = bf16Sum(w);
  const wn = Math.abs(wsum) < 1e-6 ? w.map(() => bf16(1 / M)) : w.map((v) => bf16(v / wsum));
  return base.map((b, i) => {
    const elected = bf16Sum(tv.map((t) => t[i]!)) >= 0 ? 1 : -1;
    const ew = tv.map((t, k) => (Math.sign(t[i]!) === elected ? wn[k]! : 0));
    const merged = bf16Sum(tv.map((t, k) => bf16(t[i]! * ew[k]!)));
    const divisor = Math.max(bf16Sum(ew), bf16(1e-6));
    return bf16(b + bf16(merged / divisor));
  });
}

/** mergekit's arcee_fusion, without sampling (under 1e6 elements); rows of the last dim. */
function torchArceeFusion(a: number[], b: number[], cols: number): number[] {
  const softmax = (row: number[]) => {
    const max = Math.max(...row);
    const e = row.map((x) => f32(Math.exp(f32(x - max))));
    const inv = f32(1 / f32Total(e));
    return e.map((v) => bf16(bf16(v * inv) + bf16(1e-8)));
  };
  const rowsA = rowsOf(a, cols);
  const imp = rowsOf(b, cols).flatMap((rowB, r) => {
    const p = softmax(rowB);
    const q = softmax(rowsA[r]!);
    const kl = bf16(f32Total(p.map((v, j) => bf16(v * bf16(Math.log(bf16(v / q[j]!)))))));
    return rowB.map((v, j) => bf16(Math.abs(bf16(v - rowsA[r]![j]!)) * kl));
  });
  const sorted = [...imp].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.trunc(q * (sorted.length - 1))]!;
  const threshold = bf16(at(0.5) + bf16(bf16(at(0.75) - at(0.25)) * f32(1.5)));
  // delta * mask(float32) and base + that: float32
  return a.map((v, i) => (imp[i]! >= threshold ? f32(v + bf16(b[i]! - v)) : v));
}

/** mergekit's ramplus_tl: lambda is float32 and promotes the unique terms, the sum and the add. */
function torchRamplus(base: number[], xs: number[][], r = 0.1, alpha = 0.2, eps = 1e-5): number[] {
  const tv = xs.map((x) => x.map((v, i) => bf16(v - base[i]!)));
  const active = tv.map((t) => t.map((v) => Math.abs(v) > eps));
  const counts = base.map((_, i) => active.filter((m) => m[i]).length);
  const lambda = active.map((m) => {
    const shared = m.filter((on, i) => on && counts[i]! > 1).length;
    const unique = m.filter((on, i) => on && counts[i] === 1).length;
    const rho = f32(shared / Math.max(unique, f32(eps)));
    return f32(1 + f32(f32(r) * Math.min(f32(alpha), Math.max(0, rho))));
  });
  return base.map((b, i) => {
    let merged = 0;
    tv.forEach((t, k) => {
      if (!active[k]![i]) return;
      const term = counts[i] === 1 ? f32(t[i]! * lambda[k]!) : bf16(t[i]! / counts[i]!);
      merged = f32(merged + term);
    });
    return f32(b + merged);
  });
}

const n = 4096;
const base = bf16Array(n, 7, 0.05);
const near = (seed: number, scale: number) => {
  const d = bf16Array(n, seed, scale);
  return base.map((b, i) => bf16(b + d[i]!));
};
const xs = [11, 12, 13].map((s) => near(s, 0.01));

describe('model_stock in bf16', () => {
  it('3 models, one angle for the tensor', () => {
    const exp = torchModelStock(base, xs);
    const { out } = run('model_stock', { inputs: xs, base, round: roundToBf16 });
    expect(mismatches(out, exp)).toEqual([]);
  });
  it('3 models, filter_wise: one angle per row of [16, 256]', () => {
    const xr = xs.map((x) => rowsOf(x, 256));
    const exp = rowsOf(base, 256).flatMap((row, r) =>
      torchModelStock(
        row,
        xr.map((x) => x[r]!),
      ),
    );
    const { out } = run('model_stock', {
      inputs: xs,
      base,
      shape: [16, 256],
      global: { filter_wise: true },
      round: roundToBf16,
    });
    expect(mismatches(out, exp)).toEqual([]);
  });
});

describe('sce in bf16', () => {
  for (const topk of [1, 0.3]) {
    it(`3 models, select_topk ${topk}`, () => {
      const exp = torchSce(base, xs, topk);
      const { out } = run('sce', { inputs: xs, base, global: { select_topk: topk }, round: roundToBf16 });
      expect(mismatches(out, exp)).toEqual([]);
    });
  }
});

describe('arcee_fusion in bf16', () => {
  it('[16, 256]: bf16 importance and threshold, float32 fused values', () => {
    const b = xs[0]!;
    const exp = torchArceeFusion(base, b, 256);
    expect(exp.filter((v, i) => v !== base[i]).length).toBeGreaterThan(0);
    const { out } = run('arcee_fusion', { inputs: [b], base, shape: [16, 256], round: roundToBf16 });
    expect(mismatches(out, exp)).toEqual([]);
  });
});

describe('ramplus_tl in bf16', () => {
  it('3 models changing overlapping halves: unique terms tau * lambda stay float32', () => {
    // each model changes about half the elements, so some are unique and some shared
    const sparse = [41, 42, 43].map((s, k) => {
      const d = bf16Array(n, s, 0.01);
      return base.map((v, i) => ((i * (k + 3)) % 7 < 4 ? bf16(v + d[i]!) : v));
    });
    const exp = torchRamplus(base, sparse);
    const { out } = run('ramplus_tl', { inputs: sparse, base, round: roundToBf16 });
    expect(mismatches(out, exp)).toEqual([]);
  });
});
