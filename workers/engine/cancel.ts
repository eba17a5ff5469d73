/**
 * A cancelled merge: the error every level of the engine stops with once the job's AbortSignal
 * fires (between tensors, and inside a tensor at the kernel's next chunk).
 */
export class MergeCancelled extends Error {
  override readonly name: string = 'MergeCancelled';
  constructor() {
    super('the merge was cancelled; no complete model was written');
  }
}

export function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new MergeCancelled();
}
