/**
 * A `base+adapter` model as one ModelSource: the base's files, config, tokenizer and tensor
 * table, unchanged, and weight files whose bytes are the base's with the LoRA delta added to
 * every element of an adapted tensor in whatever range is read. Nothing else in the engine
 * needs to know: plans, readers, read-ahead and compute lanes see an ordinary model.
 *
 * Opening one reads the base's headers (loadModel) and checks every adapted tensor against
 * them (present, 2-D, a float dtype, a shape the factors fit), so an adapter that does not fit
 * its base fails before any tensor data is read (the engine's own loadModel then reads the
 * headers again: one more small request per shard). A and B of a tensor are read once (one
 * range request when they lie together, as PEFT's files have them) and kept in a small cache
 * (./factor-cache.ts) while that tensor is being read. The delta costs 2 * rank flops per
 * element, in JS.
 *
 * The adapter comes from an untrusted repo, and its header alone can claim factors of any size
 * (a sparse file, or a host that lies about sizes). So a tensor's pair of factors, as float32,
 * may take no more than the weight it changes, as float32, or 64 MB, whichever is larger. This
 * is checked when the model is opened, before anything is allocated for the factors; an
 * adapter that large would save nothing over a full copy of the weight.
 *
 * With lora_bias, a module's base bias gains lora_B's bias times the module's scaling (PEFT's
 * merge), in float32, rounded once to the bias's dtype.
 *
 * A modules_to_save module's tensors replace the base's: a range read of such a tensor reads
 * the adapter's bytes instead, rounded to the base's dtype where they differ (PEFT copies them
 * into the module's parameters, torch's round to nearest even). Their shapes must be the
 * base's: an adapter that resized the vocabulary changes the model's tensor table, which is
 * not supported.
 */
import { decodeToF32, DTYPE_SIZE, encodeFromF32, isWritableDType, type WritableDType } from '../dtypes.ts';
import { loadModel, type LoadedModel, type LoadedTensor } from '../load-model.ts';
import { isEmbedName, isTiedHeadName } from '../../plan/architecture.ts';
import type { TensorEntry } from '../safetensors/header.ts';
import type { ByteSource, ModelSource } from '../source.ts';
import { FactorCache } from './factor-cache.ts';
import { addLoraDelta, loraFactors, type LoraFactors } from './lora-delta.ts';
import { LoraAdapterError } from './lora-errors.ts';
import type { LoraAdapter, LoraModule } from './open-adapter.ts';

interface TargetBase {
  readonly name: string;
  readonly begin: number;
  readonly end: number;
  readonly dtype: WritableDType;
}

/** A base tensor taken whole from the adapter (modules_to_save). */
interface ReplaceTarget extends TargetBase {
  readonly replace: TensorEntry;
  readonly bias?: undefined;
}

/** A base bias that gains scaling x lora_B's bias (lora_bias). */
interface BiasTarget extends TargetBase {
  readonly replace?: undefined;
  readonly bias: TensorEntry;
  readonly scaling: number;
}

interface DeltaTarget extends TargetBase {
  readonly replace?: undefined;
  readonly bias?: undefined;
  readonly module: LoraModule;
  /** The weight is stored (in, out): Conv1D with fan_in_fan_out, or an embedding. */
  readonly transposed: boolean;
  /** The factors' size as float32, what the cache holds of them. */
  readonly factorBytes: number;
}

type PatchTarget = ReplaceTarget | BiasTarget | DeltaTarget;

/**
 * Factors kept when no read is using them, in bytes; also what a tensor's pair may take where
 * the weight is smaller than this.
 */
const FACTOR_CACHE_BYTES = 64 * 1024 * 1024;
/** A and B this close together in the file are read in one request. */
const JOIN_GAP = 64 * 1024;
/** Elements patched per call, which bounds the float32 scratch a large tensor needs. */
const PATCH_ELEMENTS = 1 << 20;

