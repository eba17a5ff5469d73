/**
 * The sparsifiers of the task-vector family (mergekit's `sparsify.py`) as small state machines
 * that see one model's task vector chunk by chunk, in index order:
 *
 * - magnitude (TIES): keep exactly k = trunc(density * n) largest |delta|. Pass 0 histograms
 *   the top 15 bits of |delta| (float bits order like the values), pass 1 the low 16 bits
 *   inside the bin that holds the k-th largest: that gives the exact threshold, and how many of
 *   the elements equal to it to keep (lowest indices first, a deterministic tie order).
 * - magnitude_outliers (breadcrumbs): the same for two cuts, keeping ranks [bot, n - top).
 * - random (DARE): keep with probability density, from the counter-based RNG (index i of the
 *   tensor always draws the same number, in any chunking).
 * - della_magprune: per row, rank |delta| and keep with probability density -/+ epsilon.
 *
 * With `rescale` the kept values are scaled so the tensor's L1 norm matches the dense delta's
 * (mergekit's RescaleNorm.l1), which needs one more pass for the sums.
 */
import { uniformAt, type Rng } from '../../rng.ts';

export type Sparsifier = 'magnitude' | 'random' | 'magnitude_outliers' | 'della_magprune';

export interface SparsifySpec {
  readonly method: Sparsifier;
  readonly density: number;
  readonly rescale: boolean;
  readonly gamma: number;
  readonly epsilon: number;
  readonly rng: Rng | undefined;
  /** Row length for DELLA's per-row ranks (the last dimension; n for 1-D tensors). */
  readonly cols: number;
  /** mergekit zeroes the whole delta when breadcrumbs removes no outliers; false fixes that. */
  readonly breadcrumbsQuirk: boolean;
}

interface Cut {
  /** How many of the largest magnitudes this cut selects. */
  readonly count: number;
  bin: number;
  remaining: number;
  lo?: Uint32Array | undefined;
  key: number;
  takeEqual: number;
  /** Equal keys still to select in the current pass. */
  left: number;
}

const NONE = 0x7fffffff + 1; // above every magnitude key: selects nothing

/** Everything one model's sparsification needs, fed chunk by chunk. */
export class StreamSparsifier {
  /** Statistics passes needed before apply(). */
  readonly passes: number;
  warning: string | undefined;
  private readonly cuts: Cut[] = [];
  private hi: Uint32Array | undefined;
  private zeroAll = false;
  private identity = false;
  private before = 0;
  private after = 0;
  private scale = 1;
  private mask: Uint32Array | undefined; // DELLA: kept bits, computed in pass 0 when rescaling

  constructor(
    private readonly spec: SparsifySpec,
    private readonly n: number,
  ) {
    const { method, density } = spec;
    if (density >= 1) {
      this.identity = true;
      this.passes = 0;
      return;
    }
    if (method === 'magnitude' || method === 'magnitude_outliers') {
      this.planCuts();
      this.passes = this.zeroAll ? 0 : 2 + (spec.rescale ? 1 : 0);
    } else if (method === 'della_magprune') {
      if (density <= 0) this.zeroAll = true;
      if (n / spec.cols > 0 && spec.cols > 2 ** 21)
        throw new RangeError(`della: rows of ${spec.cols} elements are too long`);
      this.passes = this.zeroAll || !spec.rescale ? 0 : 1;
    } else {
      this.passes = spec.rescale ? 1 : 0;
    }
  }

  private planCuts(): void {
    const { n, spec } = this;
    if (spec.method === 'magnitude') {
      const k = Math.trunc(spec.density * n);
      // mergekit asserts k > 0 ("not gonna zero out the whole tensor"); we zero and say so.
      if (k === 0) this.warning = `density ${spec.density} keeps no element of a ${n}-element tensor`;
      this.addCut(k);
      return;
    }
    let top = Math.trunc(spec.gamma * n);
    let bot = n - Math.trunc(spec.density * n) - top;
    if (bot < 0) {
      top += bot;
      bot = 0;
    }
    if (top === 0 && spec.breadcrumbsQuirk) {
      this.zeroAll = true;
      this.warning = `breadcrumbs removes no outliers here (gamma * ${n} < 1), so mergekit keeps nothing of this delta`;
      return;
    }
    // Ascending ranks [bot, n - top) == the top (n - bot) minus the top `top`.
    this.addCut(n - bot);
    if (top > 0) this.addCut(top);
  }

