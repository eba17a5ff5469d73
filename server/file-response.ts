/**
 * File bytes as the Hub's resolve endpoint sends them: `Range` honoured (206 with
 * Content-Range; `bytes=a-b`, `bytes=a-` and suffix `bytes=-n`), 416 for a range past the end,
 * a strong ETag, and X-Repo-Commit. Never the xet content-type: @huggingface/hub would then
 * look for a xet storage this server does not have. Multi-range requests get the whole file
 * (allowed by RFC 9110), which a reader detects by the missing Content-Range.
 *
 * Bodies are sent `Cache-Control: no-store`. Chromium reads a cacheable fetch() body into
 * its own memory as fast as the network delivers it, whether or not the page is reading it
 * (Blink's FetchManager wraps it in a BufferingBytesConsumer), so every chunk is copied once
 * more. With no-store the body streams from the network process's pipe as it is read.
 * Measured with `npm run bench:browser` (docs/browser.md): reading 3 x 1.32 GB took 4.0-4.5 s
 * instead of 7.7 s, and the network process 2.0 CPU seconds instead of 5.8. Local files gain
 * nothing from the browser's HTTP cache.
 */
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline, type Readable, type Transform } from 'node:stream';
import { throttled, truncation, type FaultCounters, type FaultOptions } from './faults.ts';
import type { RepoFile, RepoSnapshot } from './model-folders.ts';

export type ByteRange = { readonly start: number; readonly end: number } | 'unsatisfiable' | undefined;

/** The inclusive byte range a Range header asks of a file of `size` bytes (undefined: whole file). */
export function parseRange(header: string | undefined, size: number): ByteRange {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

function contentType(file: string): string {
  if (file.endsWith('.json')) return 'application/json';
  if (/\.(md|txt|yml|yaml|jinja|py)$/.test(file)) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

export function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  repo: RepoSnapshot,
  file: RepoFile,
  faults: FaultOptions,
  counters: FaultCounters,
): void {
  const head = req.method === 'HEAD';
  const range = parseRange(req.headers.range, file.size);
  res.setHeader('ETag', `"${file.etag}"`);
  res.setHeader('X-Repo-Commit', repo.sha);
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', contentType(file.path));
  if (range === 'unsatisfiable') {
    res.writeHead(416, { 'Content-Range': `bytes */${file.size}`, 'Content-Length': 0 }).end();
    return;
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? file.size - 1;
  const length = end - start + 1;
  if (range) res.setHeader('Content-Range', `bytes ${start}-${end}/${file.size}`);
  const status = range ? 206 : 200;
  if (head || length <= 0) {
    res.writeHead(status, { 'Content-Length': Math.max(0, length) }).end();
    return;
  }
  const cut = truncation(faults, counters, length);
  const full = path.join(repo.dir, file.path);
  const link = throttled(faults, counters);
  if (cut === 'short') {
    // A proxy that lies: fewer bytes, and a Content-Length that matches them.
    const half = Math.floor(length / 2);
    res.writeHead(status, { 'Content-Length': half });
    send(createReadStream(full, { start, end: start + half - 1 }), link, res);
    return;
  }
  res.writeHead(status, { 'Content-Length': length });
  if (cut === 'cut') {
    // A dropped connection: half the promised bytes, then the socket closes (not paced).
    const half = Math.floor(length / 2);
    const stream = createReadStream(full, { start, end: start + half - 1 });
    stream.on('data', (chunk) => res.write(chunk));
    stream.on('end', () => res.destroy());
    return;
  }
  send(createReadStream(full, { start, end, highWaterMark: READ_CHUNK }), link, res);
}

const ignore = (): void => undefined;

/** Bytes per file read (Node's default is 64 KB): fewer reads and socket writes a body. */
const READ_CHUNK = 1 << 20;

/**
 * A body to the response, through the link when bandwidth is limited. `pipeline`, so that a
 * reader that goes away closes the file too (a late timer of the link then finds the stream
 * destroyed, which is harmless).
 */
function send(body: Readable, link: Transform | undefined, res: ServerResponse): void {
  if (link) pipeline(body, link, res, ignore);
  else pipeline(body, res, ignore);
}
