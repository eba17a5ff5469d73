/**
 * Publishes a finished output folder as a model repo on the Hub (or the local hub): creates the
 * repo when it is missing, then one commit with every file, through @huggingface/hub's commit
 * protocol (preupload, LFS batch, uploads, commit). The library builds the requests; our fetch
 * (publish-fetch.ts) decides where the token goes.
 *
 * - One commit: the Hub shows either the whole model or nothing of it. A cancelled or failed
 *   publish leaves at most uploaded LFS objects, which the next try does not send again (the
 *   LFS batch answers "already have it"), so publishing again resumes.
 * - Network faults and 429/5xx answers retry the request (a part of a big file, not the file),
 *   with the readers' backoff; a commit that still fails is tried once more as a whole.
 * - Large files go as LFS (basic, or the Hub's multipart transfer for big ones), never through
 *   Xet (`useXet: false`): the LFS path is the one the local hub speaks and our tests run, and
 *   the Hub accepts it for every repo.
 * - Files are Blobs backed by the disk (a folder handle's File, Node's openAsBlob): hashing and
 *   uploading stream them, so memory does not grow with the model.
 */
import { commitIter, type CommitProgressEvent } from '@huggingface/hub';
import { parseRepoRef } from '../io/hub/repo-ref.ts';
import { abortableSleep, backoffMs, DEFAULT_RETRY, isRetryable, type RetryPolicy } from '../io/hub/retry.ts';
import { describe } from '../io/hub/errors.ts';
import { checkTokenTransport, redact } from '../io/hub/hub-client.ts';
import { PublishError, type PublishFile } from './folder-files.ts';
import { describeHubRefusal, publishFetch, repoExists, createModelRepo } from './publish-fetch.ts';

export interface PublishRequest {
  /** The hub's base URL, without a trailing slash. */
  readonly hubUrl: string;
  /** Sent only to the hub's origin; absent for a local hub that takes uploads without one. */
  readonly token?: string | undefined;
  /** `namespace/name`. */
  readonly repo: string;
  /** For a repo this call creates; an existing repo keeps its visibility. */
  readonly private?: boolean;
  /** The commit's title. */
  readonly message?: string;
}

export interface PublishProgress {
  readonly phase: 'preparing' | 'hashing' | 'uploading' | 'committing';
  readonly files: number;
  readonly bytes: number;
  /** Bytes hashed so far (LFS files are hashed before they are sent). */
  readonly hashedBytes: number;
  readonly uploadedBytes: number;
  /** The file the last event was about. */
  readonly current?: string;
  /** Tries so far (1, then 2 after a retry). */
  readonly attempt: number;
}

export interface PublishResult {
  readonly repo: string;
  /** The repo's page. */
  readonly url: string;
  /** The commit's page, when the hub said it. */
  readonly commitUrl?: string;
  /** Whether this call created the repo. */
  readonly created: boolean;
  readonly files: number;
  readonly bytes: number;
  readonly attempts: number;
}

export interface PublishOptions {
  readonly fetch?: typeof fetch;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: PublishProgress) => void;
  readonly onLog?: (line: string) => void;
  readonly retry?: RetryPolicy;
  /** At most one progress event this often (default 100 ms); the first and last always. */
  readonly progressIntervalMs?: number;
}

/** `namespace/name` or a PublishError saying how to write it. */
export function checkPublishRepo(repo: string): string {
  const bad = (): PublishError =>
    new PublishError(
      `'${repo}' is not a repo to publish to: write your-name/model-name (letters, digits, - _ . only)`,
    );
  if (repo.includes('@') || repo.split('/').length !== 2) throw bad();
  try {
    return parseRepoRef(repo).repo;
  } catch {
    throw bad();
  }
}

export async function publishModel(
  request: PublishRequest,
  files: readonly PublishFile[],
  opts: PublishOptions = {},
): Promise<PublishResult> {
  try {
    return await publishOnce(request, files, opts);
  } catch (e) {
    throw redact(e, request.token);
  }
}

