/**
 * A large task-vector family tensor merged in parts by parallel compute lanes (the pool sized
 * by hardwareConcurrency that src/engine starts). Each lane runs the family's kernel over its
 * part (./part-job.ts); this coordinator, in the merge worker, adds up the parts' histograms
 * after each statistics pass, finds the cuts of the whole tensor as the single-lane kernel
 * would, tells each part how many tied keys come before it, and writes the encoded pieces the
 * lanes send at their offsets, unless the lanes write them into the file themselves
 * (`laneWrites`). The output is bit for bit the single-lane merge's; only the
 * reported norms may differ in their last bits (their float64 sums are added part by part).
 *
 * Only what splits exactly runs in parts: float32 compute, no crops, and sparsifiers whose
 * statistics are integer counts (TIES's and breadcrumbs' magnitude cuts, DARE without a
 * rescale that measures norms: none, or merge_studio's 1 / density; none). The sign elected by
 * count (merge_studio.consensus) is per element and reaches the lanes in the job's compat;
 * magnitude cuts by row (merge_studio.topk_scope) need no statistics at all, only parts of
 * whole rows. Everything else stays on the merge worker.
 */
import { DTYPE_SIZE } from '../../io/dtypes.ts';
import { numelOf } from '../../io/safetensors/header.ts';
import { getMethod } from '../../methods/registry.ts';
import {
  familySparsifiers,
  familySplittable,
  rowAlignOf,
  type SparsifierArgs,
} from '../../methods/shared/family-stream.ts';
import type { CutPlace, StreamSparsifier } from '../../methods/shared/sparsify-stream.ts';
import type { PlannedTensor } from '../../plan/plan-types.ts';
import { makeRng, streamKey } from '../../rng.ts';
import { Scratch } from '../../simd/arena.ts';
import { outputSums, type OutputSums } from '../../simd/sums.ts';
import type { TensorWrite } from '../output-stager.ts';
import type { ComputeContext } from '../compute-tensor.ts';
import { MergeCancelled } from '../cancel.ts';
import { laneInThisRealm, type ComputeLane, type PartHooks, type PartJob } from './part-job.ts';
import { partAlign, splitWeighted } from './split-parts.ts';

/** Tensors smaller than this run on the merge worker: a part's syncs would cost more than it saves. */
export const PARTS_MIN_ELEMENTS = 1 << 21;
/** The tensor's compute context (its `warn` already names the tensor), and the lanes. */
export interface PartsContext extends Pick<
  ComputeContext,
  'computeDtype' | 'seed' | 'compat' | 'warn' | 'write' | 'writeShared' | 'laneFile' | 'signal'
> {
  readonly lanes: readonly ComputeLane[];
  /** Bytes must be views of SharedArrayBuffers (the lanes are workers). */
  readonly needShared: boolean;
  /** Smallest tensor to split (default PARTS_MIN_ELEMENTS; tests lower it for tiny models). */
  readonly minElements?: number;
  /**
   * Who writes the parts' output where the lanes can open the file (`laneFile`): 'auto' (the
   * default) the lanes when the tensor is split in two parts or more, else this coordinator.
   * With one lane this worker has time to spare for the writes while the lane merges; with
   * more, the lanes waited for it to take their pieces (bench:merge, 2 cores, 2 lanes: 4.5 s
   * writing themselves against 4.9-5.1 s; a single lane writing: 6.8 s against 5.4 s; see
   * docs/engine.md, "Merging a tensor in parts").
   */
  readonly laneWrites?: 'auto' | 'always' | 'never';
  /**
   * This coordinator merges a part too, of this size against a lane's 1 (default 0: none).
   * Its part runs on its own thread between the reads it serves, giving the event loop a turn
   * every 16 ms, and goes to its writer without a copy. Another lane's worth of merging
   * without another worker (a worker's isolate and allocator cost ~15 MB in Chromium).
   */
  readonly coordinatorShare?: number;
}

/** What a job says about its compute lanes. */
export type LaneOptions = Pick<
  PartsContext,
  'lanes' | 'needShared' | 'minElements' | 'laneWrites' | 'coordinatorShare'
