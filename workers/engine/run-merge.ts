/**
 * A whole merge job: open the models (headers only), plan, then per shard write the header and
 * stream each tensor (read its inputs, merge, encode, write at its planned offset), and write
 * the metadata files last: the job starts by removing config.json (./output-folder.ts), so an
 * interrupted job leaves nothing that looks like a complete model. Memory stays at about one
 * tensor per input model (plus one read block per model and the output tensor), whatever the
 * model size.
 */
import { cpuBackend } from '../backends/cpu/cpu-backend.ts';
import type { MergeBackend } from '../backends/types.ts';
import type { LoadedModel } from '../io/load-model.ts';
import { withAdapters } from '../io/lora/with-adapters.ts';
import { checkAbort, MergeCancelled } from './cancel.ts';
import { loadFresh, type ModelLoader } from './model-cache.ts';
import type { FileWriter, ModelResolver, OutputSink } from '../io/source.ts';
import type { ModelInfo } from '../plan/architecture.ts';
import { buildPlan } from '../plan/build-plan.ts';
import type { MergePlan } from '../plan/plan-types.ts';
import type { Recipe } from '../plan/recipe.ts';
import { referencedModels } from '../plan/recipe.ts';
import type { MergeProgress, MergeResult, MergeTimings, TensorChange } from '../protocol.ts';
import { BufferPool } from './buffer-pool.ts';
import { computeTensor } from './compute-tensor.ts';
import { yieldToEventLoop } from './yield.ts';
import { writeMetadataFiles } from './metadata-files.ts';
import { planShards, shardIndex, type ShardPlan } from './shards.ts';
import { JOB_STATE_FILE, jobFingerprint } from './job-state.ts';
import { startJob, writeShards } from './output-folder.ts';
import type { LaneOptions } from './parallel/merge-in-parts.ts';
import type { ReaderStats } from './tensor-reader.ts';
import { inputBytesOf, inputsOf, makeReaders, readAhead, skipInputs, type Readers } from './merge-inputs.ts';

export interface MergeJob {
  readonly recipe: Recipe;
  /** The recipe as the user wrote it, saved verbatim as mergekit_config.yml. */
  readonly recipeText?: string;
  readonly resolve: ModelResolver;
  readonly sink: OutputSink;
  /** Title of the model card (the output folder's name). */
  readonly outputName?: string;
  readonly maxShardBytes?: number;
  /** Seed for random methods when the recipe sets none. */
  readonly seed?: number;
  /** Largest contiguous read, in bytes (coalescing of neighbouring tensors). */
  readonly maxReadBlock?: number;
  /** Models that are Hub repositories (for the model card's links and base_model list). */
  readonly hubModels?: ReadonlySet<string>;
  /** Where kernels run (default: the CPU reference). */
  readonly backend?: MergeBackend;
  /**
   * Compute lanes that merge large task-vector family tensors in parts, in parallel
   * (./parallel). `needShared`: the lanes are workers, so the inputs are read into
   * SharedArrayBuffers (which needs a cross-origin isolated page in a browser).
   */
  readonly lanes?: LaneOptions;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: MergeProgress) => void;
  readonly onLog?: (line: string) => void;
  /** Minimum milliseconds between progress events (the last one is always sent). */
  readonly progressIntervalMs?: number;
  /**
   * mergekit's --no-copy-tokenizer (false): the donor's tokenizer and generation files are not
   * copied, unless the recipe merges tokenizers. Default true.
   */
  readonly copyTokenizer?: boolean;
  /** mergekit's --no-write-model-card (false): no README.md nor mergekit_config.yml. Default true. */
  readonly writeModelCard?: boolean;
  /**
   * A merge of bare checkpoints (mergekit-pytorch, ../raw): how its models are opened and
   * planned. Its output is the weights alone (no config, tokenizer or card).
   */
  readonly raw?: {
    load(signal?: AbortSignal): Promise<Map<string, LoadedModel>>;
    plan(models: ReadonlyMap<string, LoadedModel>): MergePlan;
  };
}

export { MergeCancelled };

/**
 * Opens the recipe's models (headers, config, tokenizer when the recipe needs it). An id
 * `base+adapter` (mergekit's LoRA form) is the base with the adapter merged in as it is read
 * (../io/lora); it keeps its id. `load` opens each resolved source: merges read it all
 * afresh; the Run panel's plan passes a ModelCache's loader (./model-cache.ts).
 */
export async function loadModels(
  recipe: Recipe,
  resolve: ModelResolver,
  signal?: AbortSignal,
  load: ModelLoader = loadFresh,
): Promise<Map<string, LoadedModel>> {
  const ids = referencedModels(recipe);
  const open = withAdapters(resolve);
  const loaded = await Promise.all(ids.map(async (id) => load(recipe, await open(id, signal), signal)));
  return new Map(ids.map((id, i) => [id, loaded[i]!]));
}

