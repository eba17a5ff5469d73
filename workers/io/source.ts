/**
 * Where bytes come from and go to. The engine only talks to these interfaces; the Hub,
 * local folders (Node fs or browser File objects) and test fakes implement them, and sinks
 * write to Node fs, the File System Access API or OPFS.
 */
import type { LaneFileTarget } from './lane-file.ts';

/** A read-only file addressable by byte ranges. */
export interface ByteSource {
  /** For messages: "tinymix-code/model.safetensors". */
  readonly name: string;
  readonly size: number;
  /**
   * When the file last changed (ms since the epoch), where a local file system says so (a
   * File's lastModified, Node's mtimeMs): local models have no revision, so this stands for
   * their contents in a resumed job's fingerprint.
   */
  readonly modified?: number;
  /** Exactly `length` bytes from `offset`, or an error naming the file and range. */
  read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array>;
  /**
   * The same, into `target` (exactly target.byteLength bytes from `offset`). Lets the engine
   * reuse big buffers instead of allocating one per tensor, which a garbage collector frees
   * late.
   */
  readInto?(offset: number, target: Uint8Array, signal?: AbortSignal): Promise<void>;
}

/** Bytes a BYOB read asks for at a time (the bounce buffer's size). */
const BOUNCE_BYTES = 1 << 20;
/** Spare bounce buffers, reused by every read in this realm. */
const bounces: ArrayBuffer[] = [];

/**
 * Copies a stream of chunks into `target`; throws unless it yields exactly target's length.
 *
 * With `byob`, a byte stream (a fetch body) is read with a BYOB reader into a reused 1 MB
 * bounce buffer: without one, every chunk the browser hands over is a new ArrayBuffer, garbage
 * a moment later, and a worker reading gigabytes let hundreds of megabytes of them pile up
 * before the collector ran (measured: docs/browser.md). `target` itself cannot be given to the
 * stream, because a BYOB read transfers (detaches) the buffer it fills, and targets are views
 * into shared pool buffers. Only fetch bodies use it: Chromium's Blob streams, read this way,
 * now and then stopped delivering data (golden merges from Blob inputs hung in 6 of 84 e2e
 * tests), so they keep the default reader.
 *
 * A stream that fails here (too long, or its read rejects) is cancelled, so that its source
 * (an HTTP body, say) stops instead of going on into a buffer nobody reads.
 */
export async function streamInto(
  stream: ReadableStream<Uint8Array>,
  target: Uint8Array,
  what: string,
  options: { readonly byob?: boolean } = {},
): Promise<void> {
  const byob = options.byob ? byobReader(stream) : undefined;
  const pos = byob ? await readByob(byob, target, what) : await readChunks(stream, target, what);
  if (pos !== target.byteLength) throw new SourceError(`${what}: got ${pos} bytes of ${target.byteLength}`);
}

function byobReader(stream: ReadableStream<Uint8Array>): ReadableStreamBYOBReader | undefined {
  try {
    return stream.getReader({ mode: 'byob' });
  } catch {
    return undefined; // not a byte stream
  }
}

async function readByob(reader: ReadableStreamBYOBReader, target: Uint8Array, what: string): Promise<number> {
  let buf = bounces.pop() ?? new ArrayBuffer(BOUNCE_BYTES);
  try {
    return await drain(reader, target, what, async (pos) => {
      // Past the end, ask for one byte more: the stream must then say it is done.
      const want = Math.max(1, Math.min(buf.byteLength, target.byteLength - pos));
      const r = await reader.read(new Uint8Array(buf, 0, want));
      if (r.value) buf = r.value.buffer as ArrayBuffer;
      return r;
    });
  } finally {
    if (buf.byteLength === BOUNCE_BYTES && bounces.length < 8) bounces.push(buf);
  }
}

function readChunks(stream: ReadableStream<Uint8Array>, target: Uint8Array, what: string): Promise<number> {
  const reader = stream.getReader();
  return drain(reader, target, what, () => reader.read());
}

/**
 * Places the chunks `next` gives (asked with the bytes placed so far) into `target` until the
 * stream is done; returns the bytes placed. When that fails, the stream is cancelled with the
 * error; the lock is released either way.
 */
