/**
 * One output tensor from its inputs' bytes: decode to float32 (cropping and rounding to the
 * compute dtype as planned), run the method's kernel, encode to the output dtype.
 *
 * Streaming methods (the task-vector family) and elementwise methods run chunk by chunk
 * straight from the stored bytes, so besides those only a few chunk-sized float32 buffers are
 * alive; the others decode whole tensors to float32. The chunk buffers come from the SIMD
 * arena (workers/simd) when it has room, so decoding, the CPU kernels' float32-mode loops,
 * the statistics and encoding run as WebAssembly SIMD kernels, with the same bits as their JS
 * references.
 */
import { decodeToF32, DTYPE_SIZE, rounderFor, roundArrayTo, type WritableDType } from '../io/dtypes.ts';
import type { LaneFileTarget } from '../io/lane-file.ts';
import { numelOf } from '../io/safetensors/header.ts';
import { getMethod } from '../methods/registry.ts';
import type { Compat } from '../methods/types.ts';
import type { MergeBackend } from '../backends/types.ts';
import type { PlannedInput, PlannedTensor } from '../plan/plan-types.ts';
import { makeRng, streamKey } from '../rng.ts';
import { checkAbort } from './cancel.ts';
import { OutputStager, type TensorWrite } from './output-stager.ts';
import { drive, eventLoopTurns } from './yield.ts';
import { Scratch } from '../simd/arena.ts';
import { rawSource } from './raw-source.ts';
import {
  canMergeInParts,
  mergeInParts,
  type LaneOptions,
  type PartsContext,
} from './parallel/merge-in-parts.ts';
import { outputStats, outputSums, total } from '../simd/sums.ts';

/** Elements per chunk for elementwise methods: 256K floats = 1 MB per input buffer. */
export const CHUNK_ELEMENTS = 1 << 18;
/** On the CPU: 128K floats (512 KB a buffer), small enough for the SIMD arena with many inputs. */
const CPU_CHUNK_ELEMENTS = 1 << 17;
/**
 * Output writes (8 MB staging buffers) an asynchronous writer may have in flight before the
 * kernel waits for them at its next pause: the output's memory stays at ~2 staging buffers.
 * Saving through createWritable, 24 layers of bench:browser: 822 MB at the peak and 22.7 s
 * with 1, 838 MB and 24.2 s with 2 (docs/browser.md).
 */
const WRITES_IN_FLIGHT = 1;

export interface ComputeContext {
  readonly backend: MergeBackend;
  readonly computeDtype: WritableDType;
  readonly seed: number;
  readonly compat: Compat;
  readonly warn: (message: string) => void;
  /**
   * Streams the encoded output to its place in the file as it is produced; without it the
   * whole encoded tensor is returned in `bytes`.
   */
  readonly write?: TensorWrite;
  /** `write` takes views of SharedArrayBuffers (see FileWriter.acceptsShared). */
  readonly writeShared?: boolean;
  /**
   * The file `write` writes into, where a compute lane can open it itself (FileWriter.laneTarget),
   * and the byte offset of this tensor's data in it.
   */
  readonly laneFile?: { readonly file: LaneFileTarget; readonly at: number };
  /**
   * Compute lanes for merging large task-vector family tensors in parts (./parallel);
   * `needShared`: the lanes are workers, so only inputs in SharedArrayBuffers can go to them.
   */
  readonly lanes?: LaneOptions;
  /**
   * The job's cancel: seen at the kernel's next chunk (and by the lanes of a tensor merged in
   * parts), so a large tensor stops within milliseconds, not when it is done.
   */
  readonly signal?: AbortSignal;
}

/** Decodes an input, applying its crop (top-left block) and the compute-dtype rounding. */
export function decodeInput(
  bytes: Uint8Array,
  input: PlannedInput,
  computeDtype: WritableDType,
): Float32Array {
  let out: Float32Array;
  if (input.crop) {
    const [rows, cols] = input.crop;
    const fullCols = input.shape[1]!;
    const size = DTYPE_SIZE[input.dtype];
    const head = decodeToF32(bytes.subarray(0, rows * fullCols * size), input.dtype);
    if (cols === fullCols) out = head;
    else {
      out = new Float32Array(rows * cols);
      for (let r = 0; r < rows; r++) out.set(head.subarray(r * fullCols, r * fullCols + cols), r * cols);
    }
  } else out = decodeToF32(bytes, input.dtype);
  if (input.dtype !== computeDtype) roundArrayTo(out, computeDtype);
  return out;
}

export interface ComputedTensor {
  /** The encoded tensor, unless it was streamed to `ComputeContext.write`. */
  readonly bytes?: Uint8Array;
  readonly byteLength: number;
  /** Time spent waiting for the last writes of this tensor to finish. */
  readonly writeWaitMs: number;
  /** Merged in parts on compute lanes: the lanes' time merging and waiting (summed). */
  readonly inParts?: {
    readonly busyMs: number;
    readonly syncWaitMs: number;
    readonly writeWaitMs: number;
    /** The lanes wrote their parts into the file themselves. */
    readonly wroteDirectly: boolean;
  };
  /** Sum of squares of the output, and of (output - base) when there is a base. */
  readonly sumSq: number;
  readonly diffSq: number | undefined;
  readonly baseSq: number | undefined;
}

