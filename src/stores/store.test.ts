/** Store tests: dispatch actions, check the recipe and the plan it makes. No React. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { ModelInfo, TensorMeta } from '../../workers/plan/architecture.ts';
import { buildPlan } from '../../workers/plan/build-plan.ts';
import { selectMethod, selectModelIds, selectRecipeProblems, selectRecipeYaml } from './selectors.ts';
import { EMPTY_RECIPE } from './recipe-edits.ts';
import { DEMO_HUB_URL, HF_HUB_URL, hubOrigin } from './sources-slice.ts';
import { useStudio } from './store.ts';

function model(id: string): ModelInfo {
  const t = new Map<string, TensorMeta>();
  t.set('model.embed_tokens.weight', { dtype: 'BF16', shape: [10, 8] });
  t.set('model.layers.0.mlp.up_proj.weight', { dtype: 'BF16', shape: [16, 8] });
  t.set('model.layers.1.mlp.up_proj.weight', { dtype: 'BF16', shape: [16, 8] });
  return { id, config: { num_hidden_layers: 2 }, tensors: t };
}

const s = () => useStudio.getState();
const errors = () => selectRecipeProblems(s()).filter((p) => p.severity === 'error');

beforeEach(() => s().setRecipe(EMPTY_RECIPE));

describe('recipe actions', () => {
  it('building a TIES merge: the first model becomes the base, the others get a weight', () => {
    s().setMethod('ties');
    for (const id of ['base', 'a', 'b']) s().addModel(id);
    expect(s().recipe.base_model).toBe('base');
    expect(s().recipe.models).toEqual([
      { model: 'base' },
      { model: 'a', parameters: { weight: 1 } },
      { model: 'b', parameters: { weight: 1 } },
    ]);
    s().setModelParam('a', 'density', 0.5);
    s().setGlobalParam('lambda', 0.9);
    expect(errors()).toEqual([]);
    const plan = buildPlan(s().recipe, new Map(['base', 'a', 'b'].map((id) => [id, model(id)])));
    const up = plan.tensors.find((t) => t.name === 'model.layers.1.mlp.up_proj.weight')!;
    expect(up.base?.model).toBe('base');
    expect(up.perModel).toEqual([
      { weight: 1, density: 0.5 },
      { weight: 1, density: 1 },
    ]);
    expect(up.global['lambda']).toBe(0.9);
    expect(selectRecipeYaml(s())).toMatch(/parameters:\n  lambda: 0\.9/);
  });

  it('switching method keeps known parameters, drops unknown ones, and follows base rules', () => {
    s().setMethod('ties');
    for (const id of ['base', 'a']) s().addModel(id);
    s().setModelParam('a', 'density', 0.4);
    s().setMethod('linear');
    expect(s().recipe.base_model).toBeUndefined();
    expect(s().recipe.models?.find((m) => m.model === 'a')?.parameters).toEqual({ weight: 1 });
    expect(s().recipe.models?.find((m) => m.model === 'base')?.parameters).toEqual({ weight: 1 });
    s().setMethod('slerp');
    expect(s().recipe.base_model).toBe('base');
    expect(s().recipe.parameters).toEqual({ t: 0.5 });
    expect(selectMethod(s()).name).toBe('slerp');
    expect(errors()).toEqual([]);
  });

  it('removing the base picks another; moving reorders', () => {
    s().setMethod('task_arithmetic');
    for (const id of ['base', 'a', 'b']) s().addModel(id);
    s().removeModel('base');
    expect(s().recipe.base_model).toBe('a');
    s().moveModel('b', -1);
    expect(selectModelIds(s())).toEqual(['a', 'b']);
    expect(s().recipe.models?.map((m) => m.model)).toEqual(['b', 'a']);
  });

  it('invalid YAML is kept as a draft with its problems; the recipe stays', () => {
    s().setMethod('slerp');
    const before = s().recipe;
    expect(s().editYaml('merge_method: slerp\nmodels:\n  - model: a\n    parameters: {t: 0.3}\n')).toBe(
      false,
    );
    expect(s().recipe).toBe(before);
    expect(s().yamlDraft).toContain('t: 0.3');
    expect(s().yamlProblems.some((p) => p.line === 4)).toBe(true);
    s().discardYamlDraft();
    expect(s().yamlDraft).toBeUndefined();
    expect(s().editYaml('merge_method: linear\nmodels:\n  - {model: a, parameters: {weight: 2}}\n')).toBe(
      true,
    );
    expect(s().recipe.models).toEqual([{ model: 'a', parameters: { weight: 2 } }]);
  });

  it('YAML that only breaks its method’s rules loads into the controls, problems included', () => {
    // What a link or a reload holds after the controls built a work-in-progress recipe.
    const text = 'merge_method: slerp\nbase_model: a\nmodels:\n  - model: a\nparameters:\n  t: 0.5\n';
    expect(s().editYaml(text)).toBe(false);
    expect(s().yamlDraft).toBeUndefined();
    expect(s().recipe).toEqual({
      merge_method: 'slerp',
      base_model: 'a',
      models: [{ model: 'a' }],
      parameters: { t: 0.5 },
    });
    expect(selectRecipeYaml(s())).toBe(text);
    expect(errors().map((p) => p.message)).toEqual([expect.stringMatching(/^slerp takes exactly 1/)]);
  });

  it('while the editor holds a draft, its problems block merging (not the last valid recipe)', () => {
    s().setMethod('linear');
    s().addModel('a');
    expect(errors()).toEqual([]);
    s().editYaml('merge_method: slerp\nmodels:\n  - model: a\n    parameters: {densty: 1}\n');
    expect(s().yamlDraft).toBeDefined();
    expect(s().recipe.merge_method).toBe('linear');
    expect(errors().length).toBeGreaterThan(0);
    expect(errors()).toEqual(s().yamlProblems.filter((p) => p.severity === 'error'));
    s().editYaml('merge_method: linear\nmodels: [\n');
    expect(errors()[0]?.line).toBeGreaterThan(1);
    s().discardYamlDraft();
    expect(errors()).toEqual([]);
  });

  it('switching method sets aside what the new one does not take, and switching back restores it', () => {
    s().setMethod('ties');
    for (const id of ['base', 'a', 'b']) s().addModel(id);
    s().setModelParam('a', 'density', 0.3);
    s().setModelParam('b', 'weight', 0.7);
    s().setGlobalParam('lambda', 0.9);
    const ties = s().recipe;
    s().setMethod('slerp');
    for (const dropped of ['density of a', 'weight of b', 'lambda'])
      expect(s().methodNotice).toMatch(new RegExp(`^SLERP does not take .*${dropped}`));
    expect(s().methodNotice).toMatch(/switch back to TIES/);
    s().setGlobalParam('t', 0.25);
    s().setMethod('ties');
    expect(s().recipe.models).toEqual(ties.models);
    expect(s().recipe.parameters).toEqual({ lambda: 0.9 });
    expect(s().methodNotice).toMatch(/TIES does not take t\b/);
    s().setMethod('slerp');
    expect(s().recipe.parameters).toEqual({ t: 0.25 });
  });

  it('the teaching view’s switch to SLERP (setRecipe) also sets the parameters aside', () => {
    s().setMethod('ties');
    for (const id of ['base', 'a']) s().addModel(id);
    s().setModelParam('a', 'density', 0.3);
    s().setRecipe({ ...s().recipe, merge_method: 'slerp', models: [{ model: 'base' }, { model: 'a' }] });
    expect(s().methodNotice).toMatch(/density of a/);
    s().setMethod('ties');
    expect(s().recipe.models?.find((m) => m.model === 'a')?.parameters).toEqual({ weight: 1, density: 0.3 });
  });

  it('the token never reaches the recipe or its YAML', () => {
    s().setToken('hf_secret_token_value');
    s().addModel('a');
    expect(selectRecipeYaml(s())).not.toContain('hf_secret');
    expect(JSON.stringify(s().recipe)).not.toContain('hf_secret');
    s().setToken('');
  });
});

describe('hub and token', () => {
  const TOKEN = 'hf_secret_token_value';
  beforeEach(() => {
    s().dismissHubUrl();
    s().setHubUrl(DEMO_HUB_URL);
  });

  it('choosing a hub on another origin clears the token; the same origin keeps it', () => {
    s().setHubUrl('https://huggingface.co');
    s().setToken(TOKEN);
    s().setHubUrl('https://huggingface.co/');
    expect(s().token).toBe(TOKEN);
    s().setHubUrl('https://huggingface.co/mirror');
    expect(s().token).toBe(TOKEN);
    s().setHubUrl('https://evil.example');
    expect(s().token).toBe('');
    s().setToken(TOKEN);
    s().setHubUrl('http://evil.example');
    expect(s().token).toBe('');
  });

  it('a link’s hub elsewhere waits for the user: confirmed it applies and clears the token', () => {
    s().setToken(TOKEN);
    s().offerHubUrl('https://evil.example/');
    expect(s().pendingHubUrl).toBe('https://evil.example');
    expect(s().hubUrl).toBe(DEMO_HUB_URL);
    expect(s().token).toBe(TOKEN);
    s().dismissHubUrl();
    expect(s().pendingHubUrl).toBeUndefined();
    expect(s().hubUrl).toBe(DEMO_HUB_URL);
    s().offerHubUrl('https://evil.example');
    s().confirmHubUrl();
    expect(s().pendingHubUrl).toBeUndefined();
    expect(s().hubUrl).toBe('https://evil.example');
    expect(s().token).toBe('');
  });

  it.each([
    HF_HUB_URL,
    `${HF_HUB_URL}/`,
    'http://127.0.0.1:41234',
    'http://localhost:8080',
    'http://[::1]:9000',
  ])('a link’s hub %s (ours, or on this machine) applies at once', (url) => {
    s().offerHubUrl(url);
    expect(s().pendingHubUrl).toBeUndefined();
    expect(s().hubUrl).toBe(url.replace(/\/$/, ''));
  });

  it('hubOrigin names where the token goes, or the text while it is no URL', () => {
    expect(hubOrigin('https://huggingface.co/some/path')).toBe('https://huggingface.co');
    expect(hubOrigin('http://127.0.0.1:5174')).toBe('http://127.0.0.1:5174');
    expect(hubOrigin('hub.example')).toBe('hub.example');
  });
});
