/**
 * The transitions the MoE build and the LoRA extraction share, on a run held in a local
 * variable (no store): the log keeps its last 200 lines, a failure drops the stale progress,
 * and a cancel ends as "cancelled", not "failed".
 */
import { describe, expect, it } from 'vitest';
import { appendLog, IDLE_RUN, jobRunTransitions, type JobRun } from './job-run.ts';

function harness() {
  let run: JobRun<number, string> = { ...IDLE_RUN, status: 'running' };
  const t = jobRunTransitions<number, string>((f) => {
    run = { ...run, ...f(run) };
  });
  return { t, run: () => run };
}

describe('job run transitions', () => {
  it('keeps the last 200 log lines', () => {
    let logs: string[] = [];
    for (let i = 0; i < 250; i++) logs = appendLog(logs, `line ${i}`);
    expect(logs).toHaveLength(200);
    expect(logs[0]).toBe('line 50');
    expect(logs.at(-1)).toBe('line 249');
  });

  it('progress, log and result, then done', () => {
    const { t, run } = harness();
    t.progress(0.5);
    t.log('a');
    t.finished('ok');
    expect(run()).toMatchObject({ status: 'done', progress: 0.5, logs: ['a'], result: 'ok' });
  });

  it('a failure drops the progress and keeps the log; a cancel says so', () => {
    const { t, run } = harness();
    t.progress(0.5);
    t.log('a');
    t.failed('disk full', false);
    expect(run()).toMatchObject({ status: 'failed', error: 'disk full', progress: undefined, logs: ['a'] });
    t.cancelling();
    expect(run().status).toBe('cancelling');
    t.failed('cancelled', true);
    expect(run().status).toBe('cancelled');
  });
});
