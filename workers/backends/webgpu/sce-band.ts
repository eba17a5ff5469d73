/**
 * The CPU half of SCE's selection (see wgsl/sce.ts): the elements whose GPU variance key lies
 * near the cut are re-keyed with the CPU kernel's float64 formula and ranked by (key desc,
 * index asc), as workers/methods/shared/select.ts ranks them.
 *
 * Proof sketch of the band: if every GPU key is within `e` of the CPU key of the same
 * element, the k-th largest keys differ by at most e too, so an element whose GPU key exceeds
 * the GPU cut by more than 2e is kept by the CPU, and one below it by more than 2e is dropped.
 * The band is therefore [cut - 2e, cut + 2e], and the CPU's cut must come out within e of the
 * GPU's: a check that the error bound held, else the caller hands the tensor to the CPU.
 */

/** Error bound of the pairwise f32 variance, in ulps (= key units): terms + rounding steps. */
export function varianceKeyError(m: number): number {
  return (m * (m - 1)) / 2 + 8;
}

/** The CPU kernel's variance of one element's entries, as its f32 key. */
export function cpuVarianceKey(entries: ArrayLike<number>): number {
  const m = entries.length;
  let mean = 0;
  for (let k = 0; k < m; k++) mean += entries[k]!;
  mean /= m;
  let v = 0;
  for (let k = 0; k < m; k++) v += (entries[k]! - mean) ** 2;
  const f = new Float32Array([v / m]);
  return new Uint32Array(f.buffer)[0]! & 0x7fffffff;
}

export interface BandElement {
  readonly index: number;
  readonly entries: ArrayLike<number>;
}

export class BandBoundError extends Error {
  override readonly name = 'BandBoundError';
}

/**
 * The global indices of the band elements the CPU keeps: the `need` best by (CPU key desc,
 * index asc). Throws BandBoundError when the bound assumption is visibly broken.
 */
export function resolveBand(
  band: readonly BandElement[],
  need: number,
  gpuCut: number,
  error: number,
): number[] {
  if (need < 0 || need > band.length) {
    throw new BandBoundError(`band of ${band.length} cannot supply ${need} elements`);
  }
  if (need === 0) return [];
  const ranked = band
    .map((e) => ({ index: e.index, key: cpuVarianceKey(e.entries) }))
    .sort((x, y) => y.key - x.key || x.index - y.index);
  const cut = ranked[need - 1]!.key;
  if (Math.abs(cut - gpuCut) > error) {
    throw new BandBoundError(`CPU cut ${cut} is ${Math.abs(cut - gpuCut)} ulps from the GPU's ${gpuCut}`);
  }
  return ranked.slice(0, need).map((e) => e.index);
}
