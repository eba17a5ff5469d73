/** `eval`: not built yet. */
import { UsageError } from '../args.ts';

export function evalCommand(_argv: string[]): Promise<void> {
  return Promise.reject(new UsageError('the eval command is not available yet'));
}
