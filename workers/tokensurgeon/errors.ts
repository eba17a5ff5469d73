/**
 * What the user can fix in a tokensurgeon run: a model without a readable tokenizer.json or
 * without an embedding tensor, an option we do not implement, a -k larger than the shared
 * vocabulary. An ArchitectureError, so that the CLI reports it as a problem with its input
 * (exit 2), as workers/lora-extract/errors.ts does.
 */
import { ArchitectureError } from '../plan/architecture.ts';

export class TokenSurgeonError extends ArchitectureError {
  override readonly name: string = 'TokenSurgeonError';
}
