/**
 * Numbers and text in a pickle (./pickle.ts): dict keys, decimal INT/LONG lines, LONG1/LONG4's
 * little-endian integers of any length, and raw-unicode-escape text, each with a limit that
 * keeps a hostile pickle from making them slow.
 */
import { PickleError, type PickleKey, type PickleValue } from './pickle-values.ts';

export function key(k: PickleValue): PickleKey {
  if (typeof k === 'string' || typeof k === 'number' || typeof k === 'boolean' || k === null) return k;
  if (typeof k === 'bigint') return safe(k);
  throw new PickleError('a dict key that is not a string or a number');
}

export function safe(n: bigint): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER))
    throw new PickleError(`the integer ${n} is too large`);
  return Number(n);
}

/**
 * A decimal integer line. Parsed as a double, not a BigInt: a safe integer is exact either way,
 * and a BigInt of a megabyte of digits takes seconds.
 */
export function parseIntText(s: string): number {
  if (!/^-?\d+$/.test(s)) throw new PickleError(`"${s.slice(0, 20)}" is not an integer`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new PickleError(`the integer ${s.slice(0, 20)}... is too large`);
  return n;
}

/** LONG's decimal text, as a bigint when it is not safe (a BigInt of more digits is slow to parse). */
export function parseLongText(s: string): number | bigint {
  if (!/^-?\d+$/.test(s)) throw new PickleError(`"${s.slice(0, 20)}" is not an integer`);
  const n = Number(s);
  if (Number.isSafeInteger(n)) return n;
  if (s.length > MAX_LONG_DIGITS) throw new PickleError(`an integer of ${s.length} digits`);
  return BigInt(s);
}

/** Far past any integer a checkpoint holds, and below BigInt's limit (2^30 bits in V8). */
const MAX_LONG_BYTES = 1 << 20;
const MAX_LONG_DIGITS = 1000;

/**
 * A little-endian two's-complement integer of any length, as a number when it is safe, else a
 * bigint. Built from hex text: shifting a BigInt byte by byte is quadratic, and LONG4 may
 * give megabytes.
 */
export function longLE(b: Uint8Array): number | bigint {
  if (!b.length) return 0;
  if (b.length > MAX_LONG_BYTES) throw new PickleError(`an integer of ${b.length} bytes`);
  const hex: string[] = [];
  for (let i = b.length - 1; i >= 0; i--) hex.push(b[i]!.toString(16).padStart(2, '0'));
  let n = BigInt(`0x${hex.join('')}`);
  if (b[b.length - 1]! & 0x80) n -= 1n << BigInt(8 * b.length);
  return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/**
 * Python's raw-unicode-escape: Latin-1 text in which \uXXXX and \UXXXXXXXX stand for other
 * characters, when an odd number of backslashes leads them (as Python decodes it).
 */
export function rawUnicodeEscape(s: string): string {
  return s.replace(
    /(\\+)(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))/g,
    (m, bs: string, u?: string, U?: string) => {
      const code = parseInt(u ?? U!, 16);
      if (bs.length % 2 === 0 || code > 0x10ffff) return m;
      return bs.slice(1) + String.fromCodePoint(code);
    },
  );
}
