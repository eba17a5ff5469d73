/** Which failures are the user's input (exit 2) and which are ours or the environment's (exit 1). */
import { EvalInputError, InMemoryLimitError } from '../workers/eval/errors.ts';
import { FillMissingError } from '../workers/fill-missing/errors.ts';
import { GeneratorError } from '../workers/generators/errors.ts';
import { SafetensorsFormatError } from '../workers/io/safetensors/errors.ts';
import { SourceError } from '../workers/io/source.ts';
import { ArchitectureError } from '../workers/plan/architecture.ts';
import { PublishError } from '../workers/publish/folder-files.ts';
import { RecipeError } from '../workers/plan/problems.ts';
import { UsageError } from './args.ts';

export function exitCodeOf(e: unknown): number {
  return e instanceof RecipeError ||
    e instanceof EvalInputError ||
    e instanceof InMemoryLimitError ||
    e instanceof SafetensorsFormatError ||
    e instanceof SourceError ||
    e instanceof ArchitectureError ||
    e instanceof UsageError ||
    e instanceof PublishError ||
    e instanceof GeneratorError ||
    e instanceof FillMissingError
    ? 2
    : 1;
}
