import { describe, expect, it } from 'vitest';
import { drive, yieldToEventLoop } from './yield.ts';

/** Counts macrotask turns taken by a loop running beside the driven work. */
function ticker(): { readonly ticks: () => number; stop: () => void } {
  const state = { ticks: 0, running: true };
  void (async () => {
    while (state.running) {
      await yieldToEventLoop();
      state.ticks++;
    }
  })();
  return { ticks: () => state.ticks, stop: () => (state.running = false) };
}

function* steps(n: number, seen: number[], ticks: () => number): Generator<void> {
  for (let i = 0; i < n; i++) {
    seen.push(ticks());
    yield;
  }
}

describe('drive', () => {
  it('runs every step and lets other tasks run between them once the interval has passed', async () => {
    const t = ticker();
    const seen: number[] = [];
    let clock = 0;
    await drive(steps(20, seen, t.ticks), () => (clock += 100)); // every step takes "100 ms"
    t.stop();
    expect(seen).toHaveLength(20);
    expect(seen[19]).toBeGreaterThan(seen[0]!);
  });

  it('does not pause while the interval has not passed', async () => {
    const t = ticker();
    const seen: number[] = [];
    await drive(steps(20, seen, t.ticks), () => 0);
    t.stop();
    expect(seen).toHaveLength(20);
    expect(new Set(seen).size).toBe(1);
  });

  it('closes the generator when a pause throws (a cancel), so its finally blocks run', async () => {
    let released = false;
    function* holding(): Generator<void> {
      try {
        for (;;) yield;
      } finally {
        released = true;
      }
    }
    let pauses = 0;
    const cancelled = new Error('cancelled');
    const pause = (): undefined => {
      if (++pauses === 3) throw cancelled;
      return undefined;
    };
    await expect(drive(holding(), () => 0, pause)).rejects.toBe(cancelled);
    expect(released).toBe(true);
  });
});
