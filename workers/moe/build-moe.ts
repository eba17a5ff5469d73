/**
 * A whole mergekit-moe build into an output folder: open the models (headers only), choose the
 * output architecture and lay out its tensors (./arch/), compute the routers (./compute-gates.ts), then write
 * the shards tensor by tensor and the files around them, as a merge does
 * (../engine/run-merge.ts): the same shard split and index, the same output-folder start (no
 * earlier model's config.json or weights left beside the new ones), the same resume (a finished
 * shard of the same job is kept), config.json last. Each input model is read in the order its
 * tensors are written, in coalesced blocks, so memory stays at about one tensor per model.
 */
import { checkAbort } from '../engine/cancel.ts';
import { COPIED_WITH_TOKENIZER, DONOR_FILES } from '../engine/metadata-files.ts';
import { inputsDigest, JOB_STATE_FILE, textFingerprint } from '../engine/job-state.ts';
import { startJob, writeShards } from '../engine/output-folder.ts';
import { planShards, shardIndex, writeShardFile, type ShardPlan } from '../engine/shards.ts';
import { ModelTensorReader, type ReaderStats } from '../engine/tensor-reader.ts';
import { encodeFromF32 } from '../io/dtypes.ts';
import { loadModel, type LoadedModel } from '../io/load-model.ts';
import { withAdapters } from '../io/lora/with-adapters.ts';
import { MAX_SIDE_FILE_BYTES, type ModelResolver, type ModelSource, type OutputSink } from '../io/source.ts';
import type { MergeProgress, OutputFileInfo } from '../protocol.ts';
import { progressEmitter, type ProgressEmitter } from './moe-progress.ts';
import { inputIds } from './arch/common.ts';
import { computeGates, gatedExperts } from './compute-gates.ts';
import { degenerateLayers, degenerateWarning } from './gate-condition.ts';
import { moeLayout } from './arch/select.ts';
import type { MoeLayout, MoeTensor, OutputArchitectureName } from './arch/types.ts';
import { moeCard } from './moe-card.ts';
import type { MoeConfig } from './moe-config.ts';
import { writeConverted } from './write-tensor.ts';

export interface MoeJob {
  readonly config: MoeConfig;
  /** The config as the user wrote it, saved verbatim as mergekit_moe_config.yml. */
  readonly configText: string;
  readonly resolve: ModelResolver;
  readonly sink: OutputSink;
  /** Title of the model card. */
  readonly outputName?: string;
  readonly maxShardBytes?: number;
  /** Seed of the random gates and the experts' noise (default 0). */
  readonly seed?: number;
  /** Models that are Hub repositories (for the model card). */
  readonly hubModels?: ReadonlySet<string>;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: MergeProgress) => void;
  readonly onLog?: (line: string) => void;
  /** mergekit's --no-copy-tokenizer (false): the base's tokenizer and generation files are not copied. */
  readonly copyTokenizer?: boolean;
  /** mergekit's --no-write-model-card (false): no README.md nor mergekit_moe_config.yml. */
  readonly writeModelCard?: boolean;
}

export interface MoeResult {
  readonly architecture: OutputArchitectureName;
  readonly files: readonly OutputFileInfo[];
  readonly tensors: number;
  readonly layers: number;
  readonly experts: number;
  /** Shared experts per layer (DeepSeek MoE, Qwen MoE). */
  readonly sharedExperts: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly readRequests: number;
  readonly elapsedMs: number;
  readonly warnings: readonly string[];
  readonly resumedShards: number;
}

/** Largest contiguous read, as a merge's default. */
const MAX_READ_BLOCK = 32 * 1024 * 1024;
export const MOE_CONFIG_FILE = 'mergekit_moe_config.yml';

