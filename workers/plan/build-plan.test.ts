import { describe, expect, it } from 'vitest';
import type { ModelInfo, TensorMeta } from './architecture.ts';
import { buildPlan } from './build-plan.ts';
import { RecipeError } from './problems.ts';
import { loadRecipe } from './recipe-yaml.ts';

function fakeModel(id: string, o: { layers?: number; vocab?: number; tied?: boolean } = {}): ModelInfo {
  const layers = o.layers ?? 4;
  const vocab = o.vocab ?? 10;
  const t = new Map<string, TensorMeta>();
  const add = (name: string, shape: number[]) => t.set(name, { dtype: 'BF16', shape });
  add('model.embed_tokens.weight', [vocab, 8]);
  if (!o.tied) add('lm_head.weight', [vocab, 8]);
  add('model.norm.weight', [8]);
  for (let i = 0; i < layers; i++) {
    add(`model.layers.${i}.self_attn.q_proj.weight`, [8, 8]);
    add(`model.layers.${i}.mlp.up_proj.weight`, [16, 8]);
    add(`model.layers.${i}.input_layernorm.weight`, [8]);
  }
  return {
    id,
    config: { num_hidden_layers: layers, vocab_size: vocab, torch_dtype: 'bfloat16', hidden_size: 8 },
    tensors: t,
  };
}

const plan = (yaml: string, ...models: ModelInfo[]) =>
  buildPlan(loadRecipe(yaml).recipe, new Map(models.map((m) => [m.id, m])));

