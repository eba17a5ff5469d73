/**
 * Disk problems in the browser, turned into messages a user can act on. The engine keeps every
 * finished shard and the job state, so the same merge resumes after the problem is fixed.
 */

export class StorageError extends Error {
  override readonly name: string = 'StorageError';
  constructor(
    readonly kind: 'quota' | 'permission' | 'other',
    message: string,
  ) {
    super(message);
  }
}

export function storageError(e: unknown, what: string): unknown {
  const name = (e as { name?: string } | null)?.name;
  if (name === 'QuotaExceededError') {
    return new StorageError(
      'quota',
      `out of storage space while writing ${what}: free some disk space (or choose another folder) and run the merge again; finished shards are kept and will not be recomputed`,
    );
  }
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return new StorageError(
      'permission',
      `permission to write ${what} was withdrawn: choose the output folder again and run the merge again to resume`,
    );
  }
  if (name === 'NotFoundError') {
    return new StorageError(
      'other',
      `the output folder disappeared while writing ${what}: choose a folder and run the merge again`,
    );
  }
  return e;
}