async function drain(
  reader: ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader,
  target: Uint8Array,
  what: string,
  next: (pos: number) => Promise<ReadableStreamReadResult<Uint8Array>>,
): Promise<number> {
  let pos = 0;
  try {
    for (;;) {
      const { done, value } = await next(pos);
      if (done) return pos;
      pos = place(target, pos, value, what);
    }
  } catch (e) {
    await reader.cancel(e).catch(() => undefined);
    throw e;
  } finally {
    reader.releaseLock();
  }
}

/** Copies a chunk into `target` at `pos`; the position after it. */
function place(target: Uint8Array, pos: number, chunk: Uint8Array, what: string): number {
  if (pos + chunk.byteLength > target.byteLength) throw new SourceError(`${what}: more bytes than asked for`);
  target.set(chunk, pos);
  return pos + chunk.byteLength;
}

/** A model repository or folder. */
export interface ModelSource {
  /** The model as the recipe names it. */
  readonly id: string;
  /** The commit the files are read at, when the source has versions (the Hub). */
  readonly revision?: string;
  listFiles(signal?: AbortSignal): Promise<readonly string[]>;
  /**
   * A small file's whole contents, or undefined when the file does not exist. With `maxBytes`,
   * a bigger file is refused (FileTooLargeError) before anything is allocated or read: the size
   * comes from the file's host, which may be a hostile Hub repo.
   */
  readFile(path: string, signal?: AbortSignal, maxBytes?: number): Promise<Uint8Array | undefined>;
  open(path: string, signal?: AbortSignal): Promise<ByteSource>;
  /** What a job reading it should tell the user (a LoRA adapter's ignored bias changes). */
  readonly notes?: readonly string[];
}

export type ModelResolver = (id: string, signal?: AbortSignal) => Promise<ModelSource>;

/** A file being written at known offsets (the size is known up front from the plan). */
export interface FileWriter {
  write(offset: number, data: Uint8Array): Promise<void>;
  /**
   * Optional: the same write done before returning (OPFS sync access handles), so the caller
   * may reuse `data` at once. Throws what write() would reject with.
   */
  writeSync?(offset: number, data: Uint8Array): void;
  /**
   * The writer takes views of SharedArrayBuffers (OPFS sync access handles, Node's files), so
   * compute lanes' output pieces need no copy; a picked folder's writable stream does not.
   */
  readonly acceptsShared?: boolean;
  /**
   * Where a compute lane may open this file itself and write its part of a tensor directly
   * (./lane-file.ts); absent where only this writer can write the file.
   */
  readonly laneTarget?: LaneFileTarget;
  close(): Promise<void>;
  /** Drop what was written; leaves no file that looks complete. */
  abort(): Promise<void>;
}

export interface OutputSink {
  /** For messages: the folder's path or name. */
  readonly name: string;
  createFile(path: string, size: number): Promise<FileWriter>;
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  /** Size of an existing file, or undefined (resume). */
  sizeOf?(path: string): Promise<number | undefined>;
  readFile?(path: string): Promise<Uint8Array | undefined>;
  remove?(path: string): Promise<void>;
  /**
   * Names of the files directly in the folder (a job's start removes an earlier merge's weight
   * files); without it, the job removes the names it can know of.
   */
  list?(): Promise<readonly string[]>;
  /** Lets go of what the sink holds for the job (an OPFS folder's lock); called when it ends. */
  release?(): void;
}

export class SourceError extends Error {
  override readonly name: string = 'SourceError';
}

/** A file refused by readFile's `maxBytes`. */
export class FileTooLargeError extends SourceError {
  override readonly name: string = 'FileTooLargeError';
}

/**
 * Caps for files read whole. JSON side files (config.json, the shard index) are kilobytes to a
 * few MB even for the largest models; a donor's tokenizer files reach tens of MB (tokenizer.json
 * of a 256k vocabulary: about 35 MB). Decimal units, as the safetensors header cap.
 */
export const MAX_JSON_FILE_BYTES = 64_000_000;
export const MAX_SIDE_FILE_BYTES = 512_000_000;

const shown = (n: number): string => (n >= 1e6 ? `${Math.round(n / 1e6)} MB` : `${n} bytes`);

/** Throws FileTooLargeError when `size` is over `maxBytes` (no cap when it is undefined). */
export function checkFileSize(name: string, size: number, maxBytes: number | undefined): void {
  if (maxBytes === undefined || size <= maxBytes) return;
  throw new FileTooLargeError(
    `${name} is ${shown(size)}, over the ${shown(maxBytes)} such a file may have: not reading it`,
  );
}
