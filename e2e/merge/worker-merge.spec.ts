/**
 * The merge worker in real Chromium: models read from a local hub over HTTP range requests,
 * output written to OPFS, compared byte for byte with the CLI engine's output.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import type { MergeResult } from '../../workers/protocol.ts';
import { cliReference } from '../support/cli-reference.ts';
import { REPO, startTestHub } from '../support/hub.ts';

type Harness = {
  start(request: unknown, folder: string, kind?: string): void;
  wait(): Promise<MergeResult | { error: string; name: string }>;
  cancel(): void;
  files(folder: string): Promise<Record<string, string>>;
  clear(folder: string): Promise<void>;
  progress: { phase: string; tensorsDone: number }[];
  logs: string[];
};

async function openHarness(page: Page): Promise<void> {
  await page.goto('/e2e/merge/harness.html');
  await expect(page.locator('body[data-ready=true]')).toBeAttached();
}

/**
 * The ties-gradient golden recipe from a hub, read in 64 KB blocks (many requests: with a slow
 * hub, a merge that takes seconds), its tensors split on compute lanes from 16K elements.
 */
const tiesGradientRequest = (recipeText: string, url: string, extra: Record<string, number>) => ({
  recipeText,
  sources: { hub: { url } },
  outputName: 'ties-gradient',
  maxReadBlock: 65_536,
  partsMinElements: 16_384,
  ...extra,
});

const recipeOf = (name: string) => readFile(path.join(REPO, 'test-data/golden', name, 'recipe.yml'), 'utf8');

