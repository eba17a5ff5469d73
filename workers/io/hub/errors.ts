/**
 * What can go wrong reading the Hub, as named errors with messages a user can act on. The two
 * that are the user's input (a model that is gated, private or missing) extend SourceError, so
 * the CLI exits with 2 for them as for a missing local folder; their `code` tells them apart
 * (the UI shows a token field for 'hub-access'). Messages never contain the token: it is never
 * put in a URL, and nothing here prints headers.
 */
import { SourceError } from '../source.ts';

/** 401 / 403: the repo needs a token, or a token with access. */
export class HubAccessError extends SourceError {
  readonly code = 'hub-access';
  constructor(
    readonly model: string,
    hubUrl: string,
    readonly status: number,
    hadToken: boolean,
    /** How to give a token where the message is shown ("use --token or HF_TOKEN"). */
    tokenHint?: string,
  ) {
    super(
      `${model} on ${hubUrl}: this model is gated or private: accept its licence on its Hub page and give a token with read access` +
        (hadToken ? ' (the token given was refused: HTTP ' : ' (no token was given: HTTP ') +
        `${status}${tokenHint ? `; ${tokenHint}` : ''})`,
    );
  }
}

/** 404 on the repo or revision (a missing file is not an error: readFile returns undefined). */
export class HubNotFoundError extends SourceError {
  readonly code = 'hub-not-found';
}

/** What to do after a failed read where nothing says more (a search, a model's headers). */
export const READ_ADVICE = 'check the network or the hub, then try again';
/** The same for a merge, whose finished shards a new run keeps. */
export const MERGE_READ_ADVICE =
  'check the network or the hub, then run the merge again (finished shards are kept)';

/**
 * The last try failed: names the model, file and byte range, the last cause and what to do,
 * which depends on what was reading (READ_ADVICE, or MERGE_READ_ADVICE for a merge).
 */
export class HubReadError extends Error {
  override readonly name: string = 'HubReadError';
  constructor(
    readonly what: string,
    readonly attempts: number,
    cause: unknown,
    advice: string = READ_ADVICE,
  ) {
    super(
      `${what}: failed after ${attempts} ${attempts === 1 ? 'try' : 'tries'} (${describe(cause)}); ${advice}`,
      { cause },
    );
  }
}

/** The file's ETag changed while reading at a pinned commit: its bytes cannot be trusted. */
export class HubFileChangedError extends Error {
  override readonly name: string = 'HubFileChangedError';
  constructor(what: string, before: string, after: string) {
    super(
      `${what}: the file changed on the hub while it was read (ETag ${before} became ${after}); ` +
        'no bytes of it were used: run the job again',
    );
  }
}

/** An answer worth retrying: 429, 5xx, or a body shorter than asked. Internal to the reader. */
export class HubTransientError extends Error {
  override readonly name: string = 'HubTransientError';
  constructor(
    message: string,
    /** Milliseconds the server asked us to wait (Retry-After), if it did. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** A protocol answer that retrying will not fix (a server ignoring Range, a bad status). */
export class HubProtocolError extends Error {
  override readonly name: string = 'HubProtocolError';
}

export function describe(e: unknown): string {
  if (e instanceof Error) {
    // fetch's network errors hide the reason in `cause` (ECONNRESET, "other side closed").
    const inner = e.cause instanceof Error ? `: ${e.cause.message}` : '';
    return `${e.message}${inner}`;
  }
  return String(e);
}
