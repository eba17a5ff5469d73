/** The tokensurgeon progress tracker's throttle and estimate, on a clock the test moves. */
import { describe, expect, it } from 'vitest';
import { surgeryTracker, type SurgeryProgress } from './surgery-progress.ts';

describe('surgeryTracker', () => {
  it('throttles token reports but never a phase change or a matrix’s last token, and estimates the time left', () => {
    let t = 1000;
    const events: SurgeryProgress[] = [];
    const tracker = surgeryTracker(
      (p) => events.push(p),
      100,
      () => t,
    );
    const tokens = tracker.approximating('embed', 1, 2);
    t += 10;
    tokens(0, 40); // the total, first known: reported
    t += 50;
    tokens(10, 40); // 50 ms after the last: throttled
    t += 50;
    tokens(20, 40); // 100 ms: reported, 110 ms for 20 tokens, 20 left
    t += 10;
    tokens(40, 40); // the last: reported
    const write = tracker.writing(3);
    write();
    write();
    t += 200;
    write(); // the last tensor
    tracker.done();
    expect(events.map((e) => [e.phase, e.tokensDone, e.tokensTotal, e.tensorsDone])).toEqual([
      ['loading', 0, 0, 0],
      ['approximating', 0, 0, 0],
      ['approximating', 0, 40, 0],
      ['approximating', 20, 40, 0],
      ['approximating', 40, 40, 0],
      ['writing', 0, 0, 0],
      ['writing', 0, 0, 3],
      ['done', 0, 0, 3],
    ]);
    expect(events[3]!.etaMs).toBeCloseTo(110);
    expect(events[4]!.etaMs).toBeUndefined();
    expect(events[5]!.matrix).toBeUndefined();
    expect(events.at(-1)!.elapsedMs).toBe(320);
  });
});