test.describe('merge worker', () => {
  test.beforeEach(() => {
    test.skip(test.info().project.name !== 'cpu-fallback', 'one browser project is enough for the CPU path');
  });

  test('a golden recipe from the local hub gives the CLI output byte for byte', async ({ page }) => {
    const hub = await startTestHub();
    try {
      const recipeText = await recipeOf('ties-gradient');
      await openHarness(page);
      const result = await page.evaluate(
        async ({ text, url }) => {
          const h = (window as unknown as { harness: Harness }).harness;
          await h.clear('out-ties');
          h.start({ recipeText: text, sources: { hub: { url } }, outputName: 'ties-gradient' }, 'out-ties');
          return h.wait();
        },
        { text: recipeText, url: hub.url },
      );
      expect(result).not.toHaveProperty('error');
      const files = await page.evaluate(() =>
        (window as unknown as { harness: Harness }).harness.files('out-ties'),
      );
      expect(files).toEqual(await cliReference(recipeText, 'ties-gradient'));
      const progress = await page.evaluate(
        () => (window as unknown as { harness: Harness }).harness.progress,
      );
      expect(progress.at(-1)?.phase).toBe('done');
      expect(progress.some((p) => p.phase === 'merging')).toBe(true);
    } finally {
      await hub.close();
    }
  });

  // Into OPFS the lanes open the shard themselves ('readwrite-unsafe' sync access handles) and
  // write their parts; a picked folder's writable stream only the merge worker can write, so
  // the lanes send it their pieces.
  // With a coordinator share the merge worker merges a part too, between its reads.
  for (const [kind, share] of [
    ['opfs', 0],
    ['directory', 0],
    ['opfs', 0.5],
    ['directory', 0.5],
  ] as const) {
    const also = share > 0 ? `, the merge worker a share ${share}` : '';
    test(`compute lanes (two workers, shared inputs${also}) give the CLI output byte for byte (${kind})`, async ({
      page,
    }) => {
      const hub = await startTestHub();
      try {
        const recipeText = await recipeOf('ties-gradient');
        await openHarness(page);
        expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
        const result = await page.evaluate(
          async ({ text, url, out, target, coordinatorShare }) => {
            const h = (window as unknown as { harness: Harness }).harness;
            await h.clear(out);
            // The fixture's tensors are small: split every one of at least 16K elements.
            h.start(
              {
                recipeText: text,
                sources: { hub: { url } },
                outputName: 'ties-gradient',
                computeLanes: 2,
                partsMinElements: 16_384,
                ...(coordinatorShare > 0 && { coordinatorShare }),
              },
              out,
              target,
            );
            return h.wait();
          },
          {
            text: recipeText,
            url: hub.url,
            out: `out-lanes-${kind}-${share}`,
            target: kind,
            coordinatorShare: share as number,
          },
        );
        expect(result).not.toHaveProperty('error');
        const h = await page.evaluate(() => (window as unknown as { harness: Harness }).harness.logs);
        expect(h).toContain('compute: 2 lanes');
        const shareLog = h.find((l) => / and a share of [\d.]+ of a lane's part on this thread$/.test(l));
        expect(shareLog !== undefined).toBe(share > 0);
        const inParts = h.map((l) => /compute: (\d+) tensors merged in parts/.exec(l)?.[1]).find(Boolean);
        expect(Number(inParts)).toBeGreaterThan(0);
        const direct = h
          .map((l) => /the lanes wrote (\d+) of them into the files/.exec(l)?.[1])
          .find(Boolean);
        expect(direct).toBe(kind === 'opfs' ? inParts : undefined);
        const files = await page.evaluate(
          (out) => (window as unknown as { harness: Harness }).harness.files(out),
          `out-lanes-${kind}-${share}`,
        );
        expect(files).toEqual(await cliReference(recipeText, 'ties-gradient'));
      } finally {
        await hub.close();
      }
    });
  }

  // A picked folder is named by the id it keeps (folder-lock.ts): two tabs' handles of one
  // folder are different objects.
  for (const kind of ['opfs', 'directory'] as const) {
    test(`two merges into the same folder at once (two tabs): one stops with a message, the other completes; then the folder is free (${kind})`, async ({
      page,
      context,
    }) => {
      const hub = await startTestHub({ delayMs: 40 });
      const folder = kind === 'opfs' ? 'out-twice' : 'out-twice-picked';
      try {
        const recipeText = await recipeOf('ties-gradient');
        const request = tiesGradientRequest(recipeText, hub.url, { computeLanes: 2 });
        const other = await context.newPage();
        await Promise.all([openHarness(page), openHarness(other)]);
        await page.evaluate((out) => (window as unknown as { harness: Harness }).harness.clear(out), folder);
        // The first to open the folder holds it until its merge ends; the other stops at once.
        const [a, b] = await Promise.all(
          [page, other].map((p) =>
            p.evaluate(
              async ({ req, out, target }) => {
                const h = (window as unknown as { harness: Harness }).harness;
                h.start(req, out, target);
                return h.wait();
              },
              { req: request, out: folder, target: kind },
            ),
          ),
        );
        const failed = [a!, b!].filter((r) => 'error' in r);
        expect(failed).toEqual([
          {
            name: 'StorageError',
            error: expect.stringMatching(
              new RegExp(
                `^another merge \\(in another tab\\?\\) is writing into ${folder}: wait for it to finish`,
              ),
            ),
          },
        ]);
        const files = await page.evaluate(
          (out) => (window as unknown as { harness: Harness }).harness.files(out),
          folder,
        );
        expect(files).toEqual(await cliReference(recipeText, 'ties-gradient'));
        // Once that merge has ended, the folder is free again.
        const again = await other.evaluate(
          async ({ req, out, target }) => {
            const h = (window as unknown as { harness: Harness }).harness;
            h.start(req, out, target);
            return h.wait();
          },
          { req: request, out: folder, target: kind },
        );
        expect(again).not.toHaveProperty('error');
      } finally {
        await hub.close();
      }
    });
  }

  for (const lanes of [0, 2]) {
    test(`cancel stops within a second and leaves no complete model; a reload resumes to the same bytes (${lanes} compute lanes)`, async ({
      page,
    }) => {
      const hub = await startTestHub({ delayMs: 40 });
      try {
        const recipeText = await recipeOf('ties-gradient');
        const request = tiesGradientRequest(recipeText, hub.url, {
          maxShardBytes: 600_000,
          computeLanes: lanes,
        });
        const folder = `out-resume-${lanes}`;
        await openHarness(page);
        await page.evaluate(
          async ({ req, out }) => {
            const h = (window as unknown as { harness: Harness }).harness;
            await h.clear(out);
            h.start(req, out);
          },
          { req: request, out: folder },
        );
        await page.waitForFunction(() => {
          const p = (window as unknown as { harness: Harness }).harness.progress;
          return (p.at(-1)?.tensorsDone ?? 0) >= 20;
        });
        const stoppedIn = await page.evaluate(async () => {
          const h = (window as unknown as { harness: Harness }).harness;
          const t0 = performance.now();
          h.cancel();
          const r = await h.wait();
          return { ms: performance.now() - t0, r };
        });
        expect(stoppedIn.r).toMatchObject({ name: 'MergeCancelledError' });
        expect(stoppedIn.ms).toBeLessThan(1000);
        const partial = await page.evaluate(
          (out) => (window as unknown as { harness: Harness }).harness.files(out),
          folder,
        );
        expect(Object.keys(partial)).not.toContain('config.json');
        expect(Object.keys(partial)).toContain('.merge-studio-job.json');
        expect(Object.keys(partial).some((f) => /^model-0000\d-of-0000\d\.safetensors$/.test(f))).toBe(true);

        await page.reload();
        await expect(page.locator('body[data-ready=true]')).toBeAttached();
        const result = await page.evaluate(
          async ({ req, out }) => {
            const h = (window as unknown as { harness: Harness }).harness;
            h.start(req, out);
            return h.wait();
          },
          { req: request, out: folder },
        );
        expect(result).toMatchObject({ resumedShards: expect.any(Number) });
        expect((result as MergeResult).resumedShards).toBeGreaterThan(0);
        const files = await page.evaluate(
          (out) => (window as unknown as { harness: Harness }).harness.files(out),
          folder,
        );
        expect(files).toEqual(await cliReference(recipeText, 'ties-gradient', { maxShardBytes: 600_000 }));
      } finally {
        await hub.close();
      }
    });
  }

  test('writes through createWritable into a picked folder (an OPFS directory handle stands in for the picker)', async ({
    page,
  }) => {
    const hub = await startTestHub();
    try {
      const recipeText = await recipeOf('passthrough-frankenmerge');
      await openHarness(page);
      const result = await page.evaluate(
        async ({ text, url }) => {
          const h = (window as unknown as { harness: Harness }).harness;
          await h.clear('picked');
          h.start(
            { recipeText: text, sources: { hub: { url } }, outputName: 'frankenmerge' },
            'picked',
            'directory',
          );
          return h.wait();
        },
        { text: recipeText, url: hub.url },
      );
      expect(result).not.toHaveProperty('error');
      const files = await page.evaluate(() =>
        (window as unknown as { harness: Harness }).harness.files('picked'),
      );
      expect(files).toEqual(await cliReference(recipeText, 'frankenmerge'));
    } finally {
      await hub.close();
    }
  });

  test('a flaky hub (every 5th request fails, bodies cut short) still gives the same bytes; retries are logged', async ({
    page,
  }) => {
    // Counts not divisible by 3: three models read at once, and with every 3rd download cut,
    // the same model's retries could land on the cut every time (seen once under load).
    const hub = await startTestHub({ failEvery: 5, truncateEvery: 4 });
    try {
      const recipeText = await recipeOf('task-arithmetic-negation');
      await openHarness(page);
      const result = await page.evaluate(
        async ({ text, url }) => {
          const h = (window as unknown as { harness: Harness }).harness;
          await h.clear('flaky');
          h.start({ recipeText: text, sources: { hub: { url } }, outputName: 'negation' }, 'flaky');
          return h.wait();
        },
        { text: recipeText, url: hub.url },
      );
      expect(result).not.toHaveProperty('error');
      const files = await page.evaluate(() =>
        (window as unknown as { harness: Harness }).harness.files('flaky'),
      );
      expect(files).toEqual(await cliReference(recipeText, 'negation'));
      const logs = await page.evaluate(() => (window as unknown as { harness: Harness }).harness.logs);
      expect(hub.counters.failed + hub.counters.truncated).toBeGreaterThan(0);
      expect(logs.filter((l) => /^hub: .*; try \d+ of \d+/.test(l)).length).toBeGreaterThan(0);
    } finally {
      await hub.close();
    }
  });
});
