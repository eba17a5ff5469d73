/** The CLI engine's output for a recipe, as sha256 per file: what the browser must reproduce. */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { folderResolver } from '../../workers/io/node/fs-source.ts';
import { folderSink } from '../../workers/io/node/fs-sink.ts';
import { runMerge } from '../../workers/engine/run-merge.ts';
import { loadRecipe } from '../../workers/plan/recipe-yaml.ts';
import { TINYMIX } from './hub.ts';

export async function cliReference(
  recipeText: string,
  outputName: string,
  extra: { maxShardBytes?: number; root?: string } = {},
): Promise<Record<string, string>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'e2e-ref-'));
  const { root = TINYMIX, ...options } = extra;
  try {
    await runMerge({
      recipe: loadRecipe(recipeText).recipe,
      recipeText,
      resolve: folderResolver(root),
      sink: folderSink(dir),
      outputName,
      hubModels: new Set(),
      ...options,
    });
    const out: Record<string, string> = {};
    for (const f of await readdir(dir))
      out[f] = createHash('sha256')
        .update(await readFile(path.join(dir, f)))
        .digest('hex');
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
