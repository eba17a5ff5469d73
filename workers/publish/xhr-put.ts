/**
 * Upload progress for the library's PUTs and POSTs. fetch cannot report how much of a request
 * body has gone out, and a multi-gigabyte shard would otherwise sit at 0% for minutes; where
 * XMLHttpRequest exists (pages and workers) a request the library marks with a `progressHint`
 * goes through it instead, and its upload events become the file's progress. Parts of a
 * multipart upload report into one figure per file. In Node (no XHR) progress moves part by part.
 */

interface ProgressHint {
  readonly progressCallback: (progress: number) => void;
  readonly part?: number;
  readonly numParts?: number;
}

/** Parts' fractions per file, keyed by the file's callback (the library reuses it for every part). */
const partsOf = new WeakMap<(p: number) => void, Map<number, number>>();

function report(hint: ProgressHint, fraction: number): void {
  if (hint.part === undefined || hint.numParts === undefined) {
    // 1 is said by the library once the answer is in; an upload fully sent is not yet stored.
    hint.progressCallback(Math.min(fraction, 0.9999));
    return;
  }
  let parts = partsOf.get(hint.progressCallback);
  if (!parts) partsOf.set(hint.progressCallback, (parts = new Map()));
  parts.set(hint.part, fraction);
  const sum = [...parts.values()].reduce((a, b) => a + b, 0);
  hint.progressCallback(Math.min(sum / hint.numParts, 0.9999));
}

export function progressHintOf(init: RequestInit | undefined): ProgressHint | undefined {
  const hint = (init as { progressHint?: unknown } | undefined)?.progressHint;
  return hint && typeof (hint as ProgressHint).progressCallback === 'function'
    ? (hint as ProgressHint)
    : undefined;
}

export function canUseXhr(init: RequestInit | undefined): boolean {
  return (
    typeof XMLHttpRequest !== 'undefined' &&
    (init?.method === 'PUT' || init?.method === 'POST') &&
    (init.body instanceof Blob || init.body instanceof ArrayBuffer || typeof init.body === 'string')
  );
}

/** The request through XMLHttpRequest, answered as a fetch Response. */
export function xhrRequest(
  url: string,
  init: RequestInit,
  headers: Headers,
  hint: ProgressHint,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const signal = init.signal;
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => xhr.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    xhr.open(init.method ?? 'PUT', url);
    xhr.responseType = 'arraybuffer';
    headers.forEach((value, name) => xhr.setRequestHeader(name, value));
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable && e.total > 0) report(hint, e.loaded / e.total);
    });
    xhr.addEventListener('load', () => {
      signal?.removeEventListener('abort', onAbort);
      const out = new Headers();
      for (const line of xhr
        .getAllResponseHeaders()
        .trim()
        .split(/[\r\n]+/)) {
        const at = line.indexOf(':');
        if (at > 0) out.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
      }
      const body = xhr.status === 204 || xhr.status === 304 ? null : (xhr.response as ArrayBuffer);
      const resp = new Response(body, { status: xhr.status, statusText: xhr.statusText, headers: out });
      Object.defineProperty(resp, 'url', { value: xhr.responseURL || url });
      resolve(resp);
    });
    // As fetch does: a network failure is a TypeError (retried), a cancel the signal's reason.
    xhr.addEventListener('error', () =>
      reject(new TypeError(`network error sending ${new URL(url).pathname}`)),
    );
    xhr.addEventListener('abort', () => reject(signal?.reason ?? new DOMException('Aborted', 'AbortError')));
    xhr.send(init.body as XMLHttpRequestBodyInit);
  });
}
