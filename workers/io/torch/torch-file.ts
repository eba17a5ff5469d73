/**
 * PyTorch checkpoints (pytorch_model.bin, torch.save of a state dict), opened like safetensors
 * headers: the tensors' names, dtypes, shapes and absolute byte ranges in the file, read from
 * its pickle without running it (./pickle.ts). Both of torch.save's formats:
 *
 * - ZIP (torch 1.6 and later): `<folder>/data.pkl` and one stored entry per storage,
 *   `<folder>/data/<key>`; a tensor is a contiguous run of its storage's entry.
 * - Legacy (`_use_new_zipfile_serialization=False`, older checkpoints): five pickles (magic,
 *   protocol, system info, the object, the storage keys), then each storage as an 8-byte
 *   element count and its bytes, in the keys' order.
 *
 * What it refuses, with the file and tensor named: tensors that are not contiguous in their
 * storage (a transposed view), compressed storages, big-endian files, and pickles that hold
 * something other than a dict of tensors (a whole pickled module, say).
 */
import { DTYPE_SIZE, type DType } from '../dtypes.ts';
import type { TensorEntry } from '../safetensors/header.ts';
import type { ByteSource } from '../source.ts';
import { CONVERT_HINT, TorchFormatError } from './errors.ts';
import {
  PickleCall,
  PickleDict,
  PickleError,
  PickleGlobal,
  PickleTuple,
  readPickle,
  type PickleExtra,
  type PickleValue,
} from './pickle.ts';
import { dataOffsets, looksLikeZip, readEntry, readZipDirectory } from './zip.ts';

/** A tensor's name, dtype, shape and absolute byte range in the file, as safetensors headers give them. */
export type TorchTensorEntry = TensorEntry;

/** torch's storage classes and the dtypes they hold. */
const STORAGE_DTYPES: Readonly<Record<string, DType>> = {
  DoubleStorage: 'F64',
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
  Float8_e4m3fnStorage: 'F8_E4M3',
  Float8_e5m2Storage: 'F8_E5M2',
};

class StorageRef implements PickleExtra {
  readonly pickleKind = 'storage';
  constructor(
    readonly key: string,
    readonly dtype: DType,
    /** Elements in the whole storage. */
    readonly numel: number,
    /** Legacy storage views: where the view starts in its root storage, in elements. */
    readonly viewOffset = 0,
  ) {}
}