export interface LoraSourceOptions {
  /** The factor cache's bound in bytes (tests use a small one). */
  readonly factorCacheBytes?: number;
}

export class LoraModelSource implements ModelSource {
  readonly revision: string;
  readonly notes: readonly string[];
  private readonly factors: FactorCache<LoraFactors>;

  private constructor(
    readonly id: string,
    private readonly base: ModelSource,
    private readonly adapter: LoraAdapter,
    private readonly byFile: ReadonlyMap<string, readonly PatchTarget[]>,
    cacheBytes: number,
  ) {
    this.factors = new FactorCache(cacheBytes);
    this.notes = adapter.notes;
    // A resumed job starts over when either part changes (workers/engine/job-state.ts).
    this.revision = `${base.revision ?? ''}+${adapter.source.revision ?? ''}:${adapter.contentKey}`;
  }

  /** Checks the adapter against the base's tensors (headers only) and returns the model. */
  static async open(
    id: string,
    base: ModelSource,
    adapter: LoraAdapter,
    signal?: AbortSignal,
    options: LoraSourceOptions = {},
  ): Promise<LoraModelSource> {
    const model = await loadModel(base, signal);
    const byFile = new Map<string, PatchTarget[]>();
    for (const m of adapter.modules.values()) {
      const t = model.tensors.get(m.weight);
      if (!t) {
        throw new LoraAdapterError(
          tiedHead(m.weight, model)
            ? `${adapter.id} adapts ${m.module}, but ${base.id} ties ${m.module} to its input embeddings (it has no ${m.weight}): ` +
                "PEFT's merge would change the shared embeddings as well, and whether it then unties them depends on its version, " +
                `which is not supported; use an adapter without ${m.module}, or merge it with PEFT (merge_and_unload) and use the merged model`
            : `${adapter.id} adapts ${m.module}, but ${base.id} has no tensor ${m.weight}: is the adapter for this base model?`,
        );
      }
      const target = patchTarget(m, t, adapter, base.id);
      const list = byFile.get(t.file) ?? [];
      list.push(target);
      byFile.set(t.file, list);
      if (m.bias) {
        const b = biasTarget(m, m.bias, model, adapter, base.id);
        byFile.set(b.file, [...(byFile.get(b.file) ?? []), b]);
      }
    }
    for (const [name, entry] of adapter.saved) {
      const target = replaceTarget(name, entry, model, adapter, base.id);
      const list = byFile.get(target.file) ?? [];
      list.push(target);
      byFile.set(target.file, list);
    }
    for (const list of byFile.values()) list.sort((x, y) => x.begin - y.begin);
    return new LoraModelSource(id, base, adapter, byFile, options.factorCacheBytes ?? FACTOR_CACHE_BYTES);
  }

  /** Bytes of factors the cache holds now. */
  get cachedFactorBytes(): number {
    return this.factors.heldBytes;
  }

  listFiles(signal?: AbortSignal): Promise<readonly string[]> {
    return this.base.listFiles(signal);
  }

  readFile(path: string, signal?: AbortSignal, maxBytes?: number): Promise<Uint8Array | undefined> {
    return this.base.readFile(path, signal, maxBytes);
  }

  async open(path: string, signal?: AbortSignal): Promise<ByteSource> {
    const src = await this.base.open(path, signal);
    const targets = this.byFile.get(path);
    return targets ? this.patched(src, targets) : src;
  }

