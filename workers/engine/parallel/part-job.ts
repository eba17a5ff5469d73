/**
 * One part of a tensor merged by a compute lane: elements [lo, hi) of a task-vector family
 * tensor, read from the inputs' stored bytes (SharedArrayBuffers the coordinating merge
 * worker filled), merged by the family's kernel, encoded, and either written into the output
 * file by the lane itself (where its realm can open the file: PartJob.output) or handed back
 * to the coordinator piece by piece.
 *
 * The kernel pauses at barriers (../../methods/shared/family-stream.ts): after each
 * statistics pass the part's histograms go to the coordinator, which answers, once every
 * part has reported, with the cuts of the whole tensor; before the output pass it answers
 * with how many tied keys the parts before this one hold. The result is bit for bit the
 * single-lane merge's.
 */
import { rounderFor } from '../../io/dtypes.ts';
import type { LaneFile, LaneFileOpener, LaneFileTarget } from '../../io/lane-file.ts';
import { numelOf } from '../../io/safetensors/header.ts';
import { getMethod } from '../../methods/registry.ts';
import { streamFamilyPart, type FamilyKernel, type FamilyPart } from '../../methods/shared/family-stream.ts';
import type { CutPlace } from '../../methods/shared/sparsify-stream.ts';
import type { Compat } from '../../methods/types.ts';
import type { PlannedTensor } from '../../plan/plan-types.ts';
import { makeRng, streamKey } from '../../rng.ts';
import { outputStats, outputSums, type OutputSums } from '../../simd/sums.ts';
import { OutputStager } from '../output-stager.ts';
import { rawSource } from '../raw-source.ts';
import { eventLoopTurns } from '../yield.ts';

/** Elements per chunk the kernel aims for (it uses its own, smaller, family chunk). */
const CHUNK = 1 << 18;

/** What a lane needs to merge its part; plain data, so it can be posted to a worker. */
export interface PartJob {
  readonly method: string;
  readonly tensor: PlannedTensor;
  /** The inputs' stored bytes (views of SharedArrayBuffers when the lane is a worker). */
  readonly baseBytes: Uint8Array | undefined;
  readonly inputBytes: readonly Uint8Array[];
  readonly seed: number;
  readonly compat: Compat;
  readonly part: FamilyPart;
  /**
   * The shard the tensor goes into, where the lane can open it itself, and the byte offset of
   * the tensor's data in it: the part's output is then written there, not sent as pieces.
   */
  readonly output?: { readonly file: LaneFileTarget; readonly at: number };
  /**
   * Non-zero once the tensor has failed or the merge was cancelled (the coordinator sets it;
   * shared with lanes in workers): the part stops at its next chunk.
   */
  readonly stop?: Int32Array;
}

/** What a part throws when the coordinator stopped it (it reports the cause itself). */
export class PartStopped extends Error {
  override readonly name: string = 'PartStopped';
  constructor() {
    super('this part was stopped: another part failed, or the merge was cancelled');
  }
}

/** The coordinator's side of one part, called by the lane. */
export interface PartHooks {
  /**
   * After statistics pass `pass`: this part's histograms per model (empty for models without
   * a statistics pass); resolves with every model's cuts for the whole tensor.
   */
  synced(pass: number, histograms: Uint32Array[][]): Promise<CutPlace[][]>;
  /** Before the output pass: per model and cut, the tied keys in the parts before this one. */
  tiesBefore(): Promise<number[][]>;
  /**
   * Encoded output at `offset` bytes into the tensor's data; the view is reused once settled
   * (at once when this returns nothing: a part in the coordinator's realm, written in place).
   */
  write(offset: number, bytes: Uint8Array): Promise<void> | undefined;
}

