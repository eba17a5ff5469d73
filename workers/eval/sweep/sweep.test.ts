import { describe, expect, it } from 'vitest';
import { folderResolver } from '../../io/node/fs-source.ts';
import { loadRecipe } from '../../plan/recipe-yaml.ts';
import { EvalCancelled, InMemoryLimitError } from '../errors.ts';
import { meanLoss } from '../evaluate.ts';
import { evalText, MODEL_NAMES, REFERENCE_LOSSES, TINYMIX } from '../test-helpers.ts';
import { EvalSession } from './eval-session.ts';
import { applySweepPoint, linspace, type SweepAxis } from './sweep-points.ts';
import { runSweep, SWEEP_WINDOWS, type SweepProgress } from './sweep.ts';

const resolve = folderResolver(TINYMIX);
const { recipe } = loadRecipe(`merge_method: task_arithmetic
base_model: tinymix-base
models:
  - model: tinymix-code
    parameters: {weight: 0.5}
  - model: tinymix-math
    parameters: {weight: 0.5}
dtype: float32
`);
const texts = [
  { name: 'code', text: evalText('code') },
  { name: 'math', text: evalText('math') },
];
/** Code weight t and math weight 1 - t, t from 0 to 1 in 11 steps. */
const T: SweepAxis = {
  label: 't',
  values: linspace(0, 1, 11),
  targets: [
    { model: 'tinymix-code', param: 'weight' },
    { model: 'tinymix-math', param: 'weight', scale: -1, offset: 1 },
  ],
};

describe('runSweep', () => {
  it('finds a task-arithmetic point that beats every single model on the full code and math texts', async () => {
    const phases: SweepProgress['phase'][] = [];
    const r = await runSweep({ recipe, axes: [T], texts, resolve, onProgress: (p) => phases.push(p.phase) });
    expect(r.points).toHaveLength(11);
    expect(r.points.every((p) => p.scores.every((s) => s.windows === SWEEP_WINDOWS))).toBe(true);
    expect(phases[0]).toBe('loading');
    expect(phases.at(-1)).toBe('done');
    // The mix needs both: the interior beats both ends, and the best is near the middle.
    expect(r.best.values[0]).toBeGreaterThanOrEqual(0.4);
    expect(r.best.values[0]).toBeLessThanOrEqual(0.7);
    expect(r.best.mean).toBeLessThan(Math.min(r.points[0]!.mean, r.points[10]!.mean) - 0.1);
    expect(r.bestRecipe).toEqual(applySweepPoint(recipe, [T], r.best.values));
    // On the full texts the chosen point beats every tinymix model (best: code-b, 1.857).
    const full = await EvalSession.open(['tinymix-base', 'tinymix-code', 'tinymix-math'], resolve, texts);
    const mean = meanLoss(await full.evaluateRecipe(r.bestRecipe));
    const singles = MODEL_NAMES.map((m) => (REFERENCE_LOSSES[m].code + REFERENCE_LOSSES[m].math) / 2);
    expect(mean).toBeLessThan(Math.min(...singles) - 0.1);
  }, 180_000); // ~8 s of CPU; generous for a loaded 2-core machine

  it('runs a 2-D grid with baselines, first axis outermost', async () => {
    const scale: SweepAxis = { label: 'lambda', values: [0.5, 1], targets: [{ param: 'lambda' }] };
    const r = await runSweep({ recipe, axes: [{ ...T, values: [0, 1] }, scale], texts, resolve, windows: 1, baselines: true }); // prettier-ignore
    expect(r.points.map((p) => p.index)).toEqual([[0, 0], [0, 1], [1, 0], [1, 1]]); // prettier-ignore
    expect(r.baselines.map((b) => b.model)).toEqual(['tinymix-base', 'tinymix-code', 'tinymix-math']);
    // t = 1, lambda = 1 is exactly tinymix-code; t = 0, lambda = 1 is tinymix-math.
    expect(r.points[3]!.mean).toBeCloseTo(r.baselines[1]!.mean, 4);
    expect(r.points[1]!.mean).toBeCloseTo(r.baselines[2]!.mean, 4);
    expect(r.bestRecipe.parameters).toEqual({ lambda: r.best.values[1] });
  });

  it('refuses models too big for memory before reading any tensor', async () => {
    await expect(runSweep({ recipe, axes: [T], texts, resolve, maxBytes: 5e6 })).rejects.toThrow(
      InMemoryLimitError,
    );
    await expect(runSweep({ recipe, axes: [T], texts, resolve, maxBytes: 5e6 })).rejects.toThrow(
      /about 0\.0[0-9] GB \(3 models of 0\.00 GB in all.*over the limit of 0\.01 GB/,
    );
  });

  it('stops when cancelled', async () => {
    const ac = new AbortController();
    const run = runSweep({
      recipe,
      axes: [T],
      texts,
      resolve,
      windows: 1,
      signal: ac.signal,
      onPoint: () => ac.abort(),
    });
    await expect(run).rejects.toThrow(EvalCancelled);
  });
});
