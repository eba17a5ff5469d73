/**
 * The evaluation's named errors. An unsupported model is an ArchitectureError, so callers
 * that already treat those as the user's input (the CLI's exit code 2) need nothing new.
 */
import { ArchitectureError } from '../plan/architecture.ts';

/** The model is not a decoder this forward pass implements, or its files disagree with it. */
export class UnsupportedModelError extends ArchitectureError {
  override readonly name: string = 'UnsupportedModelError';
}

/** Text, token ids or options that cannot be evaluated (too short, ids outside the vocabulary). */
export class EvalInputError extends Error {
  override readonly name: string = 'EvalInputError';
}

/** The models are too big to merge and evaluate in memory. */
export class InMemoryLimitError extends Error {
  override readonly name: string = 'InMemoryLimitError';
}

export class EvalCancelled extends Error {
  override readonly name: string = 'EvalCancelled';
  constructor() {
    super('the evaluation was cancelled');
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new EvalCancelled();
}
