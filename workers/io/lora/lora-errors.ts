import { SourceError } from '../source.ts';

/**
 * A LoRA adapter that cannot be merged as PEFT would merge it: what is refused and why. A
 * SourceError, so callers that treat bad input as the user's (the CLI's exit code 2) need
 * nothing new.
 */
export class LoraAdapterError extends SourceError {
  override readonly name: string = 'LoraAdapterError';
}
