/**
 * Safetensors header parsing, strict: the rules of the reference implementation
 * (huggingface/safetensors) are checked so that a bad file fails here, by name, instead of
 * producing garbage tensors later.
 *
 * Layout: u64 little-endian N, then N bytes of JSON, then the data. Every tensor's
 * `data_offsets` are relative to the start of the data; together they must tile it exactly
 * (no holes, no overlap) and the file must end where the last tensor does.
 */
import { DTYPE_SIZE, isDType, type DType } from '../dtypes.ts';
import { SafetensorsFormatError } from './errors.ts';

/** The reference implementation refuses headers over 100 MB (a DoS guard); so do we. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorEntry {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Absolute byte offsets in the file (data start already added). */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  readonly file: string;
  /** 8 + header length: where the data starts. */
  readonly dataOffset: number;
  readonly tensors: readonly TensorEntry[];
  readonly metadata: Readonly<Record<string, string>>;
}

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Reads the u64 header length from the first 8 bytes and checks it against the file size. */
export function readHeaderLength(first8: Uint8Array, file: string, fileSize: number): number {
  if (first8.byteLength < 8 || fileSize < 8) {
    throw new SafetensorsFormatError(file, 'too-short', `file is ${fileSize} bytes, too short for a header`);
  }
  const dv = new DataView(first8.buffer, first8.byteOffset, 8);
  const n = Number(dv.getBigUint64(0, true));
  if (n > MAX_HEADER_BYTES) {
    throw new SafetensorsFormatError(
      file,
      'header-too-large',
      `header claims ${n} bytes, over the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`,
    );
  }
  if (8 + n > fileSize) {
    throw new SafetensorsFormatError(
      file,
      'header-past-end',
      `header claims ${n} bytes but the file has only ${fileSize - 8} after the length (truncated?)`,
    );
  }
  return n;
}

/**
 * Parses and validates the JSON header. `headerBytes` are the N bytes after the length.
 */
export function parseHeader(headerBytes: Uint8Array, file: string, fileSize: number): SafetensorsHeader {
  const dataOffset = 8 + headerBytes.byteLength;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    throw new SafetensorsFormatError(file, 'bad-json', `header is not valid UTF-8 JSON (${String(e)})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SafetensorsFormatError(file, 'bad-json', 'header is not a JSON object');
  }
  // No prototype: a `__proto__` key is then kept like any other (on a `{}` it would be dropped).
  const metadata = Object.create(null) as Record<string, string>;
  const entries: TensorEntry[] = [];
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        throw new SafetensorsFormatError(file, 'bad-metadata', '__metadata__ must be an object of strings');
      }
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') {
          throw new SafetensorsFormatError(file, 'bad-metadata', `__metadata__.${k} is not a string`);
        }
        metadata[k] = v;
      }
      continue;
    }
    entries.push(parseEntry(name, raw, file, dataOffset));
  }
  // Offsets must tile the data region from 0 with no holes or overlaps.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = dataOffset;
  for (const t of sorted) {
    if (t.begin > cursor) {
      throw new SafetensorsFormatError(
        file,
        'hole',
        `data starts at byte ${t.begin - dataOffset} but the previous tensor ends at ${cursor - dataOffset}`,
        t.name,
      );
    }
    if (t.begin < cursor) {
      throw new SafetensorsFormatError(file, 'overlap', 'data overlaps the previous tensor', t.name);
    }
    cursor = t.end;
  }
  if (cursor !== fileSize) {
    throw new SafetensorsFormatError(
      file,
      'length-mismatch',
      `tensor data ends at byte ${cursor} but the file has ${fileSize} bytes (${
        cursor > fileSize ? 'truncated' : 'trailing bytes'
      })`,
    );
  }
  return { file, dataOffset, tensors: entries, metadata };
}

function parseEntry(name: string, raw: unknown, file: string, dataOffset: number): TensorEntry {
  if (typeof raw !== 'object' || raw === null) {
    throw new SafetensorsFormatError(file, 'bad-entry', 'entry is not an object', name);
  }
  const { dtype, shape, data_offsets: offs } = raw as Record<string, unknown>;
  if (!isDType(dtype)) {
    throw new SafetensorsFormatError(file, 'bad-dtype', `unknown dtype ${JSON.stringify(dtype)}`, name);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsFormatError(
      file,
      'bad-shape',
      `shape ${JSON.stringify(shape)} is not a list of non-negative integers`,
      name,
    );
  }
  if (
    !Array.isArray(offs) ||
    offs.length !== 2 ||
    !offs.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offs[1] < offs[0]
  ) {
    throw new SafetensorsFormatError(
      file,
      'bad-entry',
      `data_offsets ${JSON.stringify(offs)} must be [begin, end] with begin <= end`,
      name,
    );
  }
  const [b, e] = offs as [number, number];
  const expected = numelOf(shape as number[]) * DTYPE_SIZE[dtype];
  if (e - b !== expected) {
    throw new SafetensorsFormatError(
      file,
      'size-mismatch',
      `has ${e - b} bytes but ${dtype} ${JSON.stringify(shape)} needs ${expected}`,
      name,
    );
  }
  return { name, dtype, shape: shape as number[], begin: dataOffset + b, end: dataOffset + e };
}
