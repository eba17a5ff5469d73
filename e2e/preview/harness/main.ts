/**
 * The preview worker's test page: exposes `window.previewHarness` to the Playwright specs. It
 * goes through the studio's own client (src/engine/preview-client.ts), so the worker, comlink
 * and the engine run exactly as in the studio, and fetches the eval texts as the studio does.
 */
import * as client from '../../../src/engine/preview-client.ts';
import { recipeToYaml } from '../../../workers/plan/recipe-yaml.ts';
import type { RawText } from '../../../workers/runtime/preview-api.ts';

async function texts(names: readonly string[]): Promise<RawText[]> {
  return Promise.all(
    names.map(async (name) => {
      const res = await fetch(`/eval-texts/eval-${name}.txt`);
      if (!res.ok) throw new Error(`eval-${name}.txt: HTTP ${res.status}`);
      return { name, text: await res.text() };
    }),
  );
}

const harness = { ...client, texts, recipeToYaml };
export type PreviewHarness = typeof harness;

(window as unknown as { previewHarness: PreviewHarness }).previewHarness = harness;
document.body.dataset['ready'] = 'true';
