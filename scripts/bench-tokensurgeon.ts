/**
 * Seconds per new token for tokensurgeon's approximations on the CPU
 * (workers/tokensurgeon/omp.ts, common-interpolation.ts): both scan every shared token's donor
 * embedding, omp once per each of its k steps (with the JS scan, then the WebAssembly one the
 * transplant uses: row-scan.ts), common_interpolation once; mp_rope (mp-rope.ts)
 * as omp, plus a RoPE position and a least-squares solve per token. Then the methods that
 * fit one map (or distribution) per matrix before any token: how long landmark_pca, stb and
 * john_hewitt take to fit, and the time per token after it. The figures are in
 * docs/tokensurgeon.md ("Memory and time").
 *
 * Usage: npx tsx scripts/bench-tokensurgeon.ts [SHARED] [WIDTH] [K] [TARGETS]
 * (defaults 5000 1024 64 16: the shared tokens of two small tokenizers, a 1B model's width,
 * mergekit's default k). Data: seeded normal draws.
 */
import { drain } from '../workers/linalg/steps.ts';
import { normalAt, streamKey } from '../workers/rng.ts';
import { applyAffine, type AffineMap } from '../workers/tokensurgeon/affine-map.ts';
import { commonInterpolation } from '../workers/tokensurgeon/common-interpolation.ts';
import { meanRow } from '../workers/tokensurgeon/embedding-stats.ts';
import { johnHewitt, type JohnHewitt } from '../workers/tokensurgeon/john-hewitt.ts';
import { landmarkPcaMap } from '../workers/tokensurgeon/landmark-pca.ts';
import { matrix } from '../workers/tokensurgeon/matrix.ts';
import { mpRope, ropeSpace } from '../workers/tokensurgeon/mp-rope.ts';
import { omp } from '../workers/tokensurgeon/omp.ts';
import { RowScan } from '../workers/tokensurgeon/row-scan.ts';
import { tokenBasisMap } from '../workers/tokensurgeon/token-basis.ts';

const [shared = 5000, width = 1024, k = 64, count = 16] = process.argv.slice(2).map(Number);
const key = streamKey(7, 'bench-tokensurgeon', 0);
const points = matrix(
  shared,
  width,
  Float32Array.from({ length: shared * width }, (_, i) => normalAt(key, i)),
);
const targets = Array.from({ length: count }, (_unused, t) =>
  Float32Array.from({ length: width }, (_, j) => normalAt(key, shared * width + t * width + j)),
);

function perToken(approximate: (target: Float32Array) => unknown): number {
  const t0 = performance.now();
  for (const t of targets) approximate(t);
  return (performance.now() - t0) / 1000 / count;
}

console.log(`${shared} shared tokens x ${width} wide, k = ${k}, ${count} new tokens`);
// the rows as the transplant scans them: in a WebAssembly memory, through the dots kernel
const scan = RowScan.create(shared, width, (i, dst) =>
  dst.set(points.data.subarray(i * width, (i + 1) * width)),
);
const js = perToken((t) => omp(t, points, k));
const o = perToken((t) => omp(t, scan, k));
const gflops = (s: number): string => ((2 * k * shared * width) / s / 1e9).toFixed(2);
console.log(`omp, JS scan: ${(js * 1000).toFixed(1)} ms per token (${gflops(js)} GFLOP/s in the scans)`);
console.log(
  `omp${scan.simd ? ', WebAssembly scan' : ' (no WebAssembly SIMD here)'}: ${(o * 1000).toFixed(1)} ms per token (${gflops(o)} GFLOP/s), ${(js / o).toFixed(2)}x faster`,
);
const c = perToken((t) => commonInterpolation(t, points, k, 'euclidean', 'distance_proportional'));
console.log(
  `common_interpolation: ${(c * 1000).toFixed(1)} ms per token, ${(o / c).toFixed(1)}x less than omp`,
);
// head size 128, as most Llama-family models (one head where the width is no multiple of 128)
const space = ropeSpace({ heads: width % 128 === 0 ? width / 128 : 1, base: 500000 }, width, 'bench');
const rope = perToken((t) => mpRope(t, scan, k, space));
console.log(`mp_rope: ${(rope * 1000).toFixed(1)} ms per token, ${(rope / o).toFixed(2)}x omp's time`);
const hours = (o * 30000) / 3600;
console.log(`so 30,000 new tokens, embedding and head: about ${(2 * hours).toFixed(1)} h with omp`);

// MODEL's side: the same shared tokens in another space of the same width
const other = matrix(
  shared,
  width,
  Float32Array.from({ length: shared * width }, (_, i) => normalAt(key, 2 * shared * width + i)),
);
function seconds(f: () => unknown): [number, unknown] {
  const t0 = performance.now();
  const r = f();
  return [(performance.now() - t0) / 1000, r];
}
const out = new Float32Array(width);
for (const [name, fit] of [
  ['landmark_pca', () => drain(landmarkPcaMap(points, other))],
  ['stb', () => drain(tokenBasisMap(points, other, meanRow(points), meanRow(other), k))],
] as const) {
  const [s, map] = seconds(fit);
  const per = perToken((t) => applyAffine(map as AffineMap, t, out));
  console.log(`${name}: fit ${s.toFixed(1)} s, then ${(per * 1000).toFixed(2)} ms per token`);
}
const [jh, sampler] = seconds(() => drain(johnHewitt(other, 'bench')));
const perDraw = perToken(() => (sampler as JohnHewitt).sample(key, 0, out));
console.log(
  `john_hewitt (${shared} rows): fit ${jh.toFixed(1)} s, then ${(perDraw * 1000).toFixed(2)} ms per token`,
);