export interface PartResult {
  /** The output statistics of this part (sums by absolute index mod 4). */
  readonly sums: OutputSums;
  /** Time merging, and time waiting for the coordinator: at the barriers, for written pieces. */
  readonly busyMs: number;
  readonly syncWaitMs: number;
  readonly writeWaitMs: number;
  /** The part wrote its output into the file itself (PartJob.output). */
  readonly wroteDirectly: boolean;
}

/** A lane: somewhere a part can run (a compute worker, or this realm for tests). */
export interface ComputeLane {
  run(job: PartJob, hooks: PartHooks): Promise<PartResult>;
}

/** Encoded pieces a part may have in flight to the coordinator before it waits for them. */
const IN_FLIGHT = 2;

/**
 * Shared memory for the histograms a part hands over at its barriers: slabs of at least 1 MB,
 * kept per running part and reused. Posted as ordinary arrays they were copied into every
 * message (128-256 KB per model and barrier), and the copies lay about until the collector
 * ran: with two lanes in Chromium, about 20 MB more at the peak (docs/browser.md). A view of
 * shared memory is posted without a copy; the coordinator reads it before it answers, and the
 * part fills it again only after the answer.
 */
const SLAB_BYTES = 1 << 20;
const spareSlabs: SharedArrayBuffer[][] = [];

class HistogramCourier {
  private readonly slabs: SharedArrayBuffer[] = spareSlabs.pop() ?? [];
  private slab = 0;
  private at = 0;

  /** Room for one barrier's histograms, from the start of the slabs again. */
  readonly alloc = (length: number): Uint32Array => {
    const bytes = length * 4;
    while (this.slab < this.slabs.length && this.at + bytes > this.slabs[this.slab]!.byteLength) {
      this.slab++;
      this.at = 0;
    }
    if (this.slab === this.slabs.length) this.slabs.push(new SharedArrayBuffer(Math.max(SLAB_BYTES, bytes)));
    const view = new Uint32Array(this.slabs[this.slab]!, this.at, length);
    this.at += bytes;
    return view;
  };

  /** The next barrier may overwrite the last one's histograms (it has been answered). */
  rewind(): void {
    this.slab = 0;
    this.at = 0;
  }

  release(): void {
    if (spareSlabs.length < 4) spareSlabs.push(this.slabs);
  }
}

const sharedMemory = typeof SharedArrayBuffer === 'function';

/**
 * Runs a part to the end (the body of every lane). `files` opens the job's output file where
 * this realm can; otherwise, or without one, the encoded pieces go to the coordinator.
 * `turn`, called between chunks, gives the realm's event loop a turn when it returns a promise
 * (a part that shares its thread with the merge worker's reads: coordinatorShare).
 */
export async function runPart(
  job: PartJob,
  hooks: PartHooks,
  files?: LaneFileOpener,
  turn?: () => Promise<void> | undefined,
): Promise<PartResult> {
  const t = job.tensor;
  const family = getMethod(job.method)?.family;
  if (!family) throw new Error(`${job.method} cannot be merged in parts`);
  const acc = outputSums();
  // The file opens while the statistics passes run; the output pass waits for it.
  const target = job.output;
  const opening = target && files?.(target.file);
  opening?.catch(() => undefined); // reported where the output pass awaits it
  let file: LaneFile | undefined;
  const output = new OutputStager(
    numelOf(t.shape),
    t.dtype,
    opening
      ? (offset, bytes) => {
          if (!file) throw new Error('a compute lane wrote before its output file was open');
          file.write(target!.at + offset, bytes);
          return undefined;
        }
      : (offset, bytes) => hooks.write(offset, bytes),
  );
  const openFile = opening && (async (): Promise<void> => void (file = await opening));
  let result: PartResult;
  try {
    result = await mergePart(job, family, hooks, output, acc, openFile, turn);
  } catch (e) {
    try {
      (await opening?.catch(() => undefined))?.close();
    } catch {
      // the part's own failure is the one to report
    }
    throw e;
  }
  (await opening)?.close(); // a file that fails to close fails the part
  return result;
}

