/**
 * A folder of written files as one POSIX tar archive (ustar, with pax records where ustar's
 * fields fall short), for the OPFS fallback's "Download all": a browser downloads a file under
 * a flat name, so a model folder with subfolders (a filled model's) only keeps its layout as
 * an archive. The archive is a Blob composed of 512-byte headers and the files themselves:
 * nothing is read or copied into memory here, the browser streams the files when it saves.
 * `tar -xf` (GNU, bsdtar, Windows' tar.exe) extracts it into a folder named `root`.
 */

const BLOCK = 512;
/** ustar's size and mtime fields hold 11 octal digits. */
const MAX_OCTAL = 0o77777777777;
const encoder = new TextEncoder();

export interface TarEntry {
  /** Path inside the folder, `/`-separated (`extra/notes.txt`). */
  readonly path: string;
  readonly file: Blob;
  /** Milliseconds since the epoch (a File's lastModified). */
  readonly lastModified?: number;
}

/** The archive of `entries` under the folder `root`, directories first where they begin. */
export function tarArchive(root: string, entries: readonly TarEntry[], now = Date.now()): Blob {
  const base = safePath(root);
  if (!base) throw new Error(`Cannot archive into the folder name '${root}'`);
  const parts: BlobPart[] = [];
  const dirs = new Set<string>();
  const addDir = (dir: string, mtime: number): void => {
    if (dirs.has(dir)) return;
    dirs.add(dir);
    parts.push(...entryHeader(`${dir}/`, 0, mtime, '5'));
  };
  addDir(base, seconds(now));
  for (const e of entries) {
    const rel = safePath(e.path);
    if (!rel) throw new Error(`Cannot archive a file named '${e.path}'`);
    const mtime = seconds(e.lastModified ?? now);
    const segments = rel.split('/');
    for (let i = 1; i < segments.length; i++) addDir(`${base}/${segments.slice(0, i).join('/')}`, mtime);
    parts.push(...entryHeader(`${base}/${rel}`, e.file.size, mtime, '0'), e.file);
    const pad = padding(e.file.size);
    if (pad) parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(2 * BLOCK));
  return new Blob(parts, { type: 'application/x-tar' });
}

/**
 * The header block(s) of one entry: a ustar header, preceded by a pax extended header when the
 * path does not fit ustar's name and prefix fields, is not ASCII, or the size passes 8 GiB.
 */
export function entryHeader(
  path: string,
  size: number,
  mtime: number,
  type: '0' | '5',
): Uint8Array<ArrayBuffer>[] {
  const split = ustarName(path);
  const records: string[] = [];
  if (!split) records.push(paxRecord('path', path));
  if (size > MAX_OCTAL) records.push(paxRecord('size', String(size)));
  const header = ustarHeader(split ?? fallbackName(path), Math.min(size, MAX_OCTAL), mtime, type);
  if (records.length === 0) return [header];
  const body = encoder.encode(records.join(''));
  const pax = ustarHeader(fallbackName(`PaxHeaders/${path}`), body.length, mtime, 'x');
  const paxData = new Uint8Array(body.length + padding(body.length));
  paxData.set(body);
  return [pax, paxData, header];
}

function ustarHeader(
  [prefix, name]: readonly [string, string],
  size: number,
  mtime: number,
  type: '0' | '5' | 'x',
): Uint8Array<ArrayBuffer> {
  const h = new Uint8Array(BLOCK);
  const put = (offset: number, length: number, text: string): void => {
    h.set(encoder.encode(text).subarray(0, length), offset);
  };
  put(0, 100, name);
  put(100, 8, type === '5' ? '0000755\0' : '0000644\0');
  put(108, 8, '0000000\0');
  put(116, 8, '0000000\0');
  put(124, 12, `${octal(size, 11)}\0`);
  put(136, 12, `${octal(Math.min(mtime, MAX_OCTAL), 11)}\0`);
  put(148, 8, '        '); // the checksum counts its own field as spaces
  put(156, 1, type);
  put(257, 8, 'ustar\u000000');
  put(345, 155, prefix);
  let sum = 0;
  for (const b of h) sum += b;
  put(148, 8, `${octal(sum, 6)}\0 `);
  return h;
}

/** [prefix, name] when the path fits ustar's fields as ASCII; undefined when it does not. */
function ustarName(path: string): [string, string] | undefined {
  // Printable ASCII only; anything else goes in a pax record, as UTF-8.
  if (!/^[\x20-\x7e]*$/.test(path)) return undefined;
  if (path.length <= 100) return ['', path];
  // Split at a slash: the prefix takes up to 155 characters, the name up to 100.
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
    if (i > 155) break;
    const name = path.slice(i + 1);
    if (name.length > 0 && name.length <= 100) return [path.slice(0, i), name];
  }
  return undefined;
}

/** What an old reader without pax support sees: the path's ASCII-safe tail. */
function fallbackName(path: string): [string, string] {
  const ascii = path.replace(/[^\x20-\x7e]/g, '_');
  return ['', ascii.length <= 100 ? ascii : ascii.slice(-100)];
}

/** One pax record, `LEN key=value\n`, LEN counting its own digits. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  const bytes = encoder.encode(rest).length;
  let length = bytes + String(bytes).length;
  if (String(length).length !== String(bytes).length) length = bytes + String(length).length;
  return `${length}${rest}`;
}

/** A relative path with no empty, `.` or `..` segments (nothing extracts outside the folder). */
function safePath(path: string): string {
  return path
    .split('/')
    .filter((s) => s !== '' && s !== '.' && s !== '..')
    .join('/');
}

const octal = (n: number, digits: number): string => Math.floor(n).toString(8).padStart(digits, '0');
const seconds = (ms: number): number => Math.max(0, Math.floor(ms / 1000));
const padding = (size: number): number => (BLOCK - (size % BLOCK)) % BLOCK;
