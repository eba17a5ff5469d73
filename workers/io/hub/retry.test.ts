import { describe, expect, it } from 'vitest';
import { HubAccessError, HubReadError, HubTransientError, MERGE_READ_ADVICE } from './errors.ts';
import {
  backoffMs,
  DEFAULT_RETRY,
  isRetryable,
  parseRetryAfter,
  withRetries,
  type RetryPolicy,
} from './retry.ts';

const failWith503 = () => Promise.reject(new HubTransientError('HTTP 503'));

function policy(random: number, slept: number[]): RetryPolicy {
  return {
    ...DEFAULT_RETRY,
    attempts: 4,
    baseMs: 100,
    maxMs: 300,
    random: () => random,
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
  };
}

describe('retry', () => {
  it('backs off exponentially with half the step random, up to the cap', () => {
    const lo = policy(0, []);
    const hi = policy(0.999999, []);
    expect([1, 2, 3, 4].map((r) => backoffMs(r, lo))).toEqual([50, 100, 150, 150]);
    expect([1, 2, 3].map((r) => Math.round(backoffMs(r, hi)))).toEqual([100, 200, 300]);
  });

  it('reads Retry-After as seconds or as a date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('retries transient failures, waiting at least what Retry-After asks, and reports each retry', async () => {
    const slept: number[] = [];
    const events: string[] = [];
    let n = 0;
    const out = await withRetries(
      'm/f bytes 0-9',
      policy(0, slept),
      () => {
        n++;
        if (n === 1) throw new HubTransientError('HTTP 429', 2000);
        if (n === 2) throw new TypeError('fetch failed');
        return Promise.resolve('bytes');
      },
      { onRetry: (e) => events.push(`${e.attempt}/${e.of} ${e.reason} ${e.delayMs}`) },
    );
    expect(out).toBe('bytes');
    expect(slept).toEqual([2000, 100]);
    expect(events).toEqual(['1/4 HTTP 429 2000', '2/4 fetch failed 100']);
  });

  it('gives up after the last try with the model, file and range in the message', async () => {
    const slept: number[] = [];
    const err = await withRetries('org/m/model.safetensors bytes 0-99', policy(0, slept), () =>
      Promise.reject(new HubTransientError('HTTP 503')),
    ).catch((e) => e);
    expect(err).toBeInstanceOf(HubReadError);
    expect(err.message).toMatch(/^org\/m\/model.safetensors bytes 0-99: failed after 4 tries \(HTTP 503\)/);
    expect(slept).toHaveLength(3);
  });

  it('advises trying again, and speaks of shards only where a merge gave that advice', async () => {
    const plain = await withRetries('search', policy(0, []), failWith503).catch((e: Error) => e);
    expect(plain.message).toMatch(/\(HTTP 503\); check the network or the hub, then try again$/);
    expect(plain.message).not.toMatch(/shards|job/);
    const merge = await withRetries('org/m/x', policy(0, []), failWith503, {
      advice: MERGE_READ_ADVICE,
    }).catch((e: Error) => e);
    expect(merge.message).toMatch(/then run the merge again \(finished shards are kept\)$/);
  });

  it('does not retry what retrying cannot fix', async () => {
    let n = 0;
    const gated = new HubAccessError('org/m', 'https://hub.example', 401, false);
    await expect(
      withRetries('x', policy(0, []), () => {
        n++;
        return Promise.reject(gated);
      }),
    ).rejects.toBe(gated);
    expect(n).toBe(1);
    expect(isRetryable(new Error('bad json'))).toBe(false);
    expect(isRetryable({ statusCode: 503 })).toBe(true);
    expect(isRetryable({ statusCode: 404 })).toBe(false);
  });

  it('stops waiting when the job is cancelled', async () => {
    const ac = new AbortController();
    const p = withRetries(
      'x',
      { ...DEFAULT_RETRY, baseMs: 60_000, maxMs: 60_000 },
      () => Promise.reject(new HubTransientError('HTTP 503')),
      { signal: ac.signal },
    );
    setTimeout(() => ac.abort(new Error('cancelled')), 10);
    await expect(p).rejects.toThrow('cancelled');
  });
});
