/**
 * Safetensors writing, split in two: plan the file (header bytes and every tensor's offset,
 * known before any tensor is computed, so the header can be written first and tensors
 * streamed into place), then write tensor bytes at their offsets.
 */
import { DTYPE_SIZE, type DType } from '../dtypes.ts';
import { numelOf } from './header.ts';

export interface TensorSpec {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export interface PlannedEntry extends TensorSpec {
  /** Absolute byte offset of the tensor's data in the file. */
  readonly offset: number;
  readonly byteLength: number;
}

export interface FileLayout {
  readonly header: Uint8Array;
  readonly entries: readonly PlannedEntry[];
  readonly totalSize: number;
}

/**
 * Plans a file. Tensors are laid out by element size, largest first (stable within a size),
 * so that with an 8-aligned data start every tensor's offset is a multiple of its element
 * size and typed-array views need no copy. The JSON header is padded with spaces to a
 * multiple of 8 bytes, as the reference writer does. `format: pt` is always written:
 * transformers refuses other formats. The header object has no prototype, so that any tensor
 * name is an ordinary key: `json['__proto__'] = x` on a `{}` would set its prototype instead,
 * and JSON.stringify would leave that tensor out while its bytes stay reserved.
 */
export function planSafetensorsFile(
  tensors: readonly TensorSpec[],
  metadata: Readonly<Record<string, string>> = {},
): FileLayout {
  const order = tensors
    .map((t, i) => ({ t, i }))
    .sort((a, b) => DTYPE_SIZE[b.t.dtype] - DTYPE_SIZE[a.t.dtype] || a.i - b.i)
    .map((x) => x.t);
  const json = Object.create(null) as Record<string, unknown>;
  json['__metadata__'] = { format: 'pt', ...metadata };
  let cursor = 0;
  const rel: { spec: TensorSpec; begin: number; bytes: number }[] = [];
  for (const t of order) {
    const bytes = numelOf(t.shape) * DTYPE_SIZE[t.dtype];
    json[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [cursor, cursor + bytes] };
    rel.push({ spec: t, begin: cursor, bytes });
    cursor += bytes;
  }
  const text = new TextEncoder().encode(JSON.stringify(json));
  const padded = Math.ceil(text.byteLength / 8) * 8;
  const header = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(text, 8);
  const entries = rel.map((r) => ({ ...r.spec, offset: header.byteLength + r.begin, byteLength: r.bytes }));
  return { header, entries, totalSize: header.byteLength + cursor };
}

/** Builds a whole file in memory (tests, small outputs). */
export function serializeSafetensors(
  tensors: readonly (TensorSpec & { readonly data: Uint8Array })[],
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const layout = planSafetensorsFile(tensors, metadata);
  const out = new Uint8Array(layout.totalSize);
  out.set(layout.header);
  const byName = new Map(tensors.map((t) => [t.name, t.data]));
  for (const e of layout.entries) {
    const data = byName.get(e.name)!;
    if (data.byteLength !== e.byteLength) {
      throw new RangeError(`${e.name}: ${data.byteLength} bytes given, ${e.byteLength} expected`);
    }
    out.set(data, e.offset);
  }
  return out;
}