class TensorRef implements PickleExtra {
  readonly pickleKind = 'tensor';
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

/**
 * The first read; most checkpoints' pickles (and all legacy ones' first pickles) fit, and a
 * ZIP checkpoint's reads that fall inside it are answered from it (./zip.ts reads by range).
 */
const FIRST_READ = 1 << 20;
/** The largest pickle we read: a state dict's pickle is a few hundred bytes per tensor. */
const MAX_PICKLE_BYTES = 256 * 1024 * 1024;
/** torch writes "little" or "big"; anything longer is not a byteorder record. */
const MAX_BYTEORDER_BYTES = 16;
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;
/** The magic number as pickle protocols 0 and 1 write it (2 and later start with PROTO, 0x80). */
const LEGACY_MAGIC_TEXT = new TextEncoder().encode(`L${LEGACY_MAGIC}L\n`);

const startsWith = (bytes: Uint8Array, prefix: Uint8Array): boolean =>
  bytes.byteLength >= prefix.byteLength && prefix.every((b, i) => bytes[i] === b);

export async function readTorchCheckpoint(
  src: ByteSource,
  signal?: AbortSignal,
): Promise<TorchTensorEntry[]> {
  const first = await src.read(0, Math.min(src.size, FIRST_READ), signal);
  try {
    if (looksLikeZip(first)) return await readZipCheckpoint(withHead(src, first), signal);
    if (first[0] === 0x80 || startsWith(first, LEGACY_MAGIC_TEXT))
      return await readLegacyCheckpoint(src, first, signal);
  } catch (e) {
    if (e instanceof PickleError)
      throw new TorchFormatError(src.name, `its pickle is damaged or not a checkpoint (${e.message})`);
    // A check we lack: still a damaged file, not a failure of the studio.
    if (e instanceof RangeError) throw new TorchFormatError(src.name, `is damaged (${e.message})`);
    throw e;
  }
  throw new TorchFormatError(src.name, 'is not a PyTorch checkpoint (neither a ZIP archive nor a pickle)');
}

/** `src`, with reads inside its first bytes (`head`, already read) answered from them. */
function withHead(src: ByteSource, head: Uint8Array): ByteSource {
  return {
    name: src.name,
    size: src.size,
    read: async (offset, length, signal) =>
      offset >= 0 && length >= 0 && offset + length <= head.byteLength
        ? head.subarray(offset, offset + length)
        : src.read(offset, length, signal),
  };
}

async function readZipCheckpoint(src: ByteSource, signal?: AbortSignal): Promise<TorchTensorEntry[]> {
  const entries = await readZipDirectory(src, signal);
  const pickles = entries.filter((e) => /^([^/]+\/)?data\.pkl$/.test(e.name));
  if (pickles.length !== 1)
    throw new TorchFormatError(
      src.name,
      `is a ZIP archive but not a torch.save checkpoint (${pickles.length} data.pkl records)`,
    );
  const pkl = pickles[0]!;
  const prefix = pkl.name.slice(0, -'data.pkl'.length);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const byteorder = byName.get(`${prefix}byteorder`);
  const wanted = [pkl, ...(byteorder ? [byteorder] : [])];
  const starts = await dataOffsets(src, wanted, signal);
  if (byteorder) {
    if (byteorder.size > MAX_BYTEORDER_BYTES || byteorder.compressedSize > MAX_BYTEORDER_BYTES)
      throw new TorchFormatError(src.name, `its byteorder record (${byteorder.size} bytes) is damaged`);
    const order = new TextDecoder().decode(await readEntry(src, byteorder, starts.get(byteorder)!, signal));
    if (order.trim() !== 'little')
      throw new TorchFormatError(src.name, `is ${order.trim()}-endian; ${CONVERT_HINT}`);
  }
  if (Math.max(pkl.size, pkl.compressedSize) > MAX_PICKLE_BYTES)
    throw new TorchFormatError(src.name, `its pickle (${pkl.size} bytes) is too large`);
  const pickle = await readEntry(src, pkl, starts.get(pkl)!, signal);
  const storages = new Map<string, StorageRef>();
  const { value } = readPickle(pickle, {
    persistentLoad: (pid) => storageFromPid(src.name, pid, storages, false),
    call: torchCall,
  });
  const tensors = stateDict(src.name, value);

  // Only the state dict's storages: a training checkpoint's optimizer state is not read.
  const storageEntries = new Map<string, (typeof entries)[number]>();
  for (const s of new Set(tensors.map(([, t]) => storages.get(t.storage.key)!))) {
    const entry = byName.get(`${prefix}data/${s.key}`);
    if (!entry)
      throw new TorchFormatError(src.name, `storage ${s.key} is missing from the archive (cut short?)`);
    if (entry.method !== 0)
      throw new TorchFormatError(src.name, `storage ${s.key} is compressed; ${CONVERT_HINT}`);
    if (entry.size < s.numel * DTYPE_SIZE[s.dtype])
      throw new TorchFormatError(
        src.name,
        `storage ${s.key} holds ${entry.size} bytes, fewer than its ${s.numel} elements need`,
      );
    storageEntries.set(s.key, entry);
  }
  const dataStart = await dataOffsets(src, [...storageEntries.values()], signal);
  return tensors.map(([name, t]) =>
    place(src.name, name, t, dataStart.get(storageEntries.get(t.storage.key)!)!),
  );
}

async function readLegacyCheckpoint(
  src: ByteSource,
  first: Uint8Array,
  signal?: AbortSignal,
): Promise<TorchTensorEntry[]> {
  let bytes = first;
  const storages = new Map<string, StorageRef>();
  const hooks = {
    persistentLoad: (pid: PickleValue) => storageFromPid(src.name, pid, storages, true),
    call: torchCall,
  };
  let parsed: { values: PickleValue[]; end: number } | undefined;
  for (;;) {
    try {
      const values: PickleValue[] = [];
      let end = 0;
      for (let i = 0; i < 5; i++) {
        const r = readPickle(bytes, i === 3 ? hooks : {}, end);
        values.push(r.value);
        end = r.end;
        if (i === 0 && r.value !== LEGACY_MAGIC)
          throw new TorchFormatError(
            src.name,
            'starts with a pickle but is not a PyTorch checkpoint (no torch magic number)',
          );
      }
      parsed = { values, end };
      break;
    } catch (e) {
      const short = e instanceof PickleError && e.message.startsWith('the pickle ends');
      if (!short || bytes.byteLength >= src.size) throw e;
      if (bytes.byteLength >= MAX_PICKLE_BYTES)
        throw new TorchFormatError(src.name, 'its pickles are too large');
      storages.clear();
      bytes = await src.read(0, Math.min(src.size, bytes.byteLength * 4, MAX_PICKLE_BYTES), signal);
    }
  }
  const [, protocol, sysInfo, value, keys] = parsed.values;
  if (protocol !== LEGACY_PROTOCOL)
    throw new TorchFormatError(src.name, `has legacy protocol ${String(protocol)}, not ${LEGACY_PROTOCOL}`);
  if (sysInfo instanceof PickleDict && sysInfo.map.get('little_endian') === false)
    throw new TorchFormatError(src.name, `is big-endian; ${CONVERT_HINT}`);
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string'))
    throw new TorchFormatError(src.name, 'its list of storages is damaged');
  const tensors = stateDict(src.name, value ?? null);

  // Each storage: an 8-byte element count, then its bytes. Sizes come from the pickle; the
  // first count is checked, and the records must end exactly at the end of the file.
  const starts = new Map<string, number>();
  let pos = parsed.end;
  for (const key of keys as string[]) {
    const s = storages.get(key);
    if (!s) throw new TorchFormatError(src.name, `lists storage ${key}, which no tensor uses`);
    starts.set(key, pos + 8);
    pos += 8 + s.numel * DTYPE_SIZE[s.dtype];
  }
  if (pos !== src.size)
    throw new TorchFormatError(
      src.name,
      `its storages end at byte ${pos}, but the file has ${src.size} (cut short or damaged)`,
    );
  const firstKey = (keys as string[])[0];
  if (firstKey !== undefined) {
    const countBytes = await src.read(parsed.end, 8, signal);
    const count = new DataView(countBytes.buffer, countBytes.byteOffset, 8).getBigUint64(0, true);
    if (Number(count) !== storages.get(firstKey)!.numel)
      throw new TorchFormatError(
        src.name,
        `storage ${firstKey} says ${count} elements, its tensors ${storages.get(firstKey)!.numel}`,
      );
  }
  for (const s of storages.values()) {
    if (!starts.has(s.key)) throw new TorchFormatError(src.name, `storage ${s.key} is not in the file`);
  }
  return tensors.map(([name, t]) => place(src.name, name, t, starts.get(t.storage.key)!));
}

/** ('storage', torch.FloatStorage, key, location, numel[, view]) → the storage it names. */
function storageFromPid(
  file: string,
  pid: PickleValue,
  storages: Map<string, StorageRef>,
  legacy: boolean,
): StorageRef {
  const items = pid instanceof PickleTuple ? pid.items : [];
  const [tag, type, key, , numel, view] = items;
  if (tag !== 'storage' || !(type instanceof PickleGlobal) || typeof key !== 'string' || !isCount(numel))
    throw new TorchFormatError(file, 'its pickle refers to data that is not a tensor storage');
  // hasOwn: the pickle picks the name, and torch.constructor is not a storage class.
  const dtype = Object.hasOwn(STORAGE_DTYPES, type.name) ? STORAGE_DTYPES[type.name] : undefined;
  if (type.module !== 'torch' || !dtype)
    throw new TorchFormatError(
      file,
      `holds ${type.toString()} data, which Merge Studio cannot read; ${CONVERT_HINT}`,
    );
  let s = storages.get(key);
  if (!s) {
    s = new StorageRef(key, dtype, numel);
    storages.set(key, s);
  }
  if (legacy && view instanceof PickleTuple) {
    // Its root's size and dtype, which place the root's bytes in the file, bound the view too.
    const [, offset] = view.items;
    if (!isCount(offset) || dtype !== s.dtype)
      throw new TorchFormatError(file, `a view of storage ${key} is damaged`);
    return new StorageRef(key, s.dtype, s.numel, offset);
  }
  return s;
}

/** A size, offset or stride: a non-negative integer we can do exact arithmetic with. */
function isCount(n: PickleValue | undefined): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

function torchCall(callee: PickleValue, args: readonly PickleValue[]): PickleValue | undefined {
  if (!(callee instanceof PickleGlobal)) return undefined;
  const name = callee.toString();
  if (name === 'collections.OrderedDict') {
    const d = new PickleDict();
    const pairs = args[0];
    if (Array.isArray(pairs)) {
      for (const p of pairs) {
        if (p instanceof PickleTuple && typeof p.items[0] === 'string') d.map.set(p.items[0], p.items[1]!);
      }
    }
    return d;
  }
  if (name === 'torch._utils._rebuild_tensor_v2' || name === 'torch._utils._rebuild_tensor') {
    const [storage, offset, size, stride] = args;
    if (
      storage instanceof StorageRef &&
      typeof offset === 'number' &&
      size instanceof PickleTuple &&
      stride instanceof PickleTuple &&
      size.items.every((n) => typeof n === 'number') &&
      stride.items.every((n) => typeof n === 'number')
    )
      return new TensorRef(
        storage,
        offset + storage.viewOffset,
        size.items as number[],
        stride.items as number[],
      );
    return undefined;
  }
  if (name === 'torch._utils._rebuild_parameter' || name === 'torch._utils._rebuild_parameter_with_state') {
    return args[0] instanceof TensorRef ? args[0] : undefined;
  }
  return undefined;
}

/** The dict of tensors a checkpoint holds (its "state_dict" entry when it has one, as mergekit reads). */
function stateDict(file: string, value: PickleValue): [string, TensorRef][] {
  if (!(value instanceof PickleDict)) {
    const what = value instanceof PickleCall ? `a pickled ${describe(value.callee)} object` : kind(value);
    throw new TorchFormatError(
      file,
      `holds ${what}, not a state dict of tensors; save model.state_dict() instead`,
    );
  }
  const inner = value.map.get('state_dict');
  const dict = inner instanceof PickleDict ? inner : value;
  const out: [string, TensorRef][] = [];
  for (const [name, t] of dict.map) {
    if (typeof name !== 'string')
      throw new TorchFormatError(file, `has a key ${String(name)} that is not a tensor name`);
    if (!(t instanceof TensorRef)) {
      throw new TorchFormatError(file, `holds ${kind(t)}, not a tensor`, name);
    }
    out.push([name, t]);
  }
  return out;
}

function describe(v: PickleValue): string {
  return v instanceof PickleGlobal ? v.toString() : 'Python';
}

/** What a pickled value is, for messages ("holds a dict, not a tensor"). */
function kind(v: PickleValue | undefined): string {
  if (v === null || v === undefined) return 'None';
  if (v instanceof PickleCall) return `a ${describe(v.callee)} object`;
  if (v instanceof PickleGlobal) return `the name ${v.toString()}`;
  if (v instanceof PickleDict) return 'a dict';
  if (v instanceof PickleTuple) return 'a tuple';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'object') return `a ${v.pickleKind}`;
  return typeof v === 'bigint' ? 'a number' : `a ${typeof v}`;
}

