/**
 * Progress of an extraction: throttled for small modules, a big module's start always reported
 * (the SVD blocks the worker, so it is now or after the module), the estimate of the time left
 * weighted by each module's SVD cost.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { moduleWork, progressTracker, type ExtractProgress } from './extract-progress.ts';
import type { LoraModule } from './plan-extraction.ts';

const mod = (module: string, rows: number, cols: number): LoraModule => ({
  kind: 'lora',
  module,
  weight: `${module}.weight`,
  bias: undefined,
  rows,
  cols,
  embedding: false,
  dtype: 'BF16',
});

beforeEach(() => void vi.useFakeTimers({ now: 0 }));
afterEach(() => void vi.useRealTimers());

describe('progressTracker', () => {
  it('reports small modules at most every 100 ms, a big module’s start at once', () => {
    const small = [mod('a', 64, 64), mod('b', 64, 64)];
    const big = mod('head', 4096, 4096);
    const events: ExtractProgress[] = [];
    const t = progressTracker((p) => events.push(p), [...small, big], 128);
    t.phase('extracting');
    for (const m of small) {
      vi.advanceTimersByTime(10);
      t.started(m);
      vi.advanceTimersByTime(10);
      t.finished(m);
    }
    expect(events.map((e) => e.modulesDone)).toEqual([0]);
    vi.advanceTimersByTime(10);
    t.started(big);
    expect(events.at(-1)).toMatchObject({ phase: 'extracting', modulesDone: 2, modulesTotal: 3, currentModule: 'head' }); // prettier-ignore
    // Time left: the big module's cost against the small ones', at the rate they went.
    const rate = (2 * moduleWork(small[0]!, 128)) / 50;
    expect(events.at(-1)!.etaMs).toBeCloseTo(moduleWork(big, 128) / rate, 3);
    vi.advanceTimersByTime(5000);
    t.finished(big);
    t.phase('done');
    expect(events.at(-1)).toMatchObject({ phase: 'done', modulesDone: 3, elapsedMs: 5050 });
    expect(events.at(-1)!.currentModule).toBeUndefined();
  });

  it('weighs a module by rows x cols x min(short side, max(256, rank + 64))', () => {
    expect(moduleWork({ rows: 128, cols: 352 }, 8)).toBe(128 * 352 * 128);
    expect(moduleWork({ rows: 4096, cols: 4096 }, 128)).toBe(4096 * 4096 * 256);
    expect(moduleWork({ rows: 4096, cols: 11008 }, 512)).toBe(4096 * 11008 * 576);
  });
});
