/**
 * The output folder of a tokensurgeon run, written as a merge writes one
 * (../engine/run-merge.ts, ../moe/build-moe.ts): the same shard split and index, the same
 * folder start (no earlier model's config.json or weights left beside the new ones), the same
 * resume (a finished shard of the same job is kept), config.json last. Every tensor but the
 * rebuilt embed and lm_head is copied as its stored bytes, streamed from MODEL in coalesced
 * reads, so memory stays at about one tensor besides the new matrices.
 */
import { checkAbort } from '../engine/cancel.ts';
import { COPIED_WITH_TOKENIZER } from '../engine/metadata-files.ts';
import { inputsDigest, JOB_STATE_FILE, textFingerprint } from '../engine/job-state.ts';
import { startJob, writeShards } from '../engine/output-folder.ts';
import {
  planShards,
  shardIndex,
  writeShardFile,
  type ShardPlan,
  type ShardTensor,
} from '../engine/shards.ts';
import { ModelTensorReader, type ReaderStats } from '../engine/tensor-reader.ts';
import { encodeFromF32, type WritableDType } from '../io/dtypes.ts';
import type { LoadedModel } from '../io/load-model.ts';
import { MAX_SIDE_FILE_BYTES, type OutputSink } from '../io/source.ts';
import type { OutputFileInfo } from '../protocol.ts';
import type { Matrix } from './matrix.ts';

/** Largest contiguous read, as a merge's default. */
const MAX_READ_BLOCK = 32 * 1024 * 1024;

/** mergekit saves the donor's tokenizer (save_pretrained), not its generation config. */
const TOKENIZER_FILES = [...COPIED_WITH_TOKENIZER].filter((f) => f !== 'generation_config.json');

interface OutTensor extends ShardTensor {
  /** The new matrix, or undefined to copy MODEL's tensor of this name. */
  readonly values: Matrix | undefined;
}

export interface OutputJob {
  readonly model: LoadedModel;
  readonly donor: LoadedModel;
  readonly sink: OutputSink;
  /** Tensor name -> its rebuilt matrix (embed, lm_head), written in MODEL's dtype for it. */
  readonly replaced: ReadonlyMap<string, Matrix>;
  readonly config: Record<string, unknown>;
  /** What the job's result depends on besides the inputs (options), for resume. */
  readonly fingerprintOf: unknown;
  readonly maxShardBytes?: number;
  readonly signal?: AbortSignal;
  readonly onLog?: (line: string) => void;
  /** Each tensor written, or found in a shard an earlier run of the job finished. */
  readonly onTensor?: (name: string) => void;
}

export interface OutputSummary {
  readonly files: readonly OutputFileInfo[];
  readonly tensors: number;
  readonly resumedShards: number;
  readonly bytesRead: number;
}

function outputTensors(job: OutputJob): OutTensor[] {
  return [...job.model.tensors].map(([name, t]) => {
    const values = job.replaced.get(name);
    // planShards reads a dtype only for its size and the header: any stored dtype is copied as is.
    const dtype = t.dtype as WritableDType;
    return values ? { name, dtype, shape: [values.rows, values.cols], values } : { name, dtype, shape: t.shape, values }; // prettier-ignore
  });
}

export async function writeOutput(job: OutputJob): Promise<OutputSummary> {
  const tensors = outputTensors(job);
  const shards = planShards(tensors, job.maxShardBytes);
  const text = JSON.stringify({
    tokensurgeon: job.fingerprintOf,
    inputs: inputsDigest(new Map([['model', job.model], ['donor', job.donor]])), // prettier-ignore
    shards: shards.map((s) => [s.file, s.layout.totalSize, s.tensors.map((t) => t.name)]),
  });
  const fingerprint = `tokensurgeon-${textFingerprint(text)}`;
  const state = await startJob(job.sink, fingerprint, shards);
  const stats: ReaderStats = { requests: 0, bytes: 0 };
  const copied = tensors.filter((t) => !t.values).map((t) => t.name);
  const reader = new ModelTensorReader(job.model, copied, stats, MAX_READ_BLOCK);
  const { files, resumed } = await writeShards(job.sink, state, shards, {
    skip: (shard) => {
      for (const t of shard.tensors) {
        if (!t.values) reader.skip(t.name);
        job.onTensor?.(t.name);
      }
    },
    write: (shard) => writeShard(job, shard, reader),
    signal: job.signal,
    onLog: job.onLog,
  });
  const put = async (path: string, data: Uint8Array | string): Promise<void> => {
    await job.sink.writeFile(path, data);
    files.push({ path, size: typeof data === 'string' ? new TextEncoder().encode(data).byteLength : data.byteLength }); // prettier-ignore
  };
  if (shards.length > 1) await put('model.safetensors.index.json', shardIndex(shards));
  let copiedFiles = 0;
  for (const f of TOKENIZER_FILES) {
    if (!job.donor.files.includes(f)) continue;
    const data = await job.donor.source.readFile(f, job.signal, MAX_SIDE_FILE_BYTES);
    if (data === undefined) continue;
    await put(f, data);
    copiedFiles++;
  }
  if (copiedFiles === 0) job.onLog?.(`warning: ${job.donor.id} has no tokenizer files to copy`);
  checkAbort(job.signal);
  await put('config.json', `${JSON.stringify(job.config, null, 2)}\n`);
  await job.sink.remove?.(JOB_STATE_FILE);
  return { files, tensors: tensors.length, resumedShards: resumed, bytesRead: stats.bytes };
}

function writeShard(job: OutputJob, shard: ShardPlan<OutTensor>, reader: ModelTensorReader): Promise<void> {
  return writeShardFile(job.sink, shard, job.signal, async (t, write) => {
    const data = t.values ? encodeFromF32(t.values.data, t.dtype) : await reader.next(t.name, job.signal);
    await write(0, data);
    job.onTensor?.(t.name);
  });
}
