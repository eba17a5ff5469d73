/**
 * Fault injection for tests of the Hub reader: the local hub can fail every Nth request, cut
 * short every Nth file body, delay every answer, limit the bandwidth of file bodies, and
 * require a token for some repos (a gated repo). Counting is deterministic (no randomness),
 * so a test failing on a given request fails the same way every run. Preflights (OPTIONS) are
 * never counted or failed: a browser does not retry them the way a reader retries a request.
 */
import { Transform } from 'node:stream';

export interface FaultOptions {
  /** Answer every Nth request (1-based: N, 2N, ...) with `failStatus` instead of serving it. */
  readonly failEvery?: number;
  /** Status of the injected failures (default 503). 429 comes with `Retry-After`. */
  readonly failStatus?: number;
  /** Seconds sent in `Retry-After` with injected 429 and 503 answers (default 0). */
  readonly retryAfterSeconds?: number;
  /** Cut short the body of every Nth file download (GET on resolve/raw that has a body of >= 2 bytes). */
  readonly truncateEvery?: number;
  /**
   * How a body is cut: 'short' sends half the bytes with a matching Content-Length (a proxy that
   * lies), 'cut' announces every byte and closes the connection halfway (a dropped network).
   */
  readonly truncateMode?: 'short' | 'cut';
  /** Milliseconds to wait before answering each request. */
  readonly delayMs?: number;
  /**
   * Send file bodies at most this many bytes a second, all bodies together: a network link's
   * bandwidth, for measuring how a merge overlaps with reading when the network is the limit.
   */
  readonly bytesPerSecond?: number;
  /** Repos that need a token: repo id -> the token that opens it (a gated or private repo). */
  readonly tokens?: Readonly<Record<string, string>>;
}

export interface FaultCounters {
  requests: number;
  downloads: number;
  failed: number;
  truncated: number;
  /** When the simulated link is free again (performance.now() ms), with `bytesPerSecond`. */
  linkFreeAt: number;
}

export function newCounters(): FaultCounters {
  return { requests: 0, downloads: 0, failed: 0, truncated: 0, linkFreeAt: 0 };
}

/** How far a late timer may leave the link behind schedule and still catch up (ms). */
const LINK_SLACK_MS = 5;

/**
 * Paces a body to the link's bandwidth (`bytesPerSecond`): each chunk waits for its turn on a
 * link that every body of this server shares, in the order the chunks come. A chunk whose
 * timer fired late does not make the link idle: up to LINK_SLACK_MS of lateness is made up,
 * so the rate holds (without it, 500 MB/s came out as 458 MB/s in bench:browser).
 */
export function throttled(opts: FaultOptions, c: FaultCounters): Transform | undefined {
  const rate = opts.bytesPerSecond;
  if (!rate) return undefined;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const now = performance.now();
      const start = Math.max(now - LINK_SLACK_MS, c.linkFreeAt);
      c.linkFreeAt = start + (chunk.byteLength / rate) * 1000;
      const wait = c.linkFreeAt - now;
      if (wait < 1) return done(null, chunk);
      setTimeout(() => done(null, chunk), wait);
    },
  });
}

/** Counts a request; true when it is to be answered with an injected failure. */
export function shouldFail(opts: FaultOptions, c: FaultCounters): boolean {
  c.requests++;
  if (opts.failEvery && c.requests % opts.failEvery === 0) {
    c.failed++;
    return true;
  }
  return false;
}

/** Counts a file download; the mode to cut its body with, or undefined to send it whole. */
export function truncation(
  opts: FaultOptions,
  c: FaultCounters,
  bodyLength: number,
): 'short' | 'cut' | undefined {
  if (bodyLength < 2) return undefined;
  c.downloads++;
  if (opts.truncateEvery && c.downloads % opts.truncateEvery === 0) {
    c.truncated++;
    return opts.truncateMode ?? 'short';
  }
  return undefined;
}

export type TokenCheck = 'ok' | 'missing' | 'wrong';

/** Whether a request may read `repo` with its Authorization header. */
export function checkToken(opts: FaultOptions, repo: string, authorization: string | undefined): TokenCheck {
  const need = opts.tokens?.[repo];
  if (need === undefined) return 'ok';
  if (!authorization) return 'missing';
  return authorization === `Bearer ${need}` ? 'ok' : 'wrong';
}

export function isGated(opts: FaultOptions, repo: string): boolean {
  return opts.tokens?.[repo] !== undefined;
}