  private addCut(count: number): void {
    const all = count >= this.n;
    this.cuts.push({
      count,
      bin: 0,
      remaining: count,
      key: count <= 0 ? NONE : 0,
      takeEqual: all ? this.n : 0,
      left: 0,
    });
  }

  /** Called before every pass and before the apply pass: tie counters restart at index 0. */
  beginPass(): void {
    for (const c of this.cuts) c.left = c.takeEqual;
  }

  observe(pass: number, delta: Float32Array, start: number): void {
    const { method } = this.spec;
    if (method === 'magnitude' || method === 'magnitude_outliers') {
      if (pass === 0) this.histHi(delta);
      else if (pass === 1) this.histLo(delta);
      else this.sums(delta, start);
    } else if (method === 'della_magprune') {
      this.dellaRows(delta, start, true);
    } else {
      this.sums(delta, start);
    }
  }

  endPass(pass: number): void {
    const { method } = this.spec;
    if ((method === 'magnitude' || method === 'magnitude_outliers') && pass < 2) {
      for (const c of this.cuts) {
        if (c.count <= 0 || c.count >= this.n) continue;
        if (pass === 0) {
          let b = 32767;
          let rem = c.count;
          for (; b > 0 && this.hi![b]! < rem; b--) rem -= this.hi![b]!;
          c.bin = b;
          c.remaining = rem;
        } else {
          let b = 65535;
          let rem = c.remaining;
          for (; b > 0 && c.lo![b]! < rem; b--) rem -= c.lo![b]!;
          c.key = (c.bin << 16) | b;
          c.takeEqual = rem;
          c.lo = undefined;
        }
      }
      if (pass === 0) this.hi = undefined;
      return;
    }
    // The last statistics pass: the L1 rescale factor (mergekit's eps: either sum under 1e-7 keeps values as they are).
    if (this.spec.rescale && this.before >= 1e-7 && this.after >= 1e-7)
      this.scale = Math.fround(this.before / this.after);
  }

  /** Zeroes the dropped elements of a chunk and rescales the kept ones, in place. */
  apply(delta: Float32Array, start: number, round: (x: number) => number): void {
    if (this.identity) return;
    if (this.zeroAll) {
      delta.fill(0);
      return;
    }
    const { method } = this.spec;
    if (method === 'magnitude' || method === 'magnitude_outliers') this.maskCuts(delta);
    else if (method === 'random') this.maskRandom(delta, start);
    else this.dellaRows(delta, start, false);
    if (this.scale !== 1) {
      const s = this.scale;
      if (round === Math.fround) for (let i = 0; i < delta.length; i++) delta[i] = delta[i]! * s;
      else for (let i = 0; i < delta.length; i++) delta[i] = round(delta[i]! * s);
    }
  }

  private histHi(delta: Float32Array): void {
    this.hi ??= new Uint32Array(32768);
    const bits = new Int32Array(delta.buffer, delta.byteOffset, delta.length);
    const hi = this.hi;
    for (let i = 0; i < bits.length; i++) hi[(bits[i]! & 0x7fffffff) >>> 16]!++;
  }

  private histLo(delta: Float32Array): void {
    const bits = new Int32Array(delta.buffer, delta.byteOffset, delta.length);
    for (const c of this.cuts) {
      if (c.count <= 0 || c.count >= this.n) continue;
      c.lo ??= new Uint32Array(65536);
      const lo = c.lo;
      const bin = c.bin;
      for (let i = 0; i < bits.length; i++) {
        const key = bits[i]! & 0x7fffffff;
        if (key >>> 16 === bin) lo[key & 0xffff]!++;
      }
    }
  }

