/**
 * Response helpers shared by the local hub's routes: CORS (the studio runs on another origin
 * and must read Content-Range, ETag and the Hub's X- headers, which browsers hide unless
 * exposed), JSON answers, and errors in the Hub's shape (`{"error": ...}` plus X-Error-Code,
 * which @huggingface/hub reads to tell a missing file from a failure).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Headers a cross-origin reader needs to see; @huggingface/hub reads all of them. */
export const EXPOSED_HEADERS = [
  'Content-Range',
  'Content-Length',
  'Accept-Ranges',
  'ETag',
  'X-Linked-ETag',
  'X-Linked-Size',
  'X-Error-Code',
  'X-Error-Message',
  'X-Repo-Commit',
  'Link',
  'Retry-After',
];

/**
 * CORS headers of an answer. `allowOrigin` is the request's Origin when that page may read the
 * answer (origins.ts), else undefined: no Access-Control-Allow-Origin, so a browser hides it.
 */
export function setCors(res: ServerResponse, allowOrigin: string | undefined): void {
  // The headers depend on the Origin: a cache must not hand one page's answer to another.
  res.setHeader('Vary', 'Origin');
  // A cross-origin isolated studio (COEP require-corp) may also load these without CORS.
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  if (allowOrigin === undefined) return;
  res.setHeader('Access-Control-Allow-Origin', allowOrigin);
  res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS.join(', '));
}

/**
 * A preflight from an allowed page (others are refused before this): a Range of the form
 * `bytes=-N`, an Authorization header or a JSON POST makes a browser ask first, and so does
 * every PUT (a studio publishing uploads LFS objects with PUT, the part answers' ETag exposed
 * above). Private Network Access: a studio served from a public origin may read a hub on
 * 127.0.0.1 only if the preflight allows it.
 */
export function answerPreflight(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST, PUT, OPTIONS');
  res.setHeader(
    'Access-Control-Allow-Headers',
    req.headers['access-control-request-headers'] ?? 'Authorization, Range, Accept, Content-Type',
  );
  res.setHeader('Access-Control-Max-Age', '86400');
  if (req.headers['access-control-request-private-network'] === 'true') {
    res.setHeader('Access-Control-Allow-Private-Network', 'true');
  }
  res.writeHead(204).end();
}

export function sendJson(res: ServerResponse, status: number, body: unknown, head = false): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(head ? undefined : text);
}

/**
 * Text made fit for a header value: each run of characters outside printable ASCII (a decoded
 * path's `中`, a CR or LF) becomes its UTF-8 bytes percent-encoded. Node refuses such values
 * outright, which turned a 404 for a non-ASCII path into a 500 that clients retry.
 */
export function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]+/g, (run) =>
    Array.from(
      new TextEncoder().encode(run),
      (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    ).join(''),
  );
}

/**
 * An error as the Hub sends it: status, X-Error-Code, and a JSON body with `error` (the full
 * text; the X-Error-Message header has it made header-safe).
 */
export function sendError(
  res: ServerResponse,
  status: number,
  code: string | undefined,
  message: string,
  extra: Record<string, string> = {},
): void {
  if (code) res.setHeader('X-Error-Code', code);
  res.setHeader('X-Error-Message', headerSafe(message));
  for (const [k, v] of Object.entries(extra)) res.setHeader(k, v);
  sendJson(res, status, { error: message });
}

/**
 * A failure a route answers with its own status (400 for a malformed body, 413 for one too
 * large, ...), thrown from deep inside a handler; the server turns it into sendError's answer.
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/**
 * The whole body as text, refused (413) past `limit` bytes: a Content-Length over the limit is
 * refused before reading, and a body without one is cut off once it passes the limit.
 */
export async function readBody(req: IncomingMessage, limit = 1_000_000): Promise<string> {
  const tooLarge = () => new HttpError(413, `request body larger than ${limit} bytes`);
  if (Number(req.headers['content-length'] ?? 0) > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.byteLength;
    if (size > limit) throw tooLarge();
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The body parsed as a JSON object (400 when it is not JSON, or `null`, a number, a string...),
 * an empty body read as `{}`. Its fields are still unchecked input.
 */
export async function readJson(req: IncomingMessage, limit = 1_000_000): Promise<Record<string, unknown>> {
  const text = await readBody(req, limit);
  let value: unknown;
  try {
    value = JSON.parse(text || '{}');
  } catch {
    throw new HttpError(400, 'the request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null)
    throw new HttpError(400, 'the request body must be a JSON object');
  return value as Record<string, unknown>;
}

/** `list` as an array of objects (safe to read fields of), else 400 naming `what`. */
export function objectList(list: unknown, what: string): Record<string, unknown>[] {
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'object' && x !== null)) {
    throw new HttpError(400, `${what} must be a list of objects`);
  }
  return list as Record<string, unknown>[];
}