>;

/** The coordinator's own lane: its parts give the event loop turns (reads go on meanwhile). */
const coordinatorLane = laneInThisRealm(undefined, true);

const isShared = (b: Uint8Array | undefined): boolean =>
  b !== undefined && typeof SharedArrayBuffer === 'function' && b.buffer instanceof SharedArrayBuffer;

/** Whether this tensor can be merged in parts, with the same bytes as on one lane. */
export function canMergeInParts(
  t: PlannedTensor,
  method: string,
  baseBytes: Uint8Array | undefined,
  inputBytes: readonly (Uint8Array | undefined)[],
  ctx: PartsContext,
): boolean {
  const family = getMethod(method)?.family;
  const numel = numelOf(t.shape);
  if (
    !family ||
    ctx.lanes.length < 1 ||
    ctx.computeDtype !== 'F32' ||
    numel < (ctx.minElements ?? PARTS_MIN_ELEMENTS)
  )
    return false;
  if (!t.base || !baseBytes || t.base.crop || t.inputs.some((x) => x.crop) || t.vocab) return false;
  if (ctx.needShared && !(isShared(baseBytes) && inputBytes.every(isShared))) return false;
  return familySplittable(family, { ...sparsifierArgs(t, ctx), round: Math.fround }, numel);
}

function sparsifierArgs(t: PlannedTensor, ctx: Pick<PartsContext, 'seed' | 'compat'>): SparsifierArgs {
  return {
    shape: t.shape,
    global: t.global,
    perModel: t.perModel,
    rng: (k: number) => makeRng(streamKey(ctx.seed, t.name, k)),
    compat: ctx.compat,
  };
}

export interface PartsResult {
  readonly bytes?: Uint8Array;
  readonly sums: OutputSums;
  readonly writeWaitMs: number;
  /** Summed over the lanes (see PartResult). */
  readonly lanesBusyMs: number;
  readonly lanesSyncWaitMs: number;
  readonly lanesWriteWaitMs: number;
  /** Every part wrote its output into the file itself (PartsContext.laneFile). */
  readonly wroteDirectly: boolean;
}