export async function runMerge(job: MergeJob): Promise<MergeResult> {
  const started = Date.now();
  const { signal } = job;
  const warnings: string[] = [];
  const warn = (w: string): void => {
    if (warnings.includes(w)) return;
    warnings.push(w);
    job.onLog?.(`warning: ${w}`);
  };
  // Each finished read reports progress (throttled), so a slow download is seen as it goes.
  const stats: ReaderStats = { requests: 0, bytes: 0, onRead: () => emit('merging') };
  let written = 0;
  let done = 0;
  let lastEmit = 0;
  let plan: MergePlan | undefined;
  let totalBytes = 0;
  let bytesToRead = 0;
  const emit = (phase: MergeProgress['phase'], current?: string, force = false): void => {
    const now = Date.now();
    if (!job.onProgress || (!force && now - lastEmit < (job.progressIntervalMs ?? 100))) return;
    lastEmit = now;
    const elapsed = now - started;
    const secs = Math.max(elapsed / 1000, 1e-3);
    job.onProgress({
      phase,
      tensorsDone: done,
      tensorsTotal: plan?.tensors.length ?? 0,
      bytesRead: stats.bytes,
      ...(bytesToRead > 0 && { bytesToRead }),
      bytesWritten: written,
      bytesTotal: totalBytes,
      ...(current !== undefined && { currentTensor: current }),
      elapsedMs: elapsed,
      ...(written > 0 && totalBytes > 0 && { etaMs: (elapsed * (totalBytes - written)) / written }),
      readMBps: stats.bytes / 1e6 / secs,
      writeMBps: written / 1e6 / secs,
      warnings: warnings.length,
    });
  };

  emit('loading', undefined, true);
  const models = job.raw ? await job.raw.load(signal) : await loadModels(job.recipe, job.resolve, signal);
  for (const m of models.values()) for (const note of m.source.notes ?? []) warn(note);
  checkAbort(signal);
  emit('planning', undefined, true);
  plan = job.raw
    ? job.raw.plan(models)
    : buildPlan(
        job.recipe,
        models as ReadonlyMap<string, ModelInfo>,
        job.seed === undefined ? {} : { seed: job.seed },
      );
  for (const w of plan.warnings) warn(w);
  const shards = planShards(plan.tensors, job.maxShardBytes);
  totalBytes = shards.reduce((s, sh) => s + sh.layout.totalSize, 0);
  job.onLog?.(
    `plan: ${plan.tensors.length} tensors, ${plan.numLayers} layers, ${shards.length} shard(s), ${(totalBytes / 1e6).toFixed(1)} MB`,
  );
  bytesToRead = plan.tensors.reduce((s, t) => s + inputBytesOf(t), 0);
  // The sizes are known from here on, before the first input arrives.
  emit('merging', undefined, true);

  // Before the first shard: this job's state, and no earlier model's config or weights (see there).
  const state = await startJob(job.sink, jobFingerprint(plan, models, shards), shards);
  const pool = new BufferPool(undefined, job.lanes?.needShared ?? false);
  const readers = makeReaders(plan, models, stats, job.maxReadBlock ?? 32 * 1024 * 1024, pool);
  const changes: TensorChange[] = [];
  const timings: MergeTimings = { readWaitMs: 0, computeMs: 0, writeWaitMs: 0 };
  const inParts = { count: 0, direct: 0 };
  const { files, resumed } = await writeShards(job.sink, state, shards, {
    // An earlier run finished this shard: skip its tensors, reading nothing.
    skip: (shard) => {
      for (const t of shard.tensors) {
        skipInputs(readers, t);
        done++;
      }
      written += shard.layout.totalSize;
    },
    write: async (shard) => {
      await writeShard(job, plan, shard, readers, pool, {
        onTensor: (name, bytes, change) => {
          done++;
          written += bytes;
          changes.push(change);
          emit('merging', name);
        },
        warn,
        timings,
        inParts,
      });
      written += shard.layout.header.byteLength;
    },
    signal,
    onLog: job.onLog,
  });
  checkAbort(signal);
  const share = job.lanes?.coordinatorShare ?? 0;
  if (inParts.count > 0)
    job.onLog?.(
      `compute: ${inParts.count} tensors merged in parts on ${job.lanes?.lanes.length ?? 0} lanes` +
        (share > 0 ? ` and a share of ${share} of a lane's part on this thread` : ''),
    );
  if (inParts.direct > 0)
    job.onLog?.(`compute: the lanes wrote ${inParts.direct} of them into the files themselves`);
  emit('finishing', undefined, true);
  if (shards.length > 1) {
    const text = shardIndex(shards);
    await job.sink.writeFile('model.safetensors.index.json', text);
    files.push({ path: 'model.safetensors.index.json', size: new TextEncoder().encode(text).byteLength });
  }
  if (!job.raw) files.push(...(await writeMetadataFiles(job, plan, models, warn)));
  await job.sink.remove?.(JOB_STATE_FILE);
  const result: MergeResult = {
    files,
    tensors: plan.tensors.length,
    layers: plan.numLayers,
    bytesRead: stats.bytes,
    bytesWritten: files.reduce((s, f) => s + f.size, 0),
    readRequests: stats.requests,
    elapsedMs: Date.now() - started,
    warnings,
    changes,
    resumedShards: resumed,
    timings,
  };
  emit('done', undefined, true);
  return result;
}