export async function buildMoe(job: MoeJob): Promise<MoeResult> {
  const started = Date.now();
  const { config, signal } = job;
  const seed = job.seed ?? 0;
  const warnings: string[] = [];
  const warn = (w: string): void => {
    warnings.push(w);
    job.onLog?.(`warning: ${w}`);
  };
  const stats: ReaderStats = { requests: 0, bytes: 0 };
  const progress = progressEmitter(job.onProgress, started, stats, () => warnings.length);
  progress.emit('loading', true);
  const models = await openMoeModels(config, job.resolve, signal);
  for (const m of models.values()) for (const note of m.source.notes ?? []) warn(note);
  checkAbort(signal);
  progress.emit('planning', true);
  const layout = moeLayout(config, models);
  for (const w of layout.warnings) warn(w);
  const base = models.get(config.base_model)!;
  const gated = gatedExperts(config).length;
  job.onLog?.(`architecture: ${layout.architecture}`);
  job.onLog?.(`routers: ${config.gate_mode} gates for ${gated} experts in ${layout.numLayers} layers`);
  const gates = await computeGates({ config, base, numLayers: layout.numLayers, hidden: layout.hidden, seed, stats, ...(signal && { signal }) }); // prettier-ignore
  const degenerate = degenerateWarning(degenerateLayers(gates, gated), layout.numLayers);
  if (degenerate) warn(degenerate);
  checkAbort(signal);

  const shards = planShards(layout.tensors, job.maxShardBytes);
  progress.total(
    layout.tensors.length,
    shards.reduce((s, sh) => s + sh.layout.totalSize, 0),
  );
  job.onLog?.(`plan: ${layout.tensors.length} tensors, ${layout.numLayers} layers x ${layout.numExperts} experts${layout.numShared ? ` + ${layout.numShared} shared` : ''}, ${shards.length} shard(s), ${(progress.bytesTotal / 1e6).toFixed(1)} MB`); // prettier-ignore
  const fingerprint = moeFingerprint(job, seed, models, shards);
  const state = await startJob(job.sink, fingerprint, shards);
  const readers = makeReaders(layout, models, stats);
  const { files, resumed } = await writeShards(job.sink, state, shards, {
    skip: (shard) => {
      for (const t of shard.tensors)
        if (t.source.kind === 'copy') readers.get(t.source.model)!.skip(t.source.tensor);
      progress.wrote(shard.tensors.length, shard.layout.totalSize);
    },
    write: (shard) => writeShard(job, shard, readers, gates, layout.hidden, seed, progress),
    signal: job.signal,
    onLog: job.onLog,
  });
  progress.emit('finishing', true);
  const put = async (path: string, data: Uint8Array | string): Promise<void> => {
    await job.sink.writeFile(path, data);
    files.push({
      path,
      size: typeof data === 'string' ? new TextEncoder().encode(data).byteLength : data.byteLength,
    });
  };
  if (shards.length > 1) await put('model.safetensors.index.json', shardIndex(shards));
  await writeSideFiles(job, base, layout, put, warn);
  await job.sink.remove?.(JOB_STATE_FILE);
  progress.emit('done', true);
  return {
    architecture: layout.architecture,
    files,
    tensors: layout.tensors.length,
    layers: layout.numLayers,
    experts: layout.numExperts,
    sharedExperts: layout.numShared,
    bytesRead: stats.bytes,
    bytesWritten: files.reduce((s, f) => s + f.size, 0),
    readRequests: stats.requests,
    elapsedMs: Date.now() - started,
    warnings,
    resumedShards: resumed,
  };
}

/**
 * The base and every expert model (each once), headers and config only. `load` opens one
 * source (the plan passes a cache's, workers/engine/model-cache.ts).
 */
export async function openMoeModels(
  config: MoeConfig,
  resolve: ModelResolver,
  signal?: AbortSignal,
  load: (source: ModelSource, signal?: AbortSignal) => Promise<LoadedModel> = loadModel,
): Promise<Map<string, LoadedModel>> {
  const ids = inputIds(config);
  const open = withAdapters(resolve);
  const loaded = await Promise.all(ids.map(async (id) => load(await open(id, signal), signal)));
  return new Map(ids.map((id, i) => [id, loaded[i]!]));
}

