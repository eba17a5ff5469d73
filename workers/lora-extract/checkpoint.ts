/**
 * What an extraction has finished, kept in the output folder so that a run interrupted (a closed
 * tab, a crash, Ctrl-C, a cancel) resumes instead of computing every SVD again. Each module's
 * factors go into a pending part as they are computed; about every 64 MB the part is written
 * (or 20 seconds after the last one was, so a slow extraction loses little) the part is written
 * as a file of its own (`.merge-studio-lora-part-0001.bin`, the tensors' bytes back to back) and
 * the state file (`.merge-studio-lora-job.json`) records it with the modules it completes, their
 * ranks and reports. adapter_model.safetensors is assembled from the parts at the end, when every
 * rank is known, and the parts and the state go once the adapter is complete.
 *
 * So memory holds one part at most (pending while extracting, or the one being copied while
 * assembling), whatever the model's size and with --sv-epsilon too. A state file of another job
 * (another fingerprint: other models, options or plan) is replaced, and its parts removed,
 * before anything is written; a part whose size is not the recorded one (a crash while writing
 * it) is dropped with the modules after it.
 */
import type { DType } from '../io/dtypes.ts';
import type { TensorSpec } from '../io/safetensors/layout.ts';
import type { OutputSink } from '../io/source.ts';

export const LORA_JOB_FILE = '.merge-studio-lora-job.json';
const PART_FILE = /^\.merge-studio-lora-part-\d{4,}\.bin$/;
const partName = (n: number): string => `.merge-studio-lora-part-${String(n).padStart(4, '0')}.bin`;
/** A part is written once its pending tensors reach this many bytes... */
export const PART_BYTES = 64 * 1024 * 1024;
/** ...or this long after the last part was. */
export const PART_MS = 20_000;

export interface CheckpointLimits {
  readonly partBytes?: number;
  readonly partMs?: number;
}

export interface StoredTensor extends TensorSpec {
  readonly dtype: DType;
  /** Where its bytes are in its part. */
  readonly offset: number;
  readonly length: number;
}

interface Part {
  readonly file: string;
  readonly size: number;
  readonly tensors: readonly StoredTensor[];
}

/** A finished module: its report (anything JSON) and its tensors' names (none: left out). */
export interface DoneModule<R> {
  readonly module: string;
  readonly report: R;
  readonly tensors: readonly string[];
}

interface State<R> {
  readonly fingerprint: string;
  readonly parts: Part[];
  readonly modules: DoneModule<R>[];
}

export interface Tensor extends TensorSpec {
  readonly data: Uint8Array;
}

export class Checkpoint<R> {
  private pending: { modules: DoneModule<R>[]; tensors: Tensor[]; bytes: number } = {
    modules: [],
    tensors: [],
    bytes: 0,
  };
  private readonly done: Map<string, DoneModule<R>>;
  private readonly where = new Map<string, { part: Part; tensor: StoredTensor }>();
  private cached: { file: string; bytes: Uint8Array } | undefined;
  /** Parts of a sink that cannot read files back: kept here (that sink cannot resume either). */
  private readonly held = new Map<string, Uint8Array>();
  private lastFlush = performance.now();

  private constructor(
    private readonly sink: OutputSink,
    private readonly state: State<R>,
    private readonly limits: Required<CheckpointLimits>,
  ) {
    this.done = new Map(state.modules.map((m) => [m.module, m]));
    for (const part of state.parts) for (const t of part.tensors) this.where.set(t.name, { part, tensor: t });
  }

  /**
   * The folder's checkpoint for job `fingerprint`: what it finished, or a fresh state (another
   * job's state replaced and its parts removed). Without readFile or sizeOf the sink cannot
   * resume: every run starts fresh.
   */
  static async open<R>(
    sink: OutputSink,
    fingerprint: string,
    limits: CheckpointLimits = {},
  ): Promise<Checkpoint<R>> {
    const saved = await readState<R>(sink);
    const ours = saved?.fingerprint === fingerprint ? saved : undefined;
    const parts: Part[] = [];
    for (const p of ours?.parts ?? []) {
      if ((await sink.sizeOf?.(p.file)) !== p.size) break;
      parts.push(p);
    }
    const kept = new Set(parts.flatMap((p) => p.tensors.map((t) => t.name)));
    const modules = (ours?.modules ?? []).filter((m) => m.tensors.every((t) => kept.has(t)));
    const state: State<R> = { fingerprint, parts, modules };
    const keep = new Set(parts.map((p) => p.file));
    const names = sink.list ? await sink.list() : (saved?.parts.map((p) => p.file) ?? []);
    for (const f of names) if (PART_FILE.test(f) && !keep.has(f)) await sink.remove?.(f);
    await writeState(sink, state);
    return new Checkpoint(sink, state, { partBytes: PART_BYTES, partMs: PART_MS, ...limits });
  }

