/**
 * What the user can fix: the two models do not fit together (a tensor's shape differs, the
 * base lacks one), an option names nothing (an unknown --save-module, patterns that select no
 * module), a pattern does not compile. An ArchitectureError, so that the CLI reports it as a
 * problem with its input (exit 2), as it does a recipe's models that do not fit.
 */
import { ArchitectureError } from '../plan/architecture.ts';

export class LoraExtractError extends ArchitectureError {
  override readonly name: string = 'LoraExtractError';
}