  /** Keeps what the first cut selects and the second (outliers) does not; counts ties in order. */
  private maskCuts(delta: Float32Array): void {
    const bits = new Int32Array(delta.buffer, delta.byteOffset, delta.length);
    const keep = this.cuts[0]!;
    const drop = this.cuts[1];
    // Locals, not properties, in the hot loops (written back after).
    const keepKey = keep.key;
    let keepLeft = keep.left;
    if (!drop) {
      for (let i = 0; i < bits.length; i++) {
        const key = bits[i]! & 0x7fffffff;
        if (key < keepKey || (key === keepKey && keepLeft-- <= 0)) delta[i] = 0;
      }
      keep.left = keepLeft;
      return;
    }
    const dropKey = drop.key;
    let dropLeft = drop.left;
    for (let i = 0; i < bits.length; i++) {
      const key = bits[i]! & 0x7fffffff;
      const kept = key > keepKey || (key === keepKey && keepLeft-- > 0);
      const dropped = key > dropKey || (key === dropKey && dropLeft-- > 0);
      if (!kept || dropped) delta[i] = 0;
    }
    keep.left = keepLeft;
    drop.left = dropLeft;
  }

  private maskRandom(delta: Float32Array, start: number): void {
    const p = Math.fround(this.spec.density);
    const key = this.spec.rng!.key;
    for (let i = 0; i < delta.length; i++) if (!(uniformAt(key, start + i) < p)) delta[i] = 0;
  }

  /** Rescale sums: |delta| overall and over what the mask keeps (without changing delta). */
  private sums(delta: Float32Array, start: number): void {
    const { method } = this.spec;
    if (method === 'random') {
      const p = Math.fround(this.spec.density);
      const key = this.spec.rng!.key;
      for (let i = 0; i < delta.length; i++) {
        const a = Math.abs(delta[i]!);
        this.before += a;
        if (uniformAt(key, start + i) < p) this.after += a;
      }
      return;
    }
    const copy = Float32Array.from(delta);
    this.maskCuts(copy);
    for (let i = 0; i < delta.length; i++) {
      this.before += Math.abs(delta[i]!);
      this.after += Math.abs(copy[i]!);
    }
  }

  /**
   * DELLA MagPrune on the whole rows of a chunk: rank |delta| ascending per row, keep with
   * probability density - eps + 2 eps (rank - 1) / (cols - 1) (NaN for one column, as in
   * mergekit). In a statistics pass the kept bits are stored and the sums taken; otherwise the
   * chunk is masked (from the stored bits when there are any).
   */
  private dellaRows(delta: Float32Array, start: number, statsPass: boolean): void {
    const cols = this.spec.cols;
    if (!statsPass && this.mask) {
      for (let i = 0; i < delta.length; i++) {
        const g = start + i;
        if (!((this.mask[g >>> 5]! >>> (g & 31)) & 1)) delta[i] = 0;
      }
      return;
    }
    if (statsPass) this.mask ??= new Uint32Array(Math.ceil(this.n / 32));
    const bits = new Uint32Array(delta.buffer, delta.byteOffset, delta.length);
    const keys = new Float64Array(cols);
    const lo = Math.fround(this.spec.density - this.spec.epsilon);
    const eps2 = 2 * this.spec.epsilon;
    const rng = this.spec.rng!;
    for (let r = 0; r < delta.length; r += cols) {
      // Sort (magnitude bits, column) packed in one float64: 31 bits of key times 2^21 columns.
      for (let c = 0; c < cols; c++) keys[c] = (bits[r + c]! & 0x7fffffff) * 2097152 + c;
      keys.sort();
      for (let rank = 0; rank < cols; rank++) {
        const c = keys[rank]! % 2097152;
        const g = start + r + c;
        const norm = Math.fround(Math.min(1, Math.max(0, rank / (cols - 1))));
        const keep = rng.uniform(g) < Math.fround(lo + Math.fround(norm * eps2));
        const a = Math.abs(delta[r + c]!);
        if (statsPass) {
          this.before += a;
          if (keep) {
            this.after += a;
            this.mask![g >>> 5]! |= 1 << (g & 31);
          }
        } else if (!keep) delta[r + c] = 0;
      }
    }
  }
}