  private patched(src: ByteSource, targets: readonly PatchTarget[]): ByteSource {
    const overlapping = (from: number, to: number): readonly PatchTarget[] =>
      targets.filter((t) => t.begin < to && t.end > from);
    // A range that starts or ends inside an element of an adapted tensor is widened to whole
    // elements (the delta is per element), read, patched and cut back.
    const widen = (from: number, to: number): [number, number] => {
      for (const t of overlapping(from, to)) {
        const size = DTYPE_SIZE[t.dtype];
        if (from > t.begin) from = t.begin + Math.floor((from - t.begin) / size) * size;
        if (to < t.end) to = t.begin + Math.ceil((to - t.begin) / size) * size;
      }
      return [from, to];
    };
    const readBase = async (offset: number, target: Uint8Array, signal?: AbortSignal): Promise<void> => {
      if (src.readInto) await src.readInto(offset, target, signal);
      else target.set(await src.read(offset, target.byteLength, signal));
    };
    const readInto = async (offset: number, target: Uint8Array, signal?: AbortSignal): Promise<void> => {
      const end = offset + target.byteLength;
      const [from, to] = widen(offset, end);
      const buf = from === offset && to === end ? target : new Uint8Array(to - from);
      await readBase(from, buf, signal);
      for (const t of overlapping(from, to)) await this.patch(t, buf, from, signal);
      if (buf !== target) target.set(buf.subarray(offset - from, end - from));
    };
    return {
      name: src.name,
      size: src.size,
      ...(src.modified !== undefined && { modified: src.modified }),
      readInto,
      async read(offset, length, signal) {
        // Never the base's own buffer: a source may hand out views of bytes it keeps.
        const out = new Uint8Array(length);
        await readInto(offset, out, signal);
        return out;
      },
    };
  }

  /** Adds t's delta to the part of t inside `buf`, which holds the file's bytes from `offset`. */
  private patch(t: PatchTarget, buf: Uint8Array, offset: number, signal?: AbortSignal): Promise<void> {
    if (t.replace) return this.replaceIn(t, buf, offset, signal);
    if (t.bias) return this.addBias(t, buf, offset, signal);
    const load = (s: AbortSignal | undefined): Promise<LoraFactors> => this.readFactors(t, s);
    return this.factors.with(t.name, t.factorBytes, load, signal, (f) => {
      const size = DTYPE_SIZE[t.dtype];
      const from = Math.max(offset, t.begin);
      const to = Math.min(offset + buf.byteLength, t.end);
      for (let at = from; at < to; at += PATCH_ELEMENTS * size) {
        const stop = Math.min(to, at + PATCH_ELEMENTS * size);
        addLoraDelta(buf.subarray(at - offset, stop - offset), t.dtype, f, (at - t.begin) / size);
      }
    });
  }

  /** Writes the adapter's elements of t over the part of t inside `buf` (from file offset `offset`). */
  private async replaceIn(
    t: ReplaceTarget,
    buf: Uint8Array,
    offset: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const size = DTYPE_SIZE[t.dtype];
    const from = Math.max(offset, t.begin);
    const to = Math.min(offset + buf.byteLength, t.end);
    const src = t.replace;
    const srcSize = DTYPE_SIZE[src.dtype as WritableDType];
    for (let at = from; at < to; at += PATCH_ELEMENTS * size) {
      const stop = Math.min(to, at + PATCH_ELEMENTS * size);
      const first = (at - t.begin) / size;
      const count = (stop - at) / size;
      const bytes = await this.adapter.weights.read(src.begin + first * srcSize, count * srcSize, signal);
      const out = buf.subarray(at - offset, stop - offset);
      if (src.dtype === t.dtype) out.set(bytes);
      else encodeFromF32(decodeToF32(bytes, src.dtype as WritableDType), t.dtype, out);
    }
  }

  /** Adds scaling x lora_B's bias to the part of bias t inside `buf` (from file offset `offset`). */
  private async addBias(t: BiasTarget, buf: Uint8Array, offset: number, signal?: AbortSignal): Promise<void> {
    const size = DTYPE_SIZE[t.dtype];
    const from = Math.max(offset, t.begin);
    const to = Math.min(offset + buf.byteLength, t.end);
    const first = (from - t.begin) / size;
    const count = (to - from) / size;
    const srcDtype = t.bias.dtype as WritableDType;
    const srcSize = DTYPE_SIZE[srcDtype];
    const read = await this.adapter.weights.read(t.bias.begin + first * srcSize, count * srcSize, signal);
    const b = decodeToF32(read, srcDtype);
    const out = buf.subarray(from - offset, to - offset);
    const x = decodeToF32(out, t.dtype).slice();
    for (let i = 0; i < count; i++) x[i]! += Math.fround(t.scaling * b[i]!);
    encodeFromF32(x, t.dtype, out);
  }

