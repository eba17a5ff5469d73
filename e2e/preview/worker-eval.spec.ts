/**
 * The evaluation engine in real Chromium, through the preview worker and the studio's client,
 * with models read from a local hub: the forward pass against the reference logits, losses
 * against tinymix-losses.json, and the acceptance sweep (11 points of task_arithmetic on the
 * code and math texts) timed, with its best point against every single model.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { REPO, startTestHub } from '../support/hub.ts';
import type { PreviewHarness } from './harness/main.ts';
import { descendantsCpuSeconds } from './cpu-time.ts';
import { MODEL_NAMES, openHarness, REFERENCE_LOGITS, REFERENCE_LOSSES } from './fixtures.ts';

type W = { previewHarness: PreviewHarness };

test('the forward pass matches the reference logits of every tinymix model to 1e-3', async ({ page }) => {
  const hub = await startTestHub();
  try {
    await openHarness(page);
    const diffs: Record<string, number> = {};
    for (const name of MODEL_NAMES) {
      const ref = REFERENCE_LOGITS[name];
      const r = await page.evaluate(
        ({ url, model, ids }) =>
          (window as unknown as W).previewHarness.lastLogits({
            sources: { hub: { url } },
            model,
            inputIds: ids,
          }),
        { url: hub.url, model: `tinymix-${name}`, ids: ref.input_ids },
      );
      expect(r.kernel).toBe('wasm-simd');
      const diff = Math.max(...r.logits.map((x, i) => Math.abs(x - ref.last_logits[i]!)));
      diffs[name] = diff;
      expect(diff, `tinymix-${name}`).toBeLessThan(1e-3);
    }
    console.log(`largest logit difference per model: ${JSON.stringify(diffs)}`);
  } finally {
    await hub.close();
  }
});

test('losses on whole texts match tinymix-losses.json to 1e-3 (sharded BF16, F16)', async ({ page }) => {
  const hub = await startTestHub();
  try {
    await openHarness(page);
    const rows = await page.evaluate(async (url) => {
      const h = (window as unknown as W).previewHarness;
      const texts = await h.texts(['math', 'law']);
      const r = await h.evaluateModels(
        { sources: { hub: { url } }, models: ['tinymix-math', 'tinymix-law'], texts, windows: 'all' },
        () => undefined,
      );
      return r.rows;
    }, hub.url);
    const loss = (model: string, text: string) =>
      rows.find((r) => r.label === model)!.scores.find((s) => s.text === text)!;
    expect(Math.abs(loss('tinymix-math', 'math').loss - REFERENCE_LOSSES.math.math)).toBeLessThan(1e-3);
    expect(Math.abs(loss('tinymix-law', 'law').loss - REFERENCE_LOSSES.law.law)).toBeLessThan(1e-3);
    expect(Math.abs(loss('tinymix-law', 'math').loss - REFERENCE_LOSSES.law.math)).toBeLessThan(1e-3);
    expect(loss('tinymix-math', 'math').windows).toBe(139); // floor((17885 - 1) / 128)
    console.log(
      `loss - reference: math/math ${loss('tinymix-math', 'math').loss - REFERENCE_LOSSES.math.math}, ` +
        `law/law ${loss('tinymix-law', 'law').loss - REFERENCE_LOSSES.law.law}, ` +
        `law/math ${loss('tinymix-law', 'math').loss - REFERENCE_LOSSES.law.math}`,
    );
  } finally {
    await hub.close();
  }
});

const RECIPE = `merge_method: task_arithmetic
base_model: tinymix-base
models:
  - model: tinymix-code
    parameters: {weight: 0.5}
  - model: tinymix-math
    parameters: {weight: 0.5}
dtype: float32
`;

test('the 11-point weight sweep runs in under 10 s and its best point beats every model', async ({
  page,
}) => {
  test.skip(test.info().project.name !== 'cpu-fallback', 'timed on the CPU project only');
  const hub = await startTestHub();
  try {
    await openHarness(page);
    const load = os.loadavg()[0]!;
    const cpu0 = await descendantsCpuSeconds();
    const r = await page.evaluate(
      async ({ url, recipeText }) => {
        const h = (window as unknown as W).previewHarness;
        const texts = await h.texts(['code', 'math']);
        const axes = [
          {
            label: 't',
            values: Array.from({ length: 11 }, (_, i) => i / 10),
            targets: [
              { model: 'tinymix-code', param: 'weight' },
              { model: 'tinymix-math', param: 'weight', scale: -1, offset: 1 },
            ],
          },
        ] as const;
        // Timed from the call to the result: a fresh worker, models from the hub, 11 merges and evaluations.
        const t0 = performance.now();
        const sweep = await h.runSweep(
          { sources: { hub: { url } }, recipeText, axes, texts, baselines: false },
          { onProgress: () => undefined, onPoint: () => undefined },
        );
        return { ms: performance.now() - t0, sweep };
      },
      { url: hub.url, recipeText: RECIPE },
    );
    const cpu1 = await descendantsCpuSeconds();
    const loadAfter = os.loadavg()[0]!;
    const check = await page.evaluate(
      async ({ url, best }) => {
        const h = (window as unknown as W).previewHarness;
        const texts = await h.texts(['code', 'math']);
        const sources = { hub: { url } };
        // every tinymix model on the sweep's windows (24 spread over each text)
        const models = ['base', 'code', 'math', 'law', 'code-b', 'code-c'].map((m) => `tinymix-${m}`);
        const singles = await h.evaluateModels({ sources, models, texts }, () => undefined);
        // the best point on the whole texts
        const full = await h.evaluateModels(
          { sources, models: [], texts, windows: 'all', recipeText: h.recipeToYaml(best) },
          () => undefined,
        );
        return { singles: singles.rows, full: full.rows[0]! };
      },
      { url: hub.url, best: r.sweep.bestRecipe },
    );
    const figures = {
      sweepMs: Math.round(r.ms),
      browserCpuSeconds: cpu0 !== undefined && cpu1 !== undefined ? +(cpu1 - cpu0).toFixed(2) : null,
      points: r.sweep.points.length,
      best: r.sweep.best.values[0],
      bestMean: r.sweep.best.mean,
      points24: r.sweep.points.map((p) => [p.values[0], +p.mean.toFixed(4)]),
      singles: Object.fromEntries(check.singles.map((s) => [s.label, +s.mean.toFixed(4)])),
      bestFull: check.full.scores.map((s) => ({
        text: s.text,
        loss: +s.loss.toFixed(4),
        windows: s.windows,
      })),
      loadAverage1m: [load, loadAfter],
      cores: os.cpus().length,
    };
    await mkdir(path.join(REPO, 'test-results/preview'), { recursive: true });
    await writeFile(
      path.join(REPO, 'test-results/preview/sweep-figures.json'),
      JSON.stringify(figures, null, 2),
    );
    console.log(JSON.stringify(figures));
    expect(r.sweep.points).toHaveLength(11);
    expect(r.ms).toBeLessThan(10_000);
    for (const s of check.singles) expect(r.sweep.best.mean, s.label).toBeLessThan(s.mean);
    // on the whole texts too, against the reference losses of every model
    const fullMean = (check.full.scores[0]!.loss + check.full.scores[1]!.loss) / 2;
    for (const m of MODEL_NAMES) {
      expect(fullMean, m).toBeLessThan((REFERENCE_LOSSES[m].code + REFERENCE_LOSSES[m].math) / 2);
    }
  } finally {
    await hub.close();
  }
});

test('a cancelled sweep stops within the grace second; the size guard speaks through the worker', async ({
  page,
}) => {
  test.skip(test.info().project.name !== 'cpu-fallback', 'the worker plumbing is the same in both projects');
  const hub = await startTestHub();
  try {
    await openHarness(page);
    const r = await page.evaluate(
      async ({ url, recipeText }) => {
        const h = (window as unknown as W).previewHarness;
        const texts = await h.texts(['code']);
        const sources = { hub: { url } };
        const axes = [
          {
            label: 'w',
            values: [0, 0.25, 0.5, 0.75, 1],
            targets: [{ model: 'tinymix-code', param: 'weight' }],
          },
        ] as const;
        const ac = new AbortController();
        let points = 0;
        let abortedAt = 0;
        const cancelled = await h
          .runSweep(
            { sources, recipeText, axes, texts, baselines: false },
            {
              onProgress: () => undefined,
              onPoint: () => {
                if (++points === 1) {
                  abortedAt = performance.now();
                  ac.abort();
                }
              },
            },
            ac.signal,
          )
          .then(
            () => 'finished',
            (e: Error) => `${e.name}: ${e.message}`,
          );
        const stopMs = performance.now() - abortedAt;
        const guard = await h
          .evaluateModels({ sources, models: ['tinymix-code'], texts, maxBytes: 5e6 }, () => undefined)
          .then(
            () => 'no error',
            (e: Error) => `${e.name}: ${e.message}`,
          );
        return { cancelled, points, stopMs, guard };
      },
      { url: hub.url, recipeText: RECIPE },
    );
    expect(r.cancelled).toBe('PreviewCancelledError: Cancelled.');
    expect(r.points).toBeLessThan(5);
    expect(r.stopMs).toBeLessThan(1500);
    expect(r.guard).toMatch(
      /^InMemoryLimitError: merging and evaluating in memory would hold about 0\.01 GB .* over the limit of 0\.01 GB: sweeps, soups and previews are for small models; merge to disk instead$/,
    );
  } finally {
    await hub.close();
  }
});