/** One reader per model, told every tensor it will be asked for, in writing order. */
function makeReaders(
  layout: MoeLayout,
  models: ReadonlyMap<string, LoadedModel>,
  stats: ReaderStats,
): Map<string, ModelTensorReader> {
  const orders = new Map<string, string[]>();
  for (const t of layout.tensors) {
    if (t.source.kind !== 'copy') continue;
    const order = orders.get(t.source.model) ?? [];
    order.push(t.source.tensor);
    orders.set(t.source.model, order);
  }
  return new Map(
    [...orders].map(([id, order]) => [
      id,
      new ModelTensorReader(models.get(id)!, order, stats, MAX_READ_BLOCK),
    ]),
  );
}

function writeShard(
  job: MoeJob,
  shard: ShardPlan<MoeTensor>,
  readers: ReadonlyMap<string, ModelTensorReader>,
  gates: readonly Float32Array[],
  hidden: number,
  seed: number,
  progress: ProgressEmitter,
): Promise<void> {
  return writeShardFile(job.sink, shard, job.signal, async (t, write) => {
    let bytes: number;
    const src = t.source;
    if (src.kind === 'router' || src.kind === 'zeros') {
      const values =
        src.kind === 'router'
          ? gates[src.layer]!.subarray(src.first * hidden, (src.first + src.count) * hidden)
          : new Float32Array(t.shape.reduce((a, b) => a * b, 1));
      const data = encodeFromF32(values, t.dtype);
      await write(0, data);
      bytes = data.byteLength;
    } else {
      const input = await readers.get(src.model)!.next(src.tensor, job.signal);
      const expert = src.expert && job.config[src.expert.list]?.[src.expert.index];
      const change = {
        ...(expert?.noise_scale !== undefined && { noise: expert.noise_scale }),
        ...(src.residual && expert?.residual_scale !== undefined && { scale: expert.residual_scale }),
      };
      bytes = await writeConverted(input, src.dtype, t.dtype, change, { seed, name: t.name }, write);
    }
    progress.wrote(1, bytes, t.name);
  });
}

/** The base's tokenizer and generation files, the model card, the config, config.json last. */
async function writeSideFiles(
  job: MoeJob,
  base: LoadedModel,
  layout: MoeLayout,
  put: (path: string, data: Uint8Array | string) => Promise<void>,
  warn: (w: string) => void,
): Promise<void> {
  let copied = 0;
  const skip = job.copyTokenizer === false ? COPIED_WITH_TOKENIZER : new Set<string>();
  for (const f of DONOR_FILES) {
    if (!base.files.includes(f) || skip.has(f)) continue;
    const data = await base.source.readFile(f, job.signal, MAX_SIDE_FILE_BYTES);
    if (data === undefined) continue;
    await put(f, data);
    if (f.startsWith('tokenizer') || f === 'special_tokens_map.json') copied++;
  }
  if (copied === 0 && skip.size === 0)
    warn(`${base.id} has no tokenizer files to copy; add them to the output before using it`);
  if (job.writeModelCard !== false) {
    const card = moeCard({ name: job.outputName ?? 'moe-model', architecture: layout.architecture, config: job.config, configYaml: job.configText, hubModels: job.hubModels ?? new Set() }); // prettier-ignore
    await put('README.md', card);
    await put(MOE_CONFIG_FILE, job.configText);
  }
  await put('config.json', `${JSON.stringify(layout.config, null, 2)}\n`);
}

/**
 * Names the job for resume: the config text, the seed, the inputs (Hub commits, local files'
 * sizes and times) and the shard layout.
 */
function moeFingerprint(
  job: MoeJob,
  seed: number,
  models: ReadonlyMap<string, LoadedModel>,
  shards: readonly ShardPlan<MoeTensor>[],
): string {
  const inputs = inputsDigest(models);
  const text = JSON.stringify({
    moe: job.configText,
    seed,
    inputs,
    shards: shards.map((s) => [s.file, s.layout.totalSize, s.tensors.map((t) => t.name)]),
  });
  return `moe-${textFingerprint(text)}`;
}
