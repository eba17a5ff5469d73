/**
 * A whole merge job with compute lanes: inputs read from disk into SharedArrayBuffers, the
 * large tensors merged in parts, the small ones on the merge worker, the file byte for byte
 * the single-lane job's.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticLlama, type LlamaShape } from '../../../scripts/lib/synthetic-model.ts';
import { folderResolver } from '../../io/node/fs-source.ts';
import { folderSink } from '../../io/node/fs-sink.ts';
import { loadRecipe } from '../../plan/recipe-yaml.ts';
import { runMerge, type MergeJob } from '../run-merge.ts';
import { runPart, type ComputeLane } from './part-job.ts';

// The MLP matrices (4608 x 512) and embeddings (4200 x 512) pass the parts threshold.
const SHAPE: LlamaShape = { layers: 1, hidden: 512, mlp: 4608, kv: 128, vocab: 4200 };

const TIES = `merge_method: ties
base_model: base
models:
  - model: code
    parameters: {weight: 0.6, density: 0.3}
  - model: math
    parameters: {weight: 0.4, density: 0.5}
`;

let tmp = '';
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'parts-test-'));
  await Promise.all(
    ['base', 'code', 'math'].map((m, seed) => writeSyntheticLlama(path.join(tmp, 'models', m), SHAPE, seed)),
  );
}, 60_000);
afterAll(() => rm(tmp, { recursive: true, force: true }));

function job(out: string, extra: Partial<MergeJob> = {}): MergeJob {
  return {
    recipe: loadRecipe(TIES).recipe,
    recipeText: TIES,
    resolve: folderResolver(path.join(tmp, 'models')),
    sink: folderSink(path.join(tmp, out)),
    outputName: out,
    ...extra,
  };
}

const file = (d: string): Promise<Buffer> => readFile(path.join(tmp, d, 'model.safetensors'));

describe('a merge job with compute lanes', () => {
  it('merges the large tensors in parts, from shared buffers, to the same bytes', async () => {
    const plain = await runMerge(job('plain'));
    const tensors = new Set<string>();
    const shared: boolean[] = [];
    const lane: ComputeLane = {
      run: (j, hooks) => {
        tensors.add(j.tensor.name);
        shared.push(j.inputBytes.every((b) => b.buffer instanceof SharedArrayBuffer));
        return runPart(j, hooks);
      },
    };
    const parted = await runMerge(job('parted', { lanes: { lanes: [lane, lane, lane], needShared: true } }));
    expect([...tensors].sort()).toEqual([
      'lm_head.weight',
      'model.embed_tokens.weight',
      'model.layers.0.mlp.down_proj.weight',
      'model.layers.0.mlp.gate_proj.weight',
      'model.layers.0.mlp.up_proj.weight',
    ]);
    expect(shared.every(Boolean)).toBe(true);
    expect((await file('parted')).equals(await file('plain'))).toBe(true);
    const norms = (r: typeof plain) => r.changes.map((c) => c.norm);
    parted.changes.forEach((c, i) => expect(c.norm).toBeCloseTo(norms(plain)[i]!, 6));
  }, 60_000);
});
