/**
 * Bounded concurrency for Hub requests: at most `n` operations in flight per resolver, so a
 * job that opens many models or shards at once (headers are read in parallel) stays polite to
 * the Hub's rate limits and does not open dozens of connections from a browser tab.
 */

export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

export function createLimiter(n: number): Limiter {
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`concurrency must be a whole number >= 1, not ${n}`);
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = (): void => {
    active--;
    waiting.shift()?.();
  };
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      release();
    }
  };
}
