/**
 * What a checkpoint's pickle holds, made into tensors: torch's persistent ids become storages,
 * its tensor rebuilds tensors (views into a storage), and the state dict (or a training
 * checkpoint's `state_dict` entry) the named tensors, each placed as a byte range in the file.
 * Anything else the pickle names stays inert (./pickle.ts) and is an error where a tensor
 * should be.
 */
import { DTYPE_SIZE, type DType } from '../dtypes.ts';
import type { TensorEntry } from '../safetensors/header.ts';
import { CONVERT_HINT, TorchFormatError } from './errors.ts';
import {
  PickleCall,
  PickleDict,
  PickleGlobal,
  PickleTuple,
  type PickleExtra,
  type PickleValue,
} from './pickle-values.ts';

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

export class StorageRef implements PickleExtra {
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

export class TensorRef implements PickleExtra {
  readonly pickleKind = 'tensor';
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

/** ('storage', torch.FloatStorage, key, location, numel[, view]) → the storage it names. */
export function storageFromPid(
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
export function isCount(n: PickleValue | undefined): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

export function torchCall(callee: PickleValue, args: readonly PickleValue[]): PickleValue | undefined {
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
export function stateDict(file: string, value: PickleValue): [string, TensorRef][] {
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
export function place(file: string, name: string, t: TensorRef, storageStart: number): TensorEntry {
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