  private async readFactors(t: DeltaTarget, signal?: AbortSignal): Promise<LoraFactors> {
    const { a, b, kind, scaling } = t.module;
    const file = this.adapter.weights;
    const [first, second] = a.begin < b.begin ? [a, b] : [b, a];
    let bytesA: Uint8Array;
    let bytesB: Uint8Array;
    if (second.begin - first.end <= JOIN_GAP) {
      const span = await file.read(first.begin, second.end - first.begin, signal);
      bytesA = span.subarray(a.begin - first.begin, a.end - first.begin);
      bytesB = span.subarray(b.begin - first.begin, b.end - first.begin);
    } else {
      [bytesA, bytesB] = await Promise.all([
        file.read(a.begin, a.end - a.begin, signal),
        file.read(b.begin, b.end - b.begin, signal),
      ]);
    }
    // The adapter's dtypes were checked when it was opened.
    const fa = decodeToF32(bytesA, a.dtype);
    const fb = decodeToF32(bytesB, b.dtype);
    return loraFactors(fa, a.shape, fb, b.shape, scaling, kind, t.transposed);
  }
}

/**
 * Where the delta goes in the base tensor `t`. PEFT decides a layer's orientation by its type:
 * an nn.Linear is (out, in) even when the config says fan_in_fan_out (PEFT warns and turns
 * it off), a Conv1D is (in, out) even when it does not (PEFT turns it on), an embedding is
 * (vocab, dim). The tensors do not name their type, so the shape decides, and the config's
 * flag where both fit (a square Conv1D weight).
 */
function patchTarget(m: LoraModule, t: LoadedTensor, adapter: LoraAdapter, baseId: string): DeltaTarget {
  const what = `${adapter.id} adapts ${m.weight} of ${baseId}`;
  if (!isWritableDType(t.dtype)) {
    throw new LoraAdapterError(
      `${what}, which is ${t.dtype}; only F32, F16 and BF16 weights can take a LoRA`,
    );
  }
  const inner = m.a.shape[1]!;
  const outer = m.b.shape[0]!;
  const shape = t.shape;
  const normal = shape.length === 2 && shape[0] === outer && shape[1] === inner;
  const flipped = shape.length === 2 && shape[0] === inner && shape[1] === outer;
  const transposed =
    m.kind === 'embedding' || (adapter.config.fanInFanOut ? flipped || !normal : !normal && flipped);
  if (transposed ? !flipped : !normal) {
    const expected = m.kind === 'embedding' ? `[${inner}, ${outer}]` : `[${outer}, ${inner}]`;
    throw new LoraAdapterError(
      `${what}, whose shape [${shape.join(', ')}] does not fit the adapter's factors (expected ${expected}): is the adapter for this base model?`,
    );
  }
  const rank = m.a.shape[0]!;
  const factorBytes = 4 * rank * (inner + outer);
  const weightBytes = 4 * inner * outer;
  if (factorBytes > Math.max(FACTOR_CACHE_BYTES, weightBytes)) {
    throw new LoraAdapterError(
      `${adapter.id}: ${m.module}'s factors (rank ${rank}, ${sizeText(factorBytes)} as float32) are larger than ` +
        `the weight they change ([${shape.join(', ')}], ${sizeText(weightBytes)}), which is not supported: ` +
        'merge the adapter with PEFT (merge_and_unload) and use the merged model',
    );
  }
  return { name: m.weight, begin: t.begin, end: t.end, dtype: t.dtype, module: m, transposed, factorBytes };
}

