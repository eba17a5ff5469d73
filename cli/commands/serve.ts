/** `serve`: not built yet. */
import { UsageError } from '../args.ts';

export function serveCommand(_argv: string[]): Promise<void> {
  return Promise.reject(new UsageError('the serve command is not available yet'));
}
