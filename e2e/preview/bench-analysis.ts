/**
 * `npx tsx e2e/preview/bench-analysis.ts [--layers 32] [--max-mb 256]`: the per-layer analysis
 * of a bigger model than tinymix, read over HTTP from the local hub exactly as the preview
 * worker reads it (same engine code, in Node). Writes three synthetic Llama-shaped BF16 models
 * (hidden 512, MLP 1408, 32 layers, vocab 32000: about 245 MB each; two "fine-tunes" are the
 * base plus independent noise of a tenth of its scale) and prints what the analysis read (layers,
 * share of rows, bytes, requests) and how long it took, at the default budget and at 16 MB.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeSyntheticLlama } from '../../scripts/lib/synthetic-model.ts';
import { startHubServer } from '../../server/hub-server.ts';
import { analyzeRecipe } from '../../workers/analysis/analyze.ts';
import { hubResolver } from '../../workers/io/hub/hub-resolver.ts';

const { values } = parseArgs({ options: { layers: { type: 'string', default: '32' } } });
const LAYERS = Number(values.layers);
const SHAPE = { layers: LAYERS, hidden: 512, mlp: 1408, kv: 128, vocab: 32000 };
const writeModel = (dir: string, seed: number): Promise<number> => writeSyntheticLlama(dir, SHAPE, seed);

const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-analysis-'));
try {
  const sizes = await Promise.all(['base', 'ft1', 'ft2'].map((m, i) => writeModel(path.join(dir, m), i)));
  console.log(
    `3 models of ${(sizes[0]! / 1e6).toFixed(0)} MB, ${LAYERS} layers (load ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} cores)`,
  );
  const hub = await startHubServer({ root: dir, port: 0 });
  try {
    const recipe = {
      merge_method: 'ties',
      base_model: 'base',
      models: [
        { model: 'ft1', parameters: { weight: 0.5, density: 0.4 } },
        { model: 'ft2', parameters: { weight: 0.5, density: 0.4 } },
      ],
    };
    for (const maxMb of [undefined, 16]) {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const r = await analyzeRecipe(recipe, hubResolver({ hubUrl: hub.url }), {
        ...(maxMb !== undefined && { maxBytes: maxMb * 1e6 }),
      });
      const cpu = process.cpuUsage(cpu0);
      console.log(
        `budget ${maxMb ?? 256} MB: layers ${r.layers.join(',')} of ${r.numLayers}, ${(r.rowFraction * 100).toFixed(1)}% of rows; ` +
          `read ${(r.bytesRead / 1e6).toFixed(1)} MB of ${(r.bytesAllLayers / 1e6).toFixed(0)} MB in ${r.requests} requests; ` +
          `${((performance.now() - t0) / 1000).toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU; ` +
          `mean cosine ${mean(r.tensors.map((t) => t.metrics.cosine ?? 0)).toFixed(4)}, ` +
          `mean relNorm ${mean(r.tensors.map((t) => t.metrics.relNorm ?? 0)).toFixed(4)}, ` +
          `warnings: ${r.warnings.map((w) => w.kind).join(', ') || 'none'}`,
      );
    }
  } finally {
    await hub.close();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}