/** Where lora_B's bias goes: the module's base bias, which must exist (PEFT refuses to merge otherwise). */
function biasTarget(
  m: LoraModule,
  bias: TensorEntry,
  model: LoadedModel,
  adapter: LoraAdapter,
  baseId: string,
): BiasTarget & { readonly file: string } {
  const name = `${m.module}.bias`;
  const t = model.tensors.get(name);
  if (!t) {
    throw new LoraAdapterError(
      `${adapter.id} changes ${m.module}'s bias (lora_bias), but ${baseId} has no ${name}: PEFT cannot merge a lora_B bias into a layer without one`,
    );
  }
  if (!isWritableDType(t.dtype) || t.shape.length !== 1 || t.shape[0] !== bias.shape[0]) {
    throw new LoraAdapterError(
      `${adapter.id} changes ${name} with ${bias.shape[0]} values, but ${baseId} stores it as ${t.dtype} [${t.shape.join(', ')}]`,
    );
  }
  return { name, begin: t.begin, end: t.end, dtype: t.dtype, bias, scaling: m.scaling, file: t.file };
}

/** Where a modules_to_save tensor goes: the base tensor of its name, of the same shape. */
function replaceTarget(
  name: string,
  entry: TensorEntry,
  model: LoadedModel,
  adapter: LoraAdapter,
  baseId: string,
): ReplaceTarget & { readonly file: string } {
  const t = model.tensors.get(name);
  if (!t) {
    throw new LoraAdapterError(
      tiedHead(name, model)
        ? `${adapter.id} saves ${name} whole (modules_to_save), but ${baseId} ties it to its input embeddings (it has no ${name}): ` +
            'whether PEFT then unties them depends on its version, which is not supported; merge the adapter with PEFT (merge_and_unload) and use the merged model'
        : `${adapter.id} saves ${name} whole (modules_to_save), but ${baseId} has no such tensor: is the adapter for this base model?`,
    );
  }
  if (!isWritableDType(t.dtype)) {
    throw new LoraAdapterError(
      `${adapter.id} saves ${name} whole, but ${baseId} stores it as ${t.dtype}; only F32, F16 and BF16 are supported`,
    );
  }
  // The head reads these embeddings where the base stores no head of its own.
  const headTied = ![...model.tensors.keys()].some((n) => isTiedHeadName(n));
  if (isEmbedName(name) && !isTiedHeadName(name) && headTied) {
    throw new LoraAdapterError(
      `${adapter.id} saves ${name} whole (modules_to_save), but ${baseId} ties its output head to it: ` +
        'whether PEFT unties them depends on its version, which is not supported; merge the adapter with PEFT (merge_and_unload) and use the merged model',
    );
  }
  if (entry.shape.length !== t.shape.length || entry.shape.some((d, i) => d !== t.shape[i])) {
    throw new LoraAdapterError(
      `${adapter.id} saves ${name} with shape [${entry.shape.join(', ')}], where ${baseId} has [${t.shape.join(', ')}]` +
        `${isEmbedName(name) ? ' (a resized vocabulary: tokens added in training)' : ''}, which is not supported: merge the adapter with PEFT (merge_and_unload) and use the merged model`,
    );
  }
  return { name, begin: t.begin, end: t.end, dtype: t.dtype, replace: entry, file: t.file };
}

const sizeText = (n: number): string => (n >= 1e6 ? `${Math.round(n / 1e6)} MB` : `${n} bytes`);

/**
 * Whether `weight` is an output head that `model` does not store because it is tied to the
 * input embeddings (the planner reads the embeddings in its place).
 */
function tiedHead(weight: string, model: LoadedModel): boolean {
  return (
    isTiedHeadName(weight) && [...model.tensors.keys()].some((n) => isEmbedName(n) && !isTiedHeadName(n))
  );
}
