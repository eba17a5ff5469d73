/**
 * The ZIP container of torch.save's checkpoints, read by byte ranges: the central directory
 * from the end of the file, then the local headers of the entries wanted (their data starts
 * after them). ZIP64 records (files or entries past 4 GB) are followed. Entries are read in
 * place when stored; a deflated entry is inflated whole (only small ones: the pickle).
 */
import type { ByteSource } from '../source.ts';
import { TorchFormatError } from './errors.ts';

export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflated. */
  readonly method: number;
  readonly flags: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX16 = 0xffff;
const MAX32 = 0xffffffff;
/** The end record (22 bytes) plus the longest comment. */
const TAIL = 22 + MAX16;
/** Local headers this close together are read with one request. */
const WINDOW = 64 * 1024;
/**
 * The largest central directory we read: about a hundred bytes per storage, so room for
 * hundreds of thousands of tensors; a bigger one is a damaged size, not a checkpoint.
 */
const MAX_DIRECTORY_BYTES = 64 * 1024 * 1024;

const dv = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

const zipError = (file: string, detail: string): TorchFormatError =>
  new TorchFormatError(file, `not a readable ZIP archive: ${detail}`);

function u64(v: DataView, at: number, bad: (d: string) => TorchFormatError): number {
  const n = v.getBigUint64(at, true);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`a ZIP64 size or offset past 2^53 (${n})`);
  return Number(n);
}

/** Whether the file starts like a ZIP archive (a local header). */
export function looksLikeZip(first: Uint8Array): boolean {
  return first.byteLength >= 4 && dv(first).getUint32(0, true) === LOCAL;
}

export async function readZipDirectory(src: ByteSource, signal?: AbortSignal): Promise<ZipEntry[]> {
  const bad = (detail: string): TorchFormatError => zipError(src.name, detail);
  const tailStart = Math.max(0, src.size - TAIL);
  const tail = await src.read(tailStart, src.size - tailStart, signal);
  const tv = dv(tail);
  let at = -1;
  for (let i = tail.byteLength - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD) {
      at = i;
      break;
    }
  }
  if (at < 0) throw bad('no end-of-central-directory record (the file may be cut short)');
  let count = tv.getUint16(at + 10, true);
  let dirSize = tv.getUint32(at + 12, true);
  let dirOffset = tv.getUint32(at + 16, true);
  if (count === MAX16 || dirSize === MAX32 || dirOffset === MAX32) {
    const loc = at - 20;
    const locator = loc >= 0 ? tv.getUint32(loc, true) === EOCD64_LOCATOR : false;
    if (!locator) throw bad('ZIP64 sizes without a ZIP64 end-record locator');
    const end64At = u64(tv, loc + 8, bad);
    if (end64At + 56 > src.size) throw bad('the ZIP64 end record lies past the end of the file');
    const end64 = dv(await src.read(end64At, 56, signal));
    if (end64.getUint32(0, true) !== EOCD64) throw bad('the ZIP64 end record is not where its locator says');
    count = u64(end64, 32, bad);
    dirSize = u64(end64, 40, bad);
    dirOffset = u64(end64, 48, bad);
  }
  if (dirOffset + dirSize > src.size) throw bad('the central directory lies past the end of the file');
  if (dirSize > MAX_DIRECTORY_BYTES) throw bad(`a central directory of ${dirSize} bytes is too large`);
  const dir =
    dirOffset >= tailStart && dirOffset + dirSize <= src.size
      ? tail.subarray(dirOffset - tailStart, dirOffset - tailStart + dirSize)
      : await src.read(dirOffset, dirSize, signal);
  return parseDirectory(dir, count, bad);
}

