/**
 * Pooled reads end to end: every tensor in its own block (maxReadBlock 1), or blocks of many
 * tensors (the default), each streamed into a reused buffer, through a hub that fails and cuts
 * bodies short: the output must still be the local-folder output, byte for byte.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { startHubServer } from '../../server/hub-server.ts';
import { hubResolver } from '../io/hub/hub-resolver.ts';
import { folderResolver } from '../io/node/fs-source.ts';
import { folderSink } from '../io/node/fs-sink.ts';
import { loadRecipe } from '../plan/recipe-yaml.ts';
import { runMerge } from './run-merge.ts';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'pooled-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const TEXT = `merge_method: ties
base_model: tinymix-base
models:
  - model: tinymix-code
    parameters: {weight: 0.6, density: 0.5}
  - model: tinymix-math
    parameters: {weight: 0.4, density: 0.7}
`;

describe('pooled reads', () => {
  it.each([
    ['one tensor per request', 1, 'hub-1'],
    ['whole files per request (blocks of many tensors, pooled)', undefined, 'hub-all'],
  ])('through a flaky hub, %s, give the local output byte for byte', async (_, maxReadBlock, out) => {
    const recipe = loadRecipe(TEXT).recipe;
    await runMerge({
      recipe,
      recipeText: TEXT,
      resolve: folderResolver(MODELS_DIR),
      sink: folderSink(path.join(tmp, 'local')),
    });
    // Counts not divisible by 3: three models read at once, and with every 3rd download cut,
    // the same model's retries could land on the cut every time (seen once under load).
    const hub = await startHubServer({ root: MODELS_DIR, port: 0, failEvery: 5, truncateEvery: 4 });
    const logs: string[] = [];
    try {
      const resolve = hubResolver({
        hubUrl: hub.url,
        onLog: (l) => logs.push(l),
        // About 40% of this hub's answers are bad, so six tries fail for some request now and
        // then (0.4^6 per request, over ~100 requests); twenty make that vanishingly rare.
        retry: { baseMs: 1, maxMs: 5, attempts: 20 },
      });
      const r = await runMerge({
        recipe,
        recipeText: TEXT,
        resolve,
        sink: folderSink(path.join(tmp, out)),
        ...(maxReadBlock !== undefined && { maxReadBlock }),
      });
      if (maxReadBlock === 1)
        expect(r.readRequests).toBeGreaterThan(3 * 30); // one per tensor per model
      else expect(r.readRequests).toBeLessThan(3 * 30);
      expect(hub.counters.truncated).toBeGreaterThan(0);
    } finally {
      await hub.close();
    }
    expect(logs.some((l) => /try \d+ of \d+/.test(l))).toBe(true);
    for (const f of await readdir(path.join(tmp, 'local'))) {
      expect(
        Buffer.compare(await readFile(path.join(tmp, out, f)), await readFile(path.join(tmp, 'local', f))),
        f,
      ).toBe(0);
    }
  });
});
