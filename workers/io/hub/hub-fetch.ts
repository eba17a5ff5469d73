/**
 * The fetch every @huggingface/hub call gets from us. The library builds the URLs and parses
 * the answers; this wrapper is where our policy lives, in one place:
 *
 * - The token is added here, and only to requests for the Hub's own origin. It is never given
 *   to the library, which would also send it to CDN URLs; fetch drops Authorization on
 *   cross-origin redirects, so it does not follow a redirect to the CDN either.
 * - Every request is counted (the job reports its request count).
 * - Statuses become named errors: 401/403 the gated/private message, 429/5xx retryable with
 *   Retry-After, 404 the missing repo or revision. A missing file (404 EntryNotFound) goes
 *   back to the library, which turns it into `null`.
 * - A range read must come back as exactly the range asked (206 + Content-Range) with the ETag
 *   the file had when it was opened; otherwise its bytes never leave this module.
 */
import {
  HubAccessError,
  HubFileChangedError,
  HubNotFoundError,
  HubProtocolError,
  HubTransientError,
} from './errors.ts';
import { parseRetryAfter } from './retry.ts';

export interface HubStats {
  /** HTTP requests sent, retries included. */
  requests: number;
  /** Tries that failed and were made again. */
  retries: number;
}

export interface HubFetchContext {
  readonly hubUrl: string;
  readonly token: string | undefined;
  readonly fetch: typeof fetch;
  readonly stats: HubStats;
  /** Appended to the gated/private message: how to give a token here. */
  readonly tokenHint?: string | undefined;
}

/** What one read expects of the answer to its request for `url`. */
export interface ExpectedRange {
  readonly url: string;
  /** Byte range [start, end) of a file of `size` bytes. */
  readonly start: number;
  readonly end: number;
  readonly size: number;
  /** The file's ETag when it was opened. */
  readonly etag: string | undefined;
}

export interface CallContext {
  /** The model as the recipe names it, for messages. */
  readonly model: string;
  /** What is being read, for messages: "tinymix-code/model.safetensors bytes 0-99". */
  readonly what: string;
  readonly signal?: AbortSignal | undefined;
  readonly expect?: ExpectedRange | undefined;
}

const urlOf = (input: RequestInfo | URL): string =>
  typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** `W/"abc"` and `"abc"` name the same version for our purpose (a proxy may weaken an ETag). */
export function normalizeEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

function combineSignals(
  a: AbortSignal | null | undefined,
  b: AbortSignal | undefined,
): AbortSignal | undefined {
  if (!a) return b;
  if (!b) return a;
  return AbortSignal.any([a, b]);
}

export function hubFetch(ctx: HubFetchContext, call: CallContext): typeof fetch {
  const hubOrigin = originOf(ctx.hubUrl);
  const wrapped = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = urlOf(input);
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    if (ctx.token && originOf(url) === hubOrigin && !headers.has('Authorization')) {
      headers.set('Authorization', `Bearer ${ctx.token}`);
    }
    const signal = combineSignals(init?.signal, call.signal);
    ctx.stats.requests++;
    const resp = await ctx.fetch(input instanceof Request ? input : url, {
      ...init,
      headers,
      ...(signal && { signal }),
    });
    await checkStatus(resp, ctx, call);
    const bad =
      call.expect && url === call.expect.url ? checkRange(resp, headers.get('Range'), call) : undefined;
    if (bad) {
      await resp.body?.cancel().catch(() => undefined);
      throw bad;
    }
    return resp;
  };
  return wrapped as typeof fetch;
}

async function checkStatus(resp: Response, ctx: HubFetchContext, call: CallContext): Promise<void> {
  const status = resp.status;
  if (resp.ok) return;
  const code = resp.headers.get('X-Error-Code');
  if (status === 404 && code === 'EntryNotFound') return; // the library answers null
  await resp.body?.cancel().catch(() => undefined);
  if (status === 401 || status === 403) {
    throw new HubAccessError(call.model, ctx.hubUrl, status, ctx.token !== undefined, ctx.tokenHint);
  }
  if (status === 429 || status >= 500) {
    throw new HubTransientError(`HTTP ${status}`, parseRetryAfter(resp.headers.get('Retry-After')));
  }
  if (status === 404) {
    throw new HubNotFoundError(
      code === 'RevisionNotFound'
        ? `${call.model}: that revision is not on ${ctx.hubUrl} (a branch, tag or commit that does not exist, ` +
            'or the repo changed while it was read: then run the job again)'
        : `${call.model} was not found on ${ctx.hubUrl}: check the repo id (org/name)`,
    );
  }
  throw new HubProtocolError(`${call.what}: the hub answered HTTP ${status}`);
}

/** Why the answer to a range read cannot be used, or undefined when it can. */
function checkRange(resp: Response, rangeHeader: string | null, call: CallContext): Error | undefined {
  const exp = call.expect!;
  const etag = resp.headers.get('X-Linked-ETag') ?? resp.headers.get('ETag');
  if (exp.etag && etag && normalizeEtag(etag) !== normalizeEtag(exp.etag)) {
    return new HubFileChangedError(call.what, exp.etag, etag);
  }
  const whole = exp.start === 0 && exp.end === exp.size;
  if (!rangeHeader || resp.status === 200) {
    return whole
      ? undefined
      : new HubProtocolError(`${call.what}: the hub ignored the Range header (HTTP ${resp.status})`);
  }
  const cr = resp.headers.get('Content-Range');
  // Browsers hide Content-Range unless the server exposes it; the length check still applies.
  if (cr === null) return undefined;
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(cr.trim());
  const ok =
    m !== null &&
    Number(m[1]) === exp.start &&
    Number(m[2]) === exp.end - 1 &&
    (m[3] === '*' || Number(m[3]) === exp.size);
  return ok
    ? undefined
    : new HubTransientError(`the hub sent ${cr}, not bytes ${exp.start}-${exp.end - 1}/${exp.size}`);
}
