import { describe, expect, it } from 'vitest';
import { decodeToF32, encodeFromF32 } from '../dtypes.ts';
import { SafetensorsFormatError } from './errors.ts';
import { MAX_HEADER_BYTES, parseHeader, readHeaderLength } from './header.ts';
import { planSafetensorsFile, serializeSafetensors } from './layout.ts';

function parse(bytes: Uint8Array, file = 'x.safetensors') {
  const n = readHeaderLength(bytes.subarray(0, 8), file, bytes.byteLength);
  return parseHeader(bytes.subarray(8, 8 + n), file, bytes.byteLength);
}

/** A file with a hand-written header (to build malformed inputs). */
function raw(header: unknown, dataBytes: number, pad = true): Uint8Array {
  let text = JSON.stringify(header);
  if (pad) while (text.length % 8) text += ' ';
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + h.byteLength + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.byteLength), true);
  out.set(h, 8);
  return out;
}

function problemOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SafetensorsFormatError);
    return (e as SafetensorsFormatError).problem;
  }
  throw new Error('expected an error');
}

describe('safetensors writer', () => {
  it('round-trips tensors of several dtypes with aligned offsets', () => {
    const a = new Float32Array([1, 2, 3]);
    const b = new Float32Array([0.5, -0.25]);
    const bytes = serializeSafetensors(
      [
        { name: 'b16', dtype: 'BF16', shape: [2], data: encodeFromF32(b, 'BF16') },
        { name: 'f32', dtype: 'F32', shape: [3], data: encodeFromF32(a, 'F32') },
        { name: 'h', dtype: 'F16', shape: [1, 2], data: encodeFromF32(b, 'F16') },
      ],
      { source: 'test' },
    );
    const h = parse(bytes);
    expect(h.metadata).toEqual({ format: 'pt', source: 'test' });
    expect(h.dataOffset % 8).toBe(0);
    for (const t of h.tensors) expect(t.begin % (t.dtype === 'F32' ? 4 : 2)).toBe(0);
    const get = (name: string) => {
      const t = h.tensors.find((x) => x.name === name)!;
      return [...decodeToF32(bytes.subarray(t.begin, t.end), t.dtype)];
    };
    expect(get('f32')).toEqual([1, 2, 3]);
    expect(get('b16')).toEqual([0.5, -0.25]);
    expect(get('h')).toEqual([0.5, -0.25]);
    // Header padded with spaces to 8 bytes.
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
  });

  it('round-trips tensor names and metadata keys that are Object.prototype names', () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'w'];
    const bytes = serializeSafetensors(
      names.map((name, i) => ({
        name,
        dtype: 'F32' as const,
        shape: [1],
        data: encodeFromF32(new Float32Array([i]), 'F32'),
      })),
      JSON.parse('{"__proto__": "kept", "constructor": "too"}') as Record<string, string>,
    );
    const h = parse(bytes);
    expect(h.tensors.map((t) => t.name).sort()).toEqual([...names].sort());
    for (const t of h.tensors) {
      expect(decodeToF32(bytes.subarray(t.begin, t.end), t.dtype)[0]).toBe(names.indexOf(t.name));
    }
    expect(Object.entries(h.metadata).sort()).toEqual([
      ['__proto__', 'kept'],
      ['constructor', 'too'],
      ['format', 'pt'],
    ]);
  });

  it('plans offsets before data exists and totals the file size', () => {
    const layout = planSafetensorsFile([
      { name: 'a', dtype: 'BF16', shape: [3] },
      { name: 'b', dtype: 'F32', shape: [2, 2] },
    ]);
    expect(layout.entries.map((e) => e.name)).toEqual(['b', 'a']); // 4-byte elements first
    expect(layout.totalSize).toBe(layout.header.byteLength + 16 + 6);
  });
});

const two = (b: [number, number]) => ({
  a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
  b: { dtype: 'F32', shape: [1], data_offsets: b },
});

describe('safetensors reader rejects malformed files by name', () => {
  const good = { t: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  it('accepts a valid hand-made file, padded or not', () => {
    expect(parse(raw(good, 8)).tensors[0]!.name).toBe('t');
    expect(parse(raw(good, 8, false)).tensors[0]!.shape).toEqual([2]);
  });
  it('too short / oversized / past-end headers', () => {
    expect(problemOf(() => readHeaderLength(new Uint8Array(4), 'f', 4))).toBe('too-short');
    const big = new Uint8Array(16);
    new DataView(big.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES + 1), true);
    expect(problemOf(() => readHeaderLength(big, 'f', 1e9))).toBe('header-too-large');
    const past = new Uint8Array(16);
    new DataView(past.buffer).setBigUint64(0, 100n, true);
    expect(problemOf(() => readHeaderLength(past, 'f', 16))).toBe('header-past-end');
  });
  it('bad JSON and bad entries', () => {
    const bytes = raw(good, 8);
    bytes[8] = 0x7b + 1; // corrupt the opening brace
    expect(problemOf(() => parse(bytes))).toBe('bad-json');
    expect(problemOf(() => parse(raw({ t: { dtype: 'F99', shape: [2], data_offsets: [0, 8] } }, 8)))).toBe(
      'bad-dtype',
    );
    expect(problemOf(() => parse(raw({ t: { dtype: 'F32', shape: [-1], data_offsets: [0, 8] } }, 8)))).toBe(
      'bad-shape',
    );
    expect(problemOf(() => parse(raw({ t: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8)))).toBe(
      'size-mismatch',
    );
    expect(problemOf(() => parse(raw({ t: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, 8)))).toBe(
      'bad-entry',
    );
    expect(problemOf(() => parse(raw({ __metadata__: { n: 1 }, ...good }, 8)))).toBe('bad-metadata');
  });
  it('holes, overlaps, truncation and trailing bytes', () => {
    expect(problemOf(() => parse(raw(two([8, 12]), 12)))).toBe('hole');
    expect(problemOf(() => parse(raw(two([2, 6]), 6)))).toBe('overlap');
    expect(problemOf(() => parse(raw(good, 4)))).toBe('length-mismatch');
    expect(problemOf(() => parse(raw(good, 12)))).toBe('length-mismatch');
  });
  it('names the file and tensor in the message', () => {
    try {
      parse(raw({ weird: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8), 'm/model.safetensors');
    } catch (e) {
      expect((e as Error).message).toMatch(
        /m\/model\.safetensors, tensor weird: has 8 bytes but F32 \[3\] needs 12/,
      );
    }
  });
});