async function mergePart(
  job: PartJob,
  family: FamilyKernel,
  hooks: PartHooks,
  output: OutputStager,
  acc: OutputSums,
  /** Opens the output file the part writes into itself (before the output pass). */
  openFile: (() => Promise<void>) | undefined,
  turn: (() => Promise<void> | undefined) | undefined,
): Promise<PartResult> {
  const t = job.tensor;
  const src = rawSource(t, job.baseBytes, job.inputBytes, 'F32');
  const kernel = streamFamilyPart(
    family,
    {
      shape: t.shape,
      global: t.global,
      perModel: t.perModel,
      round: rounderFor('F32'),
      rng: (k) => makeRng(streamKey(job.seed, t.name, k)),
      warn: () => undefined, // the coordinator warns, once for the whole tensor
      compat: job.compat,
      src,
      chunk: CHUNK,
      emit: (start, values, known) => {
        // The family kernel hands over the base's values it read; read them only if not.
        let b = known;
        if (t.base && !b) src.read(-1, start, (b = new Float32Array(values.length)));
        outputStats(values, b, start, acc);
        output.push(start, values);
      },
    },
    job.part,
  );
  const courier = sharedMemory ? new HistogramCourier() : undefined;
  const started = performance.now();
  const waited = { sync: 0, write: 0 };
  const waiting = async <T>(p: Promise<T>, on: 'sync' | 'write' = 'sync'): Promise<T> => {
    const w0 = performance.now();
    try {
      return await p;
    } finally {
      waited[on] += performance.now() - w0;
    }
  };
  try {
    for (let step = kernel.next(); !step.done; step = kernel.next()) {
      const backlog = output.backlog(IN_FLIGHT);
      if (backlog) await waiting(backlog, 'write');
      const turning = turn?.();
      if (turning) await turning; // counted as busy: the thread runs the realm's other work
      if (job.stop && Atomics.load(job.stop, 0) !== 0) throw new PartStopped();
      if (output.writeFailure) throw output.writeFailure;
      const barrier = step.value;
      if (!barrier) continue;
      const { after, sparsifiers } = barrier;
      if (after === 'output') {
        const [before] = await waiting(Promise.all([hooks.tiesBefore(), openFile?.()]));
        sparsifiers.forEach((s, k) => s.startAfter(before[k]!));
        continue;
      }
      const active = sparsifiers.map((s) => s.observes(after));
      courier?.rewind();
      const histograms = sparsifiers.map((s, k) => (active[k] ? s.histograms(after, courier?.alloc) : []));
      const cuts = await waiting(hooks.synced(after, histograms));
      sparsifiers.forEach((s, k) => active[k] && s.adoptCuts(cuts[k]!));
    }
  } finally {
    kernel.return(); // on a failure too: the kernel's finally frees its arena memory
    courier?.release(); // every barrier has been answered (or failed): the coordinator is done with it
  }
  await waiting(output.finish(), 'write'); // throws a failed write
  const busyMs = performance.now() - started - waited.sync - waited.write;
  return {
    sums: acc,
    busyMs,
    syncWaitMs: waited.sync,
    writeWaitMs: waited.write,
    wroteDirectly: openFile !== undefined,
  };
}

/**
 * A lane in this realm: the parts run interleaved on this thread (tests, Node without workers,
 * the coordinator's own share), sending their pieces to the coordinator, or writing into files
 * `files` opens. With `turns`, a part gives the event loop a turn every 16 ms or so
 * (../yield.ts), so that the realm's reads and messages go on while it merges.
 */
export const laneInThisRealm = (files?: LaneFileOpener, turns = false): ComputeLane => ({
  run: (job, hooks) => runPart(job, hooks, files, turns ? eventLoopTurns() : undefined),
});

/** Such a lane that sends its pieces to the coordinator. */
export const inProcessLane: ComputeLane = laneInThisRealm();