/** "[4, 6]" for messages; a hostile pickle's million dimensions are cut short. */
function dims(d: readonly number[]): string {
  return `[${d.slice(0, 8).join(', ')}${d.length > 8 ? `, ... (${d.length})` : ''}]`;
}

/** A tensor's absolute byte range, given where its storage's bytes start in the file. */
function place(file: string, name: string, t: TensorRef, storageStart: number): TorchTensorEntry {
  const el = DTYPE_SIZE[t.storage.dtype];
  if (t.shape.length !== t.stride.length)
    throw new TorchFormatError(file, 'its shape and strides disagree', name);
  if (!isCount(t.offset) || !t.shape.every(isCount) || !t.stride.every(isCount))
    throw new TorchFormatError(
      file,
      `has a damaged shape ${dims(t.shape)}, strides ${dims(t.stride)} or offset ${t.offset}`,
      name,
    );
  const numel = t.shape.reduce((a, b) => a * b, 1);
  let expected = 1;
  for (let d = t.shape.length - 1; d >= 0; d--) {
    if (numel > 0 && t.shape[d] !== 1 && t.stride[d] !== expected)
      throw new TorchFormatError(
        file,
        `is not contiguous in its storage (shape ${dims(t.shape)}, strides ${dims(t.stride)}, a transposed or expanded view?); ${CONVERT_HINT}, or re-save it with .contiguous()`,
        name,
      );
    expected *= t.shape[d]!;
  }
  if (t.offset + numel > t.storage.numel)
    throw new TorchFormatError(file, `lies past the end of its storage ${t.storage.key}`, name);
  const begin = storageStart + t.offset * el;
  return { name, dtype: t.storage.dtype, shape: t.shape, begin, end: begin + numel * el };
}