/** Merges one tensor in parts on the lanes (check canMergeInParts first). */
export async function mergeInParts(
  t: PlannedTensor,
  method: string,
  baseBytes: Uint8Array,
  inputBytes: readonly Uint8Array[],
  ctx: PartsContext,
): Promise<PartsResult> {
  const family = getMethod(method)!.family!;
  const n = numelOf(t.shape);
  const share = Math.max(0, ctx.coordinatorShare ?? 0);
  const lanes = share > 0 ? [...ctx.lanes, coordinatorLane] : ctx.lanes;
  const scratch = new Scratch(undefined);
  const sparsifiers = familySparsifiers(family, sparsifierArgs(t, ctx), n, scratch);
  const split = splitWeighted(
    n,
    lanes.map((_, i) => (i < ctx.lanes.length ? 1 : share)),
    partAlign(rowAlignOf(sparsifiers)),
  );
  const parts = split.map((s) => s.part);
  /** Whether part i runs here, in the coordinator's realm (not on a lane of the pool). */
  const own = (i: number): boolean => split[i]!.owner >= ctx.lanes.length;
  const lanesWrite = ctx.laneWrites === 'always' || (ctx.laneWrites !== 'never' && parts.length >= 2);
  sparsifiers.forEach((s, k) => s.warning && ctx.warn(`input ${k + 1}: ${s.warning}`));
  const cutsOf = sparsifiers.map((s) => s.cutStates().length);
  // Tied keys per part, model and cut, from the statistics pass that found the cut (0 before).
  const ties: number[][][] = parts.map(() => cutsOf.map((c) => new Array<number>(c).fill(0)));
  const syncs = new Map<number, Rendezvous<Uint32Array[][], CutPlace[][]>>();
  let failure: { readonly error: unknown } | undefined;
  // Every part polls this between chunks: set at the first failure or at cancel, it stops the
  // others at once instead of after their whole part (shared, so lanes in workers see it).
  const stop = new Int32Array(
    typeof SharedArrayBuffer === 'function' ? new SharedArrayBuffer(4) : new ArrayBuffer(4),
  );
  const fail = (e: unknown): void => {
    failure ??= { error: e };
    Atomics.store(stop, 0, 1);
    syncs.forEach((s) => s.fail(failure!.error));
  };
  const cancel = (): void => fail(new MergeCancelled());
  ctx.signal?.addEventListener('abort', cancel, { once: true });
  if (ctx.signal?.aborted) cancel();
  const syncFor = (pass: number): Rendezvous<Uint32Array[][], CutPlace[][]> => {
    let r = syncs.get(pass);
    if (!r) {
      syncs.set(pass, (r = new Rendezvous(parts.length, (h) => conclude(sparsifiers, pass, h, ties))));
      if (failure) r.fail(failure.error); // a lane already failed: this barrier can never fill
    }
    return r;
  };
  const out = new PieceWriter(ctx.write, ctx.write ? 0 : n * DTYPE_SIZE[t.dtype], ctx.writeShared ?? false);
  const runs = parts.map((part, i) => {
    const job: PartJob = {
      method,
      tensor: t,
      baseBytes,
      inputBytes,
      seed: ctx.seed,
      compat: ctx.compat,
      part,
      stop,
      ...(lanesWrite && ctx.write && ctx.laneFile && !own(i) && { output: ctx.laneFile }),
    };
    const hooks: PartHooks = {
      synced: (pass, histograms) => syncFor(pass).arrive(i, histograms),
      tiesBefore: () =>
        Promise.resolve(
          cutsOf.map((c, k) =>
            Array.from({ length: c }, (_, j) => ties.slice(0, i).reduce((s, tp) => s + tp[k]![j]!, 0)),
          ),
        ),
      // The coordinator's own part hands its staging buffer over as it is: no copy.
      write: (offset, bytes) => (own(i) ? out.writeOwn(offset, bytes) : out.write(offset, bytes)),
    };
    return lanes[split[i]!.owner]!.run(job, hooks);
  });
  // A failed lane must not leave the others waiting at a barrier; and no lane may still be
  // reading the inputs when this returns (their buffers go back to the pool).
  runs.forEach((r) => r.catch(fail));
  const settled = await Promise.allSettled(runs);
  ctx.signal?.removeEventListener('abort', cancel);
  out.close(); // a piece that arrives after a failure is not written
  syncs.clear();
  scratch.release();
  const w0 = performance.now();
  await out.finish();
  const writeWaitMs = performance.now() - w0;
  // The first failure (or the cancel), not the others' "stopped" that it caused.
  if (failure) throw failure.error;
  const sums = outputSums();
  let lanesBusyMs = 0;
  let lanesSyncWaitMs = 0;
  let lanesWriteWaitMs = 0;
  let wroteDirectly = true;
  for (const [i, s] of settled.entries()) {
    if (s.status !== 'fulfilled') continue;
    if (!own(i)) wroteDirectly &&= s.value.wroteDirectly;
    lanesBusyMs += s.value.busyMs;
    lanesSyncWaitMs += s.value.syncWaitMs;
    lanesWriteWaitMs += s.value.writeWaitMs;
    for (const key of ['sumSq', 'diffSq', 'baseSq'] as const)
      for (let j = 0; j < 4; j++) sums[key][j]! += s.value.sums[key][j]!;
  }
  return {
    ...(out.whole && { bytes: out.whole }),
    sums,
    writeWaitMs,
    lanesBusyMs,
    lanesSyncWaitMs,
    lanesWriteWaitMs,
    wroteDirectly,
  };
}