describe('planning', () => {
  it('models: syntax merges every tensor with the base added and t over the layers', () => {
    const p = plan(
      `merge_method: slerp
base_model: base
models: [{model: base}, {model: ft}]
parameters:
  t:
    - filter: self_attn
      value: [0, 1]
    - value: 0.5
`,
      fakeModel('base'),
      fakeModel('ft'),
    );
    expect(p.tensors).toHaveLength(3 + 4 * 3);
    const q = (i: number) => p.tensors.find((t) => t.name === `model.layers.${i}.self_attn.q_proj.weight`)!;
    expect([0, 1, 2, 3].map((i) => q(i).global['t'])).toEqual([0, 1 / 3, 2 / 3, 1]);
    expect(q(0).base?.model).toBe('base');
    expect(q(0).inputs.map((x) => x.model)).toEqual(['ft']);
    expect(p.tensors.find((t) => t.name === 'lm_head.weight')!.global['t']).toBe(0.5);
    expect(q(2).origins.global['t']).toEqual({ level: 'top', filter: 'self_attn', gradient: true });
    expect(p.config['num_hidden_layers']).toBe(4);
    expect(p.tensors.every((t) => t.dtype === 'BF16')).toBe(true);
  });

  it('frankenmerge: renumbered layers, embeddings from the first slice, head from the last', () => {
    const p = plan(
      `merge_method: passthrough
slices:
  - sources: [{model: a, layer_range: [0, 3]}]
  - sources: [{model: b, layer_range: [1, 4]}]
dtype: float32
out_dtype: bfloat16
`,
      fakeModel('a'),
      fakeModel('b'),
    );
    expect(p.numLayers).toBe(6);
    expect(p.config['num_hidden_layers']).toBe(6);
    expect(p.config['torch_dtype']).toBe('bfloat16');
    const l4 = p.tensors.find((t) => t.name === 'model.layers.4.mlp.up_proj.weight')!;
    expect(l4.inputs).toMatchObject([{ model: 'b', tensor: 'model.layers.2.mlp.up_proj.weight' }]);
    expect(p.tensors.find((t) => t.name === 'model.embed_tokens.weight')!.inputs[0]!.model).toBe('a');
    expect(p.tensors.find((t) => t.name === 'lm_head.weight')!.inputs[0]!.model).toBe('b');
  });

  it('pairs layers across indices within a slice and restarts gradients per slice', () => {
    const p = plan(
      `merge_method: linear
slices:
  - sources:
      - {model: a, layer_range: [0, 2]}
      - {model: b, layer_range: [2, 4]}
parameters:
  weight: [0.5, 1]
`,
      fakeModel('a'),
      fakeModel('b'),
    );
    const t1 = p.tensors.find((t) => t.name === 'model.layers.1.input_layernorm.weight')!;
    expect(t1.inputs.map((x) => x.tensor)).toEqual([
      'model.layers.1.input_layernorm.weight',
      'model.layers.3.input_layernorm.weight',
    ]);
    expect(t1.perModel.map((x) => x['weight'])).toEqual([1, 1]);
  });

  it('a tied model lends its embeddings as lm_head', () => {
    const p = plan(
      'merge_method: linear\nmodels: [{model: a, parameters: {weight: 1}}, {model: b, parameters: {weight: 1}}]\n',
      fakeModel('a'),
      fakeModel('b', { tied: true }),
    );
    expect(p.tensors.find((t) => t.name === 'lm_head.weight')!.inputs[1]!.tensor).toBe(
      'model.embed_tokens.weight',
    );
  });

  it('crops mismatched vocabularies with a warning and patches vocab_size', () => {
    const p = plan(
      'merge_method: linear\nmodels: [{model: a, parameters: {weight: 1}}, {model: b, parameters: {weight: 1}}]\n',
      fakeModel('a', { vocab: 12 }),
      fakeModel('b', { vocab: 10 }),
    );
    const e = p.tensors.find((t) => t.name === 'model.embed_tokens.weight')!;
    expect(e.shape).toEqual([10, 8]);
    expect(e.inputs[0]!.crop).toEqual([10, 8]);
    expect(p.warnings.some((w) => /vocab cropped to 10/.test(w))).toBe(true);
    expect(p.config['vocab_size']).toBe(10);
  });

  it('refuses task vectors from a smaller vocabulary than the base', () => {
    expect(() =>
      plan(
        'merge_method: task_arithmetic\nbase_model: a\nmodels: [{model: b, parameters: {weight: 1}}]\n',
        fakeModel('a', { vocab: 12 }),
        fakeModel('b', { vocab: 10 }),
      ),
    ).toThrow(/smaller than the base/);
  });

  it('rejects layer ranges past the end, and models of different depth in models:', () => {
    expect(() =>
      plan(
        'merge_method: passthrough\nslices: [{sources: [{model: a, layer_range: [0, 9]}]}]\n',
        fakeModel('a'),
      ),
    ).toThrow(/a has 4 layers; layer_range ends at 9/);
    expect(() =>
      plan(
        'merge_method: linear\nmodels: [{model: a, parameters: {weight: 1}}, {model: b, parameters: {weight: 1}}]\n',
        fakeModel('a'),
        fakeModel('b', { layers: 3 }),
      ),
    ).toThrow(RecipeError);
  });

  it('finds a filter-only weight that leaves a tensor without a value', () => {
    expect(() =>
      plan(
        'merge_method: task_arithmetic\nbase_model: a\nmodels:\n  - model: b\n    parameters:\n      weight: [{filter: mlp, value: 1}]\n',
        fakeModel('a'),
        fakeModel('b'),
      ),
    ).toThrow(/b has no weight for .*: no value or filter matches it/);
  });

  it('seeds: recipe seed beats the job seed; compat fixes come from merge_studio', () => {
    const y = 'merge_method: breadcrumbs\nbase_model: a\nmodels: [{model: b, parameters: {weight: 1}}]\n';
    expect(plan(y, fakeModel('a'), fakeModel('b')).seed).toBe(0);
    const p = plan(
      `${y}merge_studio: {seed: 42, fix: [breadcrumbs_empty_slice]}\n`,
      fakeModel('a'),
      fakeModel('b'),
    );
    expect(p.seed).toBe(42);
    expect(p.compat.breadcrumbsEmptySlice).toBe(false);
  });

  it('consensus, rescale_norm and topk_scope reach the kernels through compat, mergekit’s by default', () => {
    const y = 'merge_method: ties\nbase_model: a\nmodels: [{model: b, parameters: {weight: 1}}]\n';
    const plain = plan(y, fakeModel('a'), fakeModel('b')).compat;
    expect(plain).toEqual({
      breadcrumbsEmptySlice: true,
      consensus: 'sum',
      rescaleNorm: 'l1',
      topkScope: 'tensor',
    });
    const set = plan(
      `${y}merge_studio: {consensus: count, rescale_norm: inverse_density, topk_scope: row}\n`,
      fakeModel('a'),
      fakeModel('b'),
    ).compat;
    expect(set).toEqual({
      breadcrumbsEmptySlice: true,
      consensus: 'count',
      rescaleNorm: 'inverse_density',
      topkScope: 'row',
    });
  });

  it('merge_studio.weights: per tensor, aligned with the inputs; none when equal or not taken', () => {
    const models = [fakeModel('a'), fakeModel('b'), fakeModel('c')];
    const q = (p: ReturnType<typeof plan>) =>
      p.tensors.find((t) => t.name === 'model.layers.0.self_attn.q_proj.weight')!;
    // karcher: the base is one more input, and weighs 1 unless named
    const karcher = 'merge_method: karcher\nbase_model: a\nmodels: [{model: b}, {model: c}]\n';
    const k = q(plan(`${karcher}merge_studio: {weights: {c: 3}}\n`, ...models));
    expect(k.inputs.map((x) => x.model)).toEqual(['b', 'c', 'a']);
    expect(k.weights).toEqual([1, 3, 1]);
    expect(q(plan(karcher, ...models)).weights).toBeUndefined();
    // equal weights are the unweighted merge
    expect(
      q(plan(`${karcher}merge_studio: {weights: {a: 2, b: 2, c: 2}}\n`, ...models)).weights,
    ).toBeUndefined();
    // model_stock: the fine-tunes only
    const stock = 'merge_method: model_stock\nbase_model: a\nmodels: [{model: b}, {model: c}]\n';
    const m = q(plan(`${stock}merge_studio: {weights: {b: 0.5, c: 1.5}}\n`, ...models));
    expect(m.inputs.map((x) => x.model)).toEqual(['b', 'c']);
    expect(m.weights).toEqual([0.5, 1.5]);
    // a method without weights ignores them (the validator warns)
    const linear =
      'merge_method: linear\nmodels: [{model: b, parameters: {weight: 1}}, {model: c, parameters: {weight: 1}}]\n';
    expect(q(plan(`${linear}merge_studio: {weights: {b: 2}}\n`, ...models)).weights).toBeUndefined();
  });

  it('computes in the recipe dtype, or float32 when unset or forced', () => {
    const y = 'merge_method: linear\nmodels: [{model: a, parameters: {weight: 1}}]\n';
    expect(plan(y, fakeModel('a')).computeDtype).toBe('F32');
    expect(plan(`${y}dtype: bfloat16\n`, fakeModel('a')).computeDtype).toBe('BF16');
    expect(
      plan(`${y}dtype: bfloat16\nmerge_studio: {compute_dtype: float32}\n`, fakeModel('a')).computeDtype,
    ).toBe('F32');
  });
});
