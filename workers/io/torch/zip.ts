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

const dv = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

function u64(v: DataView, at: number): number {
  const n = v.getBigUint64(at, true);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('a ZIP64 size past 2^53');
  return Number(n);
}

/** Whether the file starts like a ZIP archive (a local header). */
export function looksLikeZip(first: Uint8Array): boolean {
  return first.byteLength >= 4 && dv(first).getUint32(0, true) === LOCAL;
}

export async function readZipDirectory(src: ByteSource, signal?: AbortSignal): Promise<ZipEntry[]> {
  const bad = (detail: string): TorchFormatError =>
    new TorchFormatError(src.name, `not a readable ZIP archive: ${detail}`);
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
    const end64At = u64(tv, loc + 8);
    const end64 = dv(await src.read(end64At, 56, signal));
    if (end64.getUint32(0, true) !== EOCD64) throw bad('the ZIP64 end record is not where its locator says');
    count = u64(end64, 32);
    dirSize = u64(end64, 40);
    dirOffset = u64(end64, 48);
  }
  if (dirOffset + dirSize > src.size) throw bad('the central directory lies past the end of the file');
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
        const next = (): number => {
          const n = u64(v, q);
          q += 8;
          return n;
        };
        if (size === MAX32) size = next();
        if (compressedSize === MAX32) compressedSize = next();
        if (localHeaderOffset === MAX32) localHeaderOffset = next();
      }
      e += 4 + len;
    }
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
        if (v.getUint32(at, true) !== LOCAL)
          throw new TorchFormatError(
            src.name,
            `not a readable ZIP archive: no local header for ${entry.name}`,
          );
        const start = entry.localHeaderOffset + 30 + v.getUint16(at + 26, true) + v.getUint16(at + 28, true);
        if (start + entry.compressedSize > src.size)
          throw new TorchFormatError(src.name, `${entry.name} runs past the end of the file (cut short?)`);
        out.set(entry, start);
      }
    }),
  );
  return out;
}

/** An entry's bytes: read in place when stored, inflated when deflated. */
export async function readEntry(
  src: ByteSource,
  entry: ZipEntry,
  start: number,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const raw = await src.read(start, entry.compressedSize, signal);
  if (entry.method === 0) return raw;
  if (entry.method !== 8)
    throw new TorchFormatError(
      src.name,
      `${entry.name} is compressed with method ${entry.method}, which is not supported`,
    );
  const stream = new Blob([raw as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  const out = new Uint8Array(await new Response(stream).arrayBuffer());
  if (out.byteLength !== entry.size)
    throw new TorchFormatError(
      src.name,
      `${entry.name} inflates to ${out.byteLength} bytes, not ${entry.size}`,
    );
  return out;
}
