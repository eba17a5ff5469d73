import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, type LoadedModel } from '../../../workers/io/load-model.ts';
import { folderModelSource } from '../../../workers/io/node/fs-source.ts';
import { buildPlan } from '../../../workers/plan/build-plan.ts';
import { loadRecipe } from '../../../workers/plan/recipe-yaml.ts';
import { describeOrigin, groupTensors } from './tensor-groups.ts';

const TINYMIX = path.resolve(import.meta.dirname, '../../../test-data/tinymix');

async function planOf(yaml: string, ids: readonly string[]) {
  const models = new Map<string, LoadedModel>();
  for (const id of ids) models.set(id, await loadModel(folderModelSource(id, path.join(TINYMIX, id))));
  return buildPlan(loadRecipe(yaml).recipe, models);
}

describe('tensors grouped by layer with value and matched filter', () => {
  it('shows which filter each tensor of a real model matched (slerp, global t)', async () => {
    const plan = await planOf(
      `merge_method: slerp
base_model: tinymix-base
models: [{model: tinymix-base}, {model: tinymix-code}]
parameters:
  t:
    - filter: self_attn
      value: [0, 1]
    - value: 0.5
`,
      ['tinymix-base', 'tinymix-code'],
    );
    const groups = groupTensors(plan.tensors, { name: 't' });
    // embeddings, 4 layers, final norm and head
    expect(groups.map((g) => g.label)).toEqual([
      'embeddings',
      'layer 0',
      'layer 1',
      'layer 2',
      'layer 3',
      'final norm and head',
    ]);
    const layer1 = groups[2]!;
    // 4 attention projections, 3 MLP projections, 2 norms per tinymix layer
    expect(layer1.rows).toHaveLength(9);
    const q = layer1.rows.find((r) => r.tensor === 'model.layers.1.self_attn.q_proj.weight')!;
    expect(q.value).toBeCloseTo(1 / 3, 6);
    expect(describeOrigin(q.origin)).toBe('filter self_attn · gradient · top level');
    const up = layer1.rows.find((r) => r.tensor === 'model.layers.1.mlp.up_proj.weight')!;
    expect(up.value).toBe(0.5);
    expect(describeOrigin(up.origin)).toBe('other tensors · top level');
    expect(layer1.summary).toEqual([
      { text: '0.5 (other tensors · top level)', count: 5 },
      { text: '0.3333 (filter self_attn · gradient · top level)', count: 4 },
    ]);
  });

  it('reads one model’s per-model values and skips the base (ties, density of one model)', async () => {
    const plan = await planOf(
      `merge_method: ties
base_model: tinymix-base
models:
  - model: tinymix-code
    parameters: {weight: 1, density: [0.2, 0.8]}
  - model: tinymix-math
    parameters: {weight: 1, density: 0.5}
`,
      ['tinymix-base', 'tinymix-code', 'tinymix-math'],
    );
    const code = groupTensors(plan.tensors, { name: 'density', model: 'tinymix-code' });
    expect(code[0]!.rows[0]!.value).toBe(0.2); // embeddings sit at t = 0
    expect(code[4]!.rows.every((r) => Math.abs((r.value as number) - 0.8) < 1e-12)).toBe(true);
    expect(describeOrigin(code[4]!.rows[0]!.origin)).toBe('other tensors · gradient · set on the model');
    const base = groupTensors(plan.tensors, { name: 'density', model: 'tinymix-base' });
    expect(base).toEqual([]);
  });

  it('says where defaults and slice values come from', () => {
    expect(describeOrigin({ level: 'default' })).toBe('the default');
    expect(describeOrigin({ level: 'slice', filter: 'mlp' })).toBe('filter mlp · slice parameters');
    expect(describeOrigin(undefined)).toBe('no value');
  });
});