async function publishOnce(
  request: PublishRequest,
  files: readonly PublishFile[],
  opts: PublishOptions,
): Promise<PublishResult> {
  checkTokenTransport(request.hubUrl, request.token);
  const repo = checkPublishRepo(request.repo);
  const hubUrl = request.hubUrl.replace(/\/+$/, '');
  const policy = opts.retry ?? DEFAULT_RETRY;
  const log = opts.onLog ?? (() => undefined);
  const fetchFn = publishFetch(opts.fetch ?? fetch, hubUrl, request.token, {
    policy,
    signal: opts.signal,
    onRetry: log,
  });
  const bytes = files.reduce((s, f) => s + f.blob.size, 0);
  const ctx = { hubUrl, repo, token: request.token, fetch: fetchFn, signal: opts.signal };
  let created = false;
  for (let attempt = 1; ; attempt++) {
    const progress = tracker(files, attempt, opts);
    try {
      progress.phase('preparing');
      if (!(await repoExists(ctx))) {
        created = await createModelRepo(ctx, request.private === true);
        if (created)
          log(`created the ${request.private === true ? 'private ' : ''}repo ${repo} on ${hubUrl}`);
      }
      const commitUrl = await commitAll(ctx, files, request.message, progress);
      progress.finish();
      return {
        repo,
        url: `${hubUrl}/${repo}`,
        ...(commitUrl !== undefined && { commitUrl }),
        created,
        files: files.length,
        bytes,
        attempts: attempt,
      };
    } catch (e) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? e;
      if (!isRetryable(e)) throw e instanceof PublishError ? e : describeHubRefusal(e, ctx);
      if (attempt >= WHOLE_TRIES)
        throw new Error(
          `publishing ${repo} to ${hubUrl} failed (last: ${describe(e)}): ` +
            'check the network and publish again; files already uploaded are not sent again',
          { cause: e },
        );
      const delayMs = backoffMs(attempt, policy);
      log(
        `publish: ${describe(e)}; publishing again in ${(delayMs / 1000).toFixed(1)} s (files sent are kept)`,
      );
      await abortableSleep(delayMs, opts.signal);
    }
  }
}

/**
 * Each request is retried on its own (publish-fetch.ts); a commit that fails anyway (a stream
 * cut short mid-way, a dead connection) is tried once more as a whole: what was uploaded is not
 * sent again.
 */
const WHOLE_TRIES = 2;

interface Progress {
  phase(p: PublishProgress['phase']): void;
  event(e: CommitProgressEvent): void;
  finish(): void;
}

const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

/** Per-file hashing and upload fractions summed into bytes, sent at most every interval. */
function tracker(files: readonly PublishFile[], attempt: number, opts: PublishOptions): Progress {
  const size = new Map(files.map((f) => [f.path, f.blob.size]));
  const hashed = new Map<string, number>();
  const uploaded = new Map<string, number>();
  const bytes = files.reduce((s, f) => s + f.blob.size, 0);
  const interval = opts.progressIntervalMs ?? 100;
  let phase: PublishProgress['phase'] = 'preparing';
  let current: string | undefined;
  let last = -Infinity;
  const send = (force: boolean): void => {
    const now = Date.now();
    if (!opts.onProgress || (!force && now - last < interval)) return;
    last = now;
    opts.onProgress({
      phase,
      files: files.length,
      bytes,
      hashedBytes: Math.round(sum(hashed)),
      uploadedBytes: Math.round(sum(uploaded)),
      ...(current !== undefined && { current }),
      attempt,
    });
  };
  return {
    phase(p) {
      phase = p;
      send(true);
    },
    event(e) {
      if (e.event === 'phase') {
        phase =
          e.phase === 'preuploading' ? 'preparing' : e.phase === 'committing' ? 'committing' : 'uploading';
        return send(true);
      }
      const n = (size.get(e.path) ?? 0) * e.progress;
      current = e.path;
      if (e.state === 'hashing') {
        phase = 'hashing';
        hashed.set(e.path, n);
      } else {
        phase = phase === 'committing' ? phase : 'uploading';
        uploaded.set(e.path, n);
      }
      send(e.progress === 1);
    },
    finish() {
      for (const [path, n] of size) uploaded.set(path, n);
      current = undefined;
      send(true);
    },
  };
}

async function commitAll(
  ctx: { hubUrl: string; repo: string; fetch: typeof fetch; signal: AbortSignal | undefined },
  files: readonly PublishFile[],
  message: string | undefined,
  progress: Progress,
): Promise<string | undefined> {
  const events = commitIter({
    repo: { type: 'model', name: ctx.repo },
    operations: files.map((f) => ({ operation: 'addOrUpdate' as const, path: f.path, content: f.blob })),
    hubUrl: ctx.hubUrl,
    fetch: ctx.fetch,
    useXet: false,
    title: message ?? 'Upload merged model (Merge Studio)',
    ...(ctx.signal && { abortSignal: ctx.signal }),
  });
  for (;;) {
    const next = await events.next();
    if (next.done) return next.value?.commit.url;
    progress.event(next.value);
  }
}