/** After a statistics pass: the parts' histograms added up, the cuts found, ties counted. */
function conclude(
  sparsifiers: readonly StreamSparsifier[],
  pass: number,
  perPart: readonly Uint32Array[][][],
  ties: number[][][],
): CutPlace[][] {
  const active = sparsifiers.map((s) => s.observes(pass));
  sparsifiers.forEach((s, k) => {
    if (!active[k]) return;
    for (const h of perPart) s.addHistograms(pass, h[k]!);
    s.endPass(pass);
  });
  // A magnitude cut's key is known after pass 0 or 1; that pass's histograms count each part's ties.
  perPart.forEach((h, i) =>
    sparsifiers.forEach((s, k) => {
      if (!active[k]) return;
      s.tiesIn(pass, h[k]!).forEach((t, j) => {
        if (t !== undefined) ties[i]![k]![j] = t;
      });
    }),
  );
  return sparsifiers.map((s) => s.cutStates());
}

/** Waits for one value from each of `count` parties, then answers all with `combine(values)`. */
class Rendezvous<T, R> {
  private readonly values: T[] = [];
  private arrived = 0;
  private readonly waiters: { resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private failure: { readonly error: unknown } | undefined;

  constructor(
    private readonly count: number,
    private readonly combine: (values: readonly T[]) => R,
  ) {}

  arrive(i: number, value: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (this.failure) return reject(this.failure.error); // a party failed: nobody waits
      this.waiters.push({ resolve, reject });
      this.values[i] = value;
      if (++this.arrived < this.count) return;
      try {
        const r = this.combine(this.values);
        for (const w of this.waiters) w.resolve(r);
      } catch (e) {
        this.fail(e);
      }
    });
  }

  /** Rejects every party waiting now and every one that arrives later. */
  fail(e: unknown): void {
    this.failure ??= { error: e };
    for (const w of this.waiters.splice(0)) w.reject(e);
  }
}

/** Copy buffers: at least a lane's piece (1 MB); a few are kept for reuse. */
const PIECE_BYTES = 1 << 20;
const MAX_SPARES = 8;

/**
 * The lanes' encoded pieces, copied out of their (shared) staging buffers and written at their
 * offsets, in whatever order the parts deliver them; or into one whole buffer without a writer.
 */
class PieceWriter {
  readonly whole: Uint8Array | undefined;
  private readonly spares: ArrayBuffer[] = [];
  private readonly pending: Promise<void>[] = [];
  private closed = false;

  constructor(
    private readonly target: TensorWrite | undefined,
    wholeBytes: number,
    /** The target takes the lanes' views: no copy (a lane reuses its piece once this settles). */
    private readonly direct: boolean,
  ) {
    this.whole = target ? undefined : new Uint8Array(wholeBytes);
  }

  write(offset: number, bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.whole) {
      this.whole.set(bytes, offset);
      return Promise.resolve();
    }
    if (this.direct) {
      const written = this.target!(offset, bytes) ?? Promise.resolve();
      this.pending.push(written);
      return written;
    }
    const spare = this.spares.pop();
    const buffer =
      spare && spare.byteLength >= bytes.byteLength
        ? spare
        : new ArrayBuffer(Math.max(PIECE_BYTES, bytes.byteLength));
    const copy = new Uint8Array(buffer, 0, bytes.byteLength);
    copy.set(bytes);
    const p = this.target!(offset, copy);
    if (p === undefined) {
      this.spares.push(buffer);
      return Promise.resolve();
    }
    const done = p.then(() => void (this.spares.length < MAX_SPARES && this.spares.push(buffer)));
    this.pending.push(done);
    return done;
  }

  /**
   * A piece from this realm, whose buffer the sender keeps until the write settles: no copy.
   * A writer that finishes before returning (OPFS sync access handles) returns nothing, so the
   * part's stager reuses one staging buffer, as the single-thread merge does.
   */
  writeOwn(offset: number, bytes: Uint8Array): Promise<void> | undefined {
    if (this.closed || this.whole || !this.target) return this.write(offset, bytes);
    const written = this.target(offset, bytes);
    if (written) this.pending.push(written);
    return written;
  }

  /** Every lane has stopped: later pieces (of a failed tensor) are dropped. */
  close(): void {
    this.closed = true;
  }

  async finish(): Promise<void> {
    await Promise.all(this.pending);
  }
}
