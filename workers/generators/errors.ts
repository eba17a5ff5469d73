/** A bad option or configuration given to one of mergekit's older scripts (exit 2 in the CLI). */
export class GeneratorError extends Error {
  override readonly name: string = 'GeneratorError';
}
