import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatPath } from './problems.ts';
import { parseRecipeYaml, recipeToYaml } from './recipe-yaml.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

function errors(yaml: string): string[] {
  return parseRecipeYaml(yaml)
    .problems.filter((p) => p.severity === 'error')
    .map((p) => `${p.line ?? '?'}: ${formatPath(p.path)}: ${p.message}`);
}

describe('recipes that must validate', () => {
  const examples = path.join(ROOT, 'test-data/mergekit-examples');
  for (const f of readdirSync(examples).filter((x) => x.endsWith('.yml'))) {
    it(`mergekit example ${f}`, () => {
      expect(errors(readFileSync(path.join(examples, f), 'utf8'))).toEqual([]);
    });
  }
  const golden = path.join(ROOT, 'test-data/golden');
  for (const d of readdirSync(golden).filter((x) => !x.includes('.'))) {
    it(`golden ${d}`, () => {
      expect(errors(readFileSync(path.join(golden, d, 'recipe.yml'), 'utf8'))).toEqual([]);
    });
  }
});

describe('strict where mergekit is silent', () => {
  it('a misspelled parameter, with its line and a suggestion', () => {
    const e = errors(`merge_method: ties
base_model: b
models:
  - model: a
    parameters:
      weight: 1
      densty: 0.5
`);
    expect(e).toEqual([
      `7: models[0].parameters.densty: unknown parameter 'densty' for ties (did you mean 'density'?); known: normalize, rescale, lambda, int8_mask, weight, density`,
    ]);
  });
  it('an unknown top-level key', () => {
    expect(
      errors('merge_method: linear\nmodels: [{model: a, parameters: {weight: 1}}]\nnormalise: true\n'),
    ).toEqual(["3: normalise: unknown key 'normalise'; mergekit would ignore it silently"]);
  });
  it('a parameter of another method', () => {
    expect(
      errors('merge_method: sce\nbase_model: b\nmodels:\n  - model: a\n    parameters: {weight: 0.5}\n')[0],
    ).toMatch(/models\[0\]\.parameters\.weight: sce has no parameter 'weight'/);
  });
  it('a global parameter on a model', () => {
    expect(
      errors(
        'merge_method: slerp\nbase_model: b\nmodels:\n  - model: b\n  - model: a\n    parameters: {t: 0.5}\nparameters: {t: 0.5}\n',
      )[0],
    ).toMatch(/models\[1\]\.parameters\.t: 't' is a global parameter/);
  });
  it('missing required weights, naming the model', () => {
    expect(
      errors(
        'merge_method: task_arithmetic\nbase_model: b\nmodels:\n  - model: a\n  - model: c\n    parameters: {weight: 1}\n',
      ),
    ).toEqual(['4: models[0]: a has no weight: set parameters.weight on it (or a top-level weight)']);
  });
  it('a top-level weight satisfies every model', () => {
    expect(
      errors(
        'merge_method: task_arithmetic\nbase_model: b\nmodels: [{model: a}, {model: c}]\nparameters: {weight: 1}\n',
      ),
    ).toEqual([]);
  });
  it('wrong model counts', () => {
    expect(
      errors(
        'merge_method: slerp\nbase_model: b\nmodels: [{model: a}, {model: c}, {model: b}]\nparameters: {t: 0.5}\n',
      )[0],
    ).toMatch(/slerp takes exactly 1 model besides the base, got 2/);
    expect(
      errors(
        'merge_method: nuslerp\nbase_model: a\nmodels: [{model: a, parameters: {weight: 1}}, {model: c, parameters: {weight: 1}}]\n',
      )[0],
    ).toMatch(/base_model must be a third model/);
    expect(errors('merge_method: model_stock\nbase_model: b\nmodels: [{model: a}]\n')[0]).toMatch(
      /at least 2/,
    );
  });
  it('a missing base model', () => {
    expect(errors('merge_method: ties\nmodels: [{model: a, parameters: {weight: 1}}]\n')[0]).toMatch(
      /ties needs base_model/,
    );
  });
  it('density and epsilon out of range', () => {
    expect(
      errors(
        'merge_method: ties\nbase_model: b\nmodels: [{model: a, parameters: {weight: 1, density: 1.5}}]\n',
      )[0],
    ).toMatch(/density 1.5 is out of range: it must be ≥ 0 and ≤ 1/);
    expect(
      errors(
        'merge_method: della\nbase_model: b\nmodels: [{model: a, parameters: {weight: 1, density: 0.9, epsilon: 0.2}}]\n',
      )[0],
    ).toMatch(/density ± epsilon must lie inside \(0, 1\)/);
    expect(
      errors(
        'merge_method: ties\nbase_model: b\nmodels: [{model: a, parameters: {weight: 1, density: [1, 0.5, -0.1]}}]\n',
      )[0],
    ).toMatch(/^3: models\[0\]\.parameters\.density\[2\]/);
  });
  it('unknown merge method, with a suggestion', () => {
    expect(errors('merge_method: dare_tie\nmodels: [{model: a}]\n')[0]).toMatch(/did you mean 'dare_ties'/);
  });
  it('slices whose sources differ in length', () => {
    expect(
      errors(
        'merge_method: passthrough\nslices:\n  - sources:\n      - {model: a, layer_range: [0, 4]}\n      - {model: b, layer_range: [0, 2]}\n',
      ),
    ).toContain(
      '3: slices[0].sources: all sources of a slice must span the same number of layers (got 4, 2)',
    );
  });
  it('YAML syntax errors carry a line and do not throw', () => {
    const r = parseRecipeYaml('merge_method: linear\nmodels:\n  - model: a\n   bad: [\n');
    expect(r.recipe).toBeUndefined();
    expect(r.problems[0]!.line).toBeGreaterThan(1);
  });
  it('modules: instead of models: or slices:, each module with models or slices', () => {
    expect(
      errors('merge_method: linear\nmodels: [{model: a, parameters: {weight: 1}}]\nmodules: {text: {}}\n')[0],
    ).toBe('1: (root): give one of models:, slices: or modules:, not two');
    // An empty mapping is no modules at all (mergekit: "Exactly one of 'models', 'slices', or 'modules' must be present").
    expect(errors('merge_method: linear\nmodules: {}\n')).toEqual(['2: modules: add at least one module']);
    expect(errors('merge_method: linear\nbase_model: a\nmodules: {}\n')).toEqual([
      '3: modules: add at least one module',
    ]);
    expect(errors('merge_method: linear\nmodules: {text_decoder: {}}\n')).toEqual([
      '2: modules.text_decoder: give this module models: or slices: (mergekit: "Must specify either output slices or models to merge")',
    ]);
    expect(
      errors(
        'merge_method: ties\nbase_model: b\nmodules:\n  text_decoder:\n    models: [{model: a, parameters: {weight: 1}}]\n    parameters: {densty: 0.5}\n',
      ),
    ).toEqual([
      "6: modules.text_decoder.parameters.densty: unknown parameter 'densty' for ties (did you mean 'density'?); known: normalize, rescale, lambda, int8_mask, weight, density",
    ]);
    expect(
      errors(
        'merge_method: ties\nbase_model: b\nmodules:\n  text_decoder:\n    models: [{model: a, parameters: {weight: 1}}]\n  vision_tower:\n    models: [{model: a}]\n',
      ),
    ).toEqual([
      '7: modules.vision_tower.models[0]: a has no weight: set parameters.weight on it (or a top-level weight)',
    ]);
    // A module's parameters count as the top level's do for what a model needs.
    expect(
      errors(
        'merge_method: ties\nbase_model: b\nmodules:\n  text_decoder:\n    models: [{model: a}]\n    parameters: {weight: 1}\n',
      ),
    ).toEqual([]);
    expect(errors('merge_method: linear\nmodels: [{model: a+b, parameters: {weight: 1}}]\n')).toEqual([]);
    expect(errors('merge_method: linear\nmodels: [{model: a+b+c, parameters: {weight: 1}}]\n')[0]).toMatch(
      /one LoRA adapter per model/,
    );
  });
});

describe('YAML out', () => {
  it('round-trips a recipe, number lists in flow style', () => {
    const text = readFileSync(path.join(ROOT, 'test-data/mergekit-examples/ties.yml'), 'utf8');
    const { recipe } = parseRecipeYaml(text);
    const out = recipeToYaml(recipe!);
    expect(out).toMatch(/density: \[1, 0\.7, 0\.1\]/);
    expect(parseRecipeYaml(out).recipe).toEqual(recipe);
  });

  it('writes a list shared by two places twice, never as an &anchor/*alias', () => {
    const shared = [0, 0.5, 1];
    const out = recipeToYaml({
      merge_method: 'slerp',
      base_model: 'a',
      models: [{ model: 'a' }, { model: 'b' }],
      parameters: { t: [{ filter: 'self_attn', value: shared }, { value: shared }] },
    });
    expect(out).not.toMatch(/[&*]a\d/);
    expect(out.match(/value: \[0, 0\.5, 1\]/g)).toHaveLength(2);
  });
});
