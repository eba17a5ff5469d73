/**
 * The publisher's HTTP side that is ours rather than the library's: the fetch it is given (the
 * token goes to the hub's own origin only: LFS upload URLs point at storage elsewhere, which
 * must never see it), whether the repo exists, creating it, and what a refusal means.
 */
import { HubApiError } from '@huggingface/hub';
import { backoffMs, parseRetryAfter, type RetryPolicy } from '../io/hub/retry.ts';
import { PublishError } from './folder-files.ts';
import { canUseXhr, progressHintOf, xhrRequest } from './xhr-put.ts';

export interface PublishContext {
  readonly hubUrl: string;
  readonly repo: string;
  readonly token: string | undefined;
  readonly fetch: typeof fetch;
  readonly signal: AbortSignal | undefined;
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * `base`, adding the token to requests for the hub's origin that carry no Authorization; uploads
 * with a progress hint go through XMLHttpRequest where there is one (xhr-put.ts).
 */
export function publishFetch(
  base: typeof fetch,
  hubUrl: string,
  token: string | undefined,
  retry?: RequestRetry,
): typeof fetch {
  const hubOrigin = originOf(hubUrl);
  if (hubOrigin === undefined) throw new PublishError(`'${hubUrl}' is not a hub URL (http://… or https://…)`);
  const once = (url: string, init: RequestInit | undefined, headers: Headers): Promise<Response> => {
    const hint = progressHintOf(init);
    if (hint && init && canUseXhr(init)) return xhrRequest(url, init, headers, hint);
    return base(url, { ...init, headers });
  };
  return ((input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    if (token && originOf(url) === hubOrigin && !headers.has('Authorization'))
      headers.set('Authorization', `Bearer ${token}`);
    return retry
      ? withRequestRetries(() => once(url, init, headers), url, init, retry)
      : once(url, init, headers);
  }) as typeof fetch;
}

/** Retrying single requests: a failed part of a big upload is sent again, not the whole file. */
export interface RequestRetry {
  readonly policy: RetryPolicy;
  readonly signal?: AbortSignal | undefined;
  readonly onRetry?: (line: string) => void;
}

/**
 * Sends again after a network error or a 429/5xx answer, with the readers' backoff (and the
 * server's Retry-After). Every request of a commit may be repeated: preupload, the LFS batch and
 * the uploads are idempotent (an object is named by its hash), and a commit repeated after a
 * lost answer commits the same files again. A body is a Blob, string or buffer: it can be sent
 * again. The last answer, or the last network error, goes back to the library.
 */
async function withRequestRetries(
  send: () => Promise<Response>,
  url: string,
  init: RequestInit | undefined,
  retry: RequestRetry,
): Promise<Response> {
  const what = `${init?.method ?? 'GET'} ${new URL(url).pathname}`;
  for (let attempt = 1; ; attempt++) {
    let resp: Response | undefined;
    let reason: string;
    try {
      resp = await send();
      if (resp.status !== 429 && resp.status < 500) return resp;
      reason = `HTTP ${resp.status}`;
    } catch (e) {
      if (retry.signal?.aborted || !(e instanceof TypeError)) throw e;
      if (attempt >= retry.policy.attempts) throw e;
      reason = e.message;
    }
    if (resp && attempt >= retry.policy.attempts) return resp;
    const asked = resp ? parseRetryAfter(resp.headers.get('Retry-After')) : undefined;
    await resp?.body?.cancel().catch(() => undefined);
    const delayMs = Math.max(
      backoffMs(attempt, retry.policy),
      asked === undefined ? 0 : Math.min(asked, retry.policy.maxRetryAfterMs),
    );
    retry.onRetry?.(
      `publish: ${reason} on ${what}; trying again in ${(delayMs / 1000).toFixed(1)} s (${attempt}/${retry.policy.attempts})`,
    );
    await retry.policy.sleep(delayMs, retry.signal);
  }
}

async function apiError(resp: Response): Promise<HubApiError> {
  const e = new HubApiError(resp.url, resp.status, resp.headers.get('X-Request-Id') ?? undefined);
  let text = '';
  try {
    text = await resp.text();
    const json = JSON.parse(text) as { error?: unknown };
    e.message = typeof json.error === 'string' ? json.error : text;
  } catch {
    e.message = text || `HTTP ${resp.status}`;
  }
  return e;
}

/** true for a 2xx answer, false for `no` (its body dropped either way), else the hub's error. */
async function yesOrNo(resp: Response, no: number): Promise<boolean> {
  if (!resp.ok && resp.status !== no) throw await apiError(resp);
  await resp.body?.cancel();
  return resp.ok;
}

/** Whether the repo is there (a private one needs the token to be seen). */
export async function repoExists(ctx: PublishContext): Promise<boolean> {
  const resp = await ctx.fetch(`${ctx.hubUrl}/api/models/${ctx.repo}`, {
    ...(ctx.signal && { signal: ctx.signal }),
  });
  return yesOrNo(resp, 404);
}

/** Creates the model repo; false when it appeared meanwhile (409: someone else made it). */
export async function createModelRepo(ctx: PublishContext, isPrivate: boolean): Promise<boolean> {
  const [organization, name] = ctx.repo.split('/');
  const resp = await ctx.fetch(`${ctx.hubUrl}/api/repos/create`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, organization, type: 'model', visibility: isPrivate ? 'private' : 'public' }),
    ...(ctx.signal && { signal: ctx.signal }),
  });
  return yesOrNo(resp, 409);
}

/** A refusal from the hub, said as what to do. */
export function describeHubRefusal(e: unknown, ctx: PublishContext): Error {
  if (!(e instanceof HubApiError)) return e instanceof Error ? e : new Error(String(e));
  const said = e.message.replace(/\.? URL: .*$/s, '');
  const where = `${ctx.hubUrl}`;
  switch (e.statusCode) {
    case 401:
      return new PublishError(
        ctx.token === undefined
          ? `${where} needs a token to publish: give a Hugging Face token with write access`
          : `${where} refused the token (401: ${said}): check it, or make a new one with write access`,
      );
    case 403:
      return new PublishError(
        `${where} does not let this token write to ${ctx.repo} (403: ${said}): ` +
          'use a token with write access to that namespace, or publish under your own name',
      );
    case 404:
      return new PublishError(`${where} has no repo ${ctx.repo} and did not create it (404: ${said})`);
    default:
      return new PublishError(`${where} refused the upload of ${ctx.repo} (HTTP ${e.statusCode}: ${said})`);
  }
}