  /** A module finished by an earlier run (or this one). */
  finished(module: string): DoneModule<R> | undefined {
    return this.done.get(module) ?? this.pending.modules.find((m) => m.module === module);
  }

  /** A finished module and its tensors; written with the part they fill. */
  async add(module: string, report: R, tensors: readonly Tensor[]): Promise<void> {
    this.pending.modules.push({ module, report, tensors: tensors.map((t) => t.name) });
    this.pending.tensors.push(...tensors);
    this.pending.bytes += tensors.reduce((s, t) => s + t.data.byteLength, 0);
    const due = performance.now() - this.lastFlush >= this.limits.partMs;
    if (this.pending.bytes >= this.limits.partBytes || due) await this.flush();
  }

  /** Writes the pending part and records it. */
  async flush(): Promise<void> {
    const { modules, tensors, bytes } = this.pending;
    if (modules.length === 0) return;
    if (tensors.length > 0) {
      const stored: StoredTensor[] = [];
      let offset = 0;
      for (const t of tensors) {
        stored.push({ name: t.name, dtype: t.dtype, shape: t.shape, offset, length: t.data.byteLength });
        offset += t.data.byteLength;
      }
      const part: Part = { file: partName(this.state.parts.length + 1), size: bytes, tensors: stored };
      if (this.sink.readFile) await this.writePart(part, tensors);
      else this.held.set(part.file, concat(tensors, bytes));
      this.state.parts.push(part);
      for (const t of stored) this.where.set(t.name, { part, tensor: t });
    }
    this.state.modules.push(...modules);
    for (const m of modules) this.done.set(m.module, m);
    this.pending = { modules: [], tensors: [], bytes: 0 };
    await writeState(this.sink, this.state);
    this.lastFlush = performance.now();
  }

  /** The part's tensors written where they are recorded (no copy of the part is made). */
  private async writePart(part: Part, tensors: readonly Tensor[]): Promise<void> {
    const w = await this.sink.createFile(part.file, part.size);
    try {
      for (const [i, t] of tensors.entries()) await w.write(part.tensors[i]!.offset, t.data);
      await w.close();
    } catch (e) {
      await w.abort();
      throw e;
    }
  }

  /** A recorded tensor's spec (name, dtype, shape). */
  spec(name: string): TensorSpec {
    const t = this.where.get(name)!.tensor;
    return { name: t.name, dtype: t.dtype, shape: t.shape };
  }

  /** A recorded tensor's bytes (its part is read whole, and kept until another is needed). */
  async read(name: string): Promise<Uint8Array> {
    const { part, tensor } = this.where.get(name)!;
    if (this.cached?.file !== part.file) {
      const bytes = this.held.get(part.file) ?? (await this.sink.readFile?.(part.file));
      if (!bytes || bytes.byteLength !== part.size)
        throw new Error(
          `${part.file} in ${this.sink.name} is missing or changed (${bytes?.byteLength} bytes, ${part.size} expected): run the extraction again`,
        );
      this.cached = { file: part.file, bytes };
    }
    return this.cached.bytes.subarray(tensor.offset, tensor.offset + tensor.length);
  }

  /**
   * Removes the state, then the parts: the adapter is complete. (A crash in between leaves
   * parts no state names, which the next open in this folder removes.)
   */
  async finish(): Promise<void> {
    this.cached = undefined;
    this.held.clear();
    await this.sink.remove?.(LORA_JOB_FILE);
    for (const p of this.state.parts) await this.sink.remove?.(p.file);
  }
}

async function readState<R>(sink: OutputSink): Promise<State<R> | undefined> {
  const bytes = await sink.readFile?.(LORA_JOB_FILE);
  if (!bytes) return undefined;
  try {
    const s = JSON.parse(new TextDecoder().decode(bytes)) as State<R>;
    return typeof s.fingerprint === 'string' && Array.isArray(s.parts) && Array.isArray(s.modules)
      ? s
      : undefined;
  } catch {
    return undefined; // not a state we wrote: start over
  }
}

const writeState = <R>(sink: OutputSink, state: State<R>): Promise<void> =>
  sink.writeFile(LORA_JOB_FILE, JSON.stringify(state));

/** The tensors' bytes back to back. */
function concat(tensors: readonly Tensor[], bytes: number): Uint8Array {
  const data = new Uint8Array(bytes);
  let offset = 0;
  for (const t of tensors) {
    data.set(t.data, offset);
    offset += t.data.byteLength;
  }
  return data;
}