async function writeShard(
  job: MergeJob,
  plan: MergePlan,
  shard: ShardPlan,
  readers: Readers,
  pool: BufferPool,
  cb: {
    onTensor: (name: string, bytes: number, change: TensorChange) => void;
    warn: (w: string) => void;
    timings: MergeTimings;
    /** Counts the tensors merged in parts on compute lanes. */
    inParts: { count: number; direct: number };
  },
): Promise<void> {
  const { signal } = job;
  const writer: FileWriter = await job.sink.createFile(shard.file, shard.layout.totalSize);
  // A small pipeline: the inputs of the tensors after this one are read, and the previous
  // tensor written, while this one is merged, so network, compute and disk overlap. What is
  // read ahead stays within what the largest tensor's inputs need anyway (at least 64 MB),
  // so memory stays at about one large tensor per model.
  const ahead = readAhead(plan, shard.tensors, readers, pool, signal);
  try {
    await writer.write(0, shard.layout.header);
    const offsets = new Map(shard.layout.entries.map((e) => [e.name, e.offset]));
    for (const t of shard.tensors) {
      checkAbort(signal);
      let t0 = performance.now();
      const { inputs, started } = ahead.next();
      const [baseBytes, inputBytes] = await inputs;
      cb.timings.readWaitMs += performance.now() - t0;
      t0 = performance.now();
      // Let the read-ahead reach the network before the (synchronous) merge takes the thread:
      // its requests are only sent once the pending promise steps have run.
      if (started) await yieldToEventLoop();
      const tensorOffset = offsets.get(t.name)!;
      const out = await computeTensor(t, plan.method, baseBytes, inputBytes, {
        write: writer.writeSync
          ? (offset, bytes) => void writer.writeSync!(tensorOffset + offset, bytes)
          : (offset, bytes) => writer.write(tensorOffset + offset, bytes),
        writeShared: writer.acceptsShared === true,
        ...(writer.laneTarget && { laneFile: { file: writer.laneTarget, at: tensorOffset } }),
        backend: job.backend ?? cpuBackend,
        computeDtype: plan.computeDtype,
        seed: plan.seed,
        compat: plan.compat,
        warn: cb.warn,
        ...(job.signal && { signal: job.signal }),
        ...(job.lanes && job.lanes.lanes.length > 0 && { lanes: job.lanes }),
      });
      // The inputs' bytes are no longer needed: big ones go back to the pool for the next tensors.
      for (const x of inputsOf(t)) readers.get(x.model)!.release(x.tensor);
      cb.timings.computeMs += performance.now() - t0 - out.writeWaitMs;
      cb.timings.writeWaitMs += out.writeWaitMs;
      if (out.inParts) {
        cb.inParts.count++;
        if (out.inParts.wroteDirectly) cb.inParts.direct++;
        cb.timings.lanesBusyMs = (cb.timings.lanesBusyMs ?? 0) + out.inParts.busyMs;
        cb.timings.lanesSyncWaitMs = (cb.timings.lanesSyncWaitMs ?? 0) + out.inParts.syncWaitMs;
        cb.timings.lanesWriteWaitMs = (cb.timings.lanesWriteWaitMs ?? 0) + out.inParts.writeWaitMs;
      }
      const change: TensorChange = {
        name: t.name,
        ...(t.layer !== undefined && { layer: t.layer }),
        norm: Math.sqrt(out.sumSq),
        ...(out.diffSq !== undefined &&
          out.baseSq !== undefined && {
            relativeChange: out.baseSq > 0 ? Math.sqrt(out.diffSq / out.baseSq) : 0,
          }),
      };
      cb.onTensor(t.name, out.byteLength, change);
    }
    checkAbort(signal);
    await writer.close();
  } catch (e) {
    await writer.abort().catch(() => undefined);
    throw signal?.aborted ? new MergeCancelled() : e;
  }
}

/**
 * Reads every input tensor a merge would read, in the same order, blocks and pipelining, and
 * throws the bytes away: the read-only baseline the browser benchmark compares a merge with.
 */
export async function readAllInputs(
  recipe: Recipe,
  resolve: ModelResolver,
  opts: { maxReadBlock?: number; signal?: AbortSignal } = {},
): Promise<{ bytes: number; requests: number; tensors: number }> {
  const models = await loadModels(recipe, resolve, opts.signal);
  const plan = buildPlan(recipe, models as ReadonlyMap<string, ModelInfo>);
  const stats: ReaderStats = { requests: 0, bytes: 0 };
  // The merge's buffer pool too, so that both read into the same reused buffers.
  const pool = new BufferPool();
  const readers = makeReaders(plan, models, stats, opts.maxReadBlock ?? 32 * 1024 * 1024, pool);
  const ahead = readAhead(plan, plan.tensors, readers, pool, opts.signal);
  for (const t of plan.tensors) {
    await ahead.next().inputs;
    for (const x of inputsOf(t)) readers.get(x.model)!.release(x.tensor);
  }
  return { ...stats, tensors: plan.tensors.length };
}