export async function computeTensor(
  t: PlannedTensor,
  method: string,
  baseBytes: Uint8Array | undefined,
  /** Consumed: whole-tensor methods drop each input's bytes once decoded, to free memory. */
  inputBytes: (Uint8Array | undefined)[],
  ctx: ComputeContext,
): Promise<ComputedTensor> {
  const m = getMethod(method)!;
  const numel = numelOf(t.shape);
  const output = new OutputStager(numel, t.dtype, ctx.write);
  const round = rounderFor(ctx.computeDtype);
  const rng = (k: number): ReturnType<typeof makeRng> => makeRng(streamKey(ctx.seed, t.name, k));
  // float64 sums, four by index mod 4 (workers/simd/sums.ts): the same in any chunking
  const acc = outputSums();
  const result = async (): Promise<ComputedTensor> => {
    const w0 = performance.now();
    await output.finish();
    return {
      writeWaitMs: performance.now() - w0 + output.waitedMs,
      ...(output.whole && { bytes: output.whole }),
      byteLength: numel * DTYPE_SIZE[t.dtype],
      sumSq: total(acc.sumSq),
      diffSq: t.base ? total(acc.diffSq) : undefined,
      baseSq: t.base ? total(acc.baseSq) : undefined,
    };
  };
  const common = {
    shape: t.shape,
    global: t.global,
    perModel: t.perModel,
    round,
    rng,
    warn: (msg: string) => ctx.warn(`${t.name}: ${msg}`),
    compat: ctx.compat,
    ...(t.weights && { weights: t.weights }),
  };
  const run = (inputs: Float32Array[], base: Float32Array | undefined, out: Float32Array): Promise<void> =>
    ctx.backend.run(m, { ...common, inputs, base, out });

  const src = rawSource(t, baseBytes, inputBytes, ctx.computeDtype);
  const crops = t.inputs.some((x) => x.crop) || t.base?.crop !== undefined;
  const routes = ctx.backend.selection?.routes;
  const onCpu =
    ctx.backend.name === 'cpu' || routes?.[t.elementwise ? 'elementwise' : 'wholeTensor'] === 'cpu';
  if (ctx.lanes && m.stream && onCpu) {
    const parts: PartsContext = { ...ctx, ...ctx.lanes, warn: common.warn };
    if (canMergeInParts(t, method, baseBytes, inputBytes, parts)) {
      const r = await mergeInParts(t, method, baseBytes!, inputBytes as Uint8Array[], parts);
      return {
        writeWaitMs: r.writeWaitMs,
        inParts: {
          busyMs: r.lanesBusyMs,
          syncWaitMs: r.lanesSyncWaitMs,
          writeWaitMs: r.lanesWriteWaitMs,
          wroteDirectly: r.wroteDirectly,
        },
        ...(r.bytes && { bytes: r.bytes }),
        byteLength: numel * DTYPE_SIZE[t.dtype],
        sumSq: total(r.sums.sumSq),
        diffSq: total(r.sums.diffSq),
        baseSq: total(r.sums.baseSq),
      };
    }
  }
  if (m.stream && onCpu && !crops) {
    // Streaming: statistics passes and output straight from the stored bytes, chunk by chunk.
    const scratch = new Scratch();
    try {
      const baseChunk = t.base ? scratch.f32(Math.min(numel, CHUNK_ELEMENTS)) : undefined;
      // The kernel yields after every chunk; the event loop gets a turn every few milliseconds.
      await drive(
        m.stream({
          ...common,
          src,
          chunk: CHUNK_ELEMENTS,
          emit: (start, values, known) => {
            let b = t.base ? known : undefined;
            if (baseChunk && !b) {
              b =
                values.length <= baseChunk.length
                  ? baseChunk.subarray(0, values.length)
                  : new Float32Array(values.length);
              src.read(-1, start, b);
            }
            outputStats(values, b, start, acc);
            output.push(start, values);
          },
        }),
        undefined,
        () => (checkAbort(ctx.signal), output.backlog(WRITES_IN_FLIGHT)),
      );
    } finally {
      scratch.release();
    }
    return result();
  }
  const chunk = onCpu ? CPU_CHUNK_ELEMENTS : CHUNK_ELEMENTS;
  if (t.elementwise && numel > chunk && !crops) {
    const scratch = new Scratch();
    try {
      const bufs = t.inputs.map(() => scratch.f32(chunk));
      const baseBuf = t.base ? scratch.f32(chunk) : undefined;
      const out = scratch.f32(chunk);
      const turn = eventLoopTurns();
      for (let s = 0; s < numel; s += chunk) {
        await (output.backlog(WRITES_IN_FLIGHT) ?? turn());
        checkAbort(ctx.signal);
        const n = Math.min(chunk, numel - s);
        const xs = bufs.map((buf, k) => {
          const view = buf.subarray(0, n);
          src.read(k, s, view);
          return view;
        });
        let b: Float32Array | undefined;
        if (baseBuf) src.read(-1, s, (b = baseBuf.subarray(0, n)));
        const o = out.subarray(0, n);
        await run(xs, b, o);
        outputStats(o, b, s, acc);
        output.push(s, o);
      }
    } finally {
      scratch.release();
    }
    return result();
  }
  let xs: Float32Array[];
  let base: Float32Array | undefined;
  if (t.vocab) {
    // Rebuilt for the output tokenizer (./reindexed-source.ts): a row may come from another
    // model's bytes, so every input's bytes stay until all are read.
    const whole = (k: number): Float32Array => {
      const x = new Float32Array(numel);
      src.read(k, 0, x);
      return x;
    };
    xs = t.inputs.map((_, k) => whole(k));
    base = t.base && baseBytes ? whole(-1) : undefined;
    inputBytes.fill(undefined);
  } else {
    xs = t.inputs.map((input, k) => {
      const x = decodeInput(inputBytes[k]!, input, ctx.computeDtype);
      inputBytes[k] = undefined;
      return x;
    });
    base = t.base && baseBytes ? decodeInput(baseBytes, t.base, ctx.computeDtype) : undefined;
  }
  const out = new Float32Array(numel);
  await run(xs, base, out);
  outputStats(out, base, 0, acc);
  output.push(0, out);
  return result();
}