function parseDirectory(dir: Uint8Array, count: number, bad: (d: string) => TorchFormatError): ZipEntry[] {
  const v = dv(dir);
  const names = new TextDecoder();
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > dir.byteLength || v.getUint32(p, true) !== CENTRAL)
      throw bad(`central directory entry ${i} is damaged`);
    const flags = v.getUint16(p + 8, true);
    const method = v.getUint16(p + 10, true);
    let compressedSize = v.getUint32(p + 20, true);
    let size = v.getUint32(p + 24, true);
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    let localHeaderOffset = v.getUint32(p + 42, true);
    const name = names.decode(dir.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extra field (id 1): the 8-byte values of the fields set to 0xffffffff, in order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    if (extraEnd > dir.byteLength) throw bad(`central directory entry ${name} runs past the directory`);
    while (e + 4 <= extraEnd) {
      const id = v.getUint16(e, true);
      const len = v.getUint16(e + 2, true);
      if (id === 1) {
        let q = e + 4;
        const fieldEnd = Math.min(extraEnd, q + len);
        const next = (): number => {
          if (q + 8 > fieldEnd) throw bad(`the ZIP64 sizes of ${name} are cut short`);
          const n = u64(v, q, bad);
          q += 8;
          return n;
        };
        if (size === MAX32) size = next();
        if (compressedSize === MAX32) compressedSize = next();
        if (localHeaderOffset === MAX32) localHeaderOffset = next();
      }
      e += 4 + len;
    }
    // A stored entry's data is read in place for `size` bytes, so only the bytes the archive
    // accounts for (compressedSize, checked against the file's end) may be that long.
    if (method === 0 && compressedSize !== size)
      throw bad(`${name} is stored, but its sizes disagree (${compressedSize} and ${size})`);
    entries.push({ name, method, flags, compressedSize, size, localHeaderOffset });
    p = extraEnd + commentLen;
  }
  return entries;
}

/**
 * Where each entry's data begins, from its local header (whose extra field, torch's padding to
 * 64 bytes, the central directory does not repeat). Headers close together share one read.
 */
export async function dataOffsets(
  src: ByteSource,
  entries: readonly ZipEntry[],
  signal?: AbortSignal,
): Promise<Map<ZipEntry, number>> {
  for (const entry of entries) {
    if (entry.localHeaderOffset + 30 > src.size)
      throw zipError(src.name, `the local header of ${entry.name} lies past the end of the file`);
  }
  const sorted = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  const windows: { begin: number; end: number; entries: ZipEntry[] }[] = [];
  for (const entry of sorted) {
    const headerEnd = Math.min(src.size, entry.localHeaderOffset + 30 + 4 * entry.name.length + 1024);
    const w = windows[windows.length - 1];
    if (w && headerEnd - w.begin <= WINDOW) {
      w.end = Math.max(w.end, headerEnd);
      w.entries.push(entry);
    } else windows.push({ begin: entry.localHeaderOffset, end: headerEnd, entries: [entry] });
  }
  const out = new Map<ZipEntry, number>();
  await Promise.all(
    windows.map(async (w) => {
      const bytes = await src.read(w.begin, w.end - w.begin, signal);
      for (const entry of w.entries) {
        let at = entry.localHeaderOffset - w.begin;
        let header = bytes;
        if (at + 30 > bytes.byteLength) {
          header = await src.read(entry.localHeaderOffset, 30, signal);
          at = 0;
        }
        const v = dv(header);
        if (v.getUint32(at, true) !== LOCAL) throw zipError(src.name, `no local header for ${entry.name}`);
        const start = entry.localHeaderOffset + 30 + v.getUint16(at + 26, true) + v.getUint16(at + 28, true);
        if (start + entry.compressedSize > src.size)
          throw new TorchFormatError(src.name, `${entry.name} runs past the end of the file (cut short?)`);
        out.set(entry, start);
      }
    }),
  );
  return out;
}

/**
 * An entry's bytes: read in place when stored, inflated when deflated. The caller bounds the
 * entry's sizes; inflating stops at `size`, since a few kilobytes of deflate can say gigabytes.
 */
export async function readEntry(
  src: ByteSource,
  entry: ZipEntry,
  start: number,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  if (entry.method !== 0 && entry.method !== 8)
    throw new TorchFormatError(
      src.name,
      `${entry.name} is compressed with method ${entry.method}, which is not supported`,
    );
  const raw = await src.read(start, entry.compressedSize, signal);
  return entry.method === 0 ? raw : inflate(src.name, entry, raw);
}

async function inflate(file: string, entry: ZipEntry, raw: Uint8Array): Promise<Uint8Array> {
  const fail = (detail: string): TorchFormatError => new TorchFormatError(file, `${entry.name} ${detail}`);
  const out = new Uint8Array(entry.size);
  const reader = new Blob([raw as BlobPart])
    .stream()
    .pipeThrough(new DecompressionStream('deflate-raw'))
    .getReader();
  let n = 0;
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      if (n + r.value.byteLength > out.byteLength)
        throw fail(`inflates to more than its ${entry.size} bytes`);
      out.set(r.value, n);
      n += r.value.byteLength;
    }
  } catch (e) {
    // The stream's own errors are TypeErrors ("The compressed data was not valid").
    reader.cancel().catch(() => undefined);
    throw e instanceof TorchFormatError ? e : fail(`does not inflate: ${(e as Error).message}`);
  }
  if (n !== entry.size) throw fail(`inflates to ${n} bytes, not ${entry.size}`);
  return out;
}
