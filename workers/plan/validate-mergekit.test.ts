/** Recipes mergekit reads differently from a strict reading: what we accept, warn about or refuse. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { formatPath } from './problems.ts';
import { parseRecipeYaml, recipeToYaml } from './recipe-yaml.ts';
import { validateRecipe } from './validate-recipe.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

const problems = (yaml: string, severity: 'error' | 'warning' = 'error'): string[] =>
  parseRecipeYaml(yaml)
    .problems.filter((p) => p.severity === severity)
    .map((p) => `${p.line ?? '?'}: ${formatPath(p.path)}: ${p.message}`);
const recipeOf = (yaml: string) => parseRecipeYaml(yaml).recipe;

const TIES =
  'merge_method: ties\nbase_model: b\nmodels:\n  - model: a\n    parameters: {weight: 1, density: 0.5}\n';

describe('a model listed twice (mergekit collapses it)', () => {
  it('in models:, pointing at the second entry', () => {
    expect(
      problems(
        'merge_method: linear\nmodels:\n  - model: x\n    parameters: {weight: 1}\n  - model: y\n    parameters: {weight: 2}\n  - model: x\n    parameters: {weight: 3}\n',
      ),
    ).toEqual([
      '7: models[2].model: x is listed twice (models[0] and here); mergekit merges each model once, with the parameters of its first entry, so this entry would change nothing: list it once, and raise its weight to count it more',
    ]);
  });
  it('among the sources of one slice, but not across slices', () => {
    const e = problems(
      'merge_method: linear\nslices:\n  - sources:\n      - {model: x, layer_range: [0, 2], parameters: {weight: 1}}\n      - {model: x, layer_range: [2, 4], parameters: {weight: 1}}\n',
    );
    expect(e).toHaveLength(1);
    expect(e[0]).toMatch(
      /^5: slices\[0\]\.sources\[1\]\.model: x is already a source of this slice \(sources\[0\]\); mergekit merges each model once per slice, reading the layers of its last entry with the parameters of its first/,
    );
    expect(
      problems(
        'merge_method: passthrough\nslices:\n  - sources: [{model: x, layer_range: [0, 2]}]\n  - sources: [{model: x, layer_range: [0, 2]}]\n',
      ),
    ).toEqual([]);
  });
});

describe('YAML 1.1, as PyYAML reads it', () => {
  it('yes/no/on/off are booleans', () => {
    const r = recipeOf(`${TIES}parameters:\n  normalize: yes\n  int8_mask: on\n  rescale: no\n`);
    expect(r?.parameters).toEqual({ normalize: true, int8_mask: true, rescale: false });
  });
  it('y and n stay strings, as in PyYAML', () => {
    expect(recipeOf('merge_method: linear\nmodels: [{model: y, parameters: {weight: 1}}]\n')?.models).toEqual(
      [{ model: 'y', parameters: { weight: 1 } }],
    );
  });
  it('<< merge keys apply', () => {
    const r = recipeOf(`merge_method: linear
models:
  - model: a
    parameters: &p {weight: 0.5}
  - model: b
    <<: {parameters: *p}
`);
    expect(r?.models?.[1]).toEqual({ model: 'b', parameters: { weight: 0.5 } });
  });
  it('every shipped recipe reads the same as in YAML 1.2, with no problem', () => {
    const files = [
      ...readdirSync(path.join(ROOT, 'test-data/mergekit-examples'))
        .filter((f) => f.endsWith('.yml'))
        .map((f) => path.join(ROOT, 'test-data/mergekit-examples', f)),
      ...readdirSync(path.join(ROOT, 'test-data/golden'))
        .filter((d) => !d.includes('.'))
        .map((d) => path.join(ROOT, 'test-data/golden', d, 'recipe.yml')),
    ];
    expect(files.length).toBeGreaterThanOrEqual(26);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      const r = parseRecipeYaml(text);
      expect(r.problems, f).toEqual([]);
      expect(r.recipe, f).toEqual(validateRecipe(parseDocument(text).toJS()).recipe);
    }
  });
  it('writes strings PyYAML would read as booleans quoted', () => {
    const r = recipeOf('merge_method: linear\nmodels: [{model: "on", parameters: {weight: 1}}]\n')!;
    const out = recipeToYaml(r);
    expect(out).toContain('- model: "on"');
    expect(recipeOf(out)).toEqual(r);
  });
});

describe('what pydantic coerces: accepted with a warning', () => {
  it('quoted numbers, in values, gradients, filters and layer ranges', () => {
    const yaml = `merge_method: ties
base_model: b
slices:
  - sources:
      - {model: b, layer_range: ["0", "2"]}
      - model: a
        layer_range: [0, 2]
        parameters:
          weight: "0.5"
          density: ["0.2", " 1e-1 "]
parameters:
  lambda: [{filter: mlp, value: "1.0"}, {value: 1}]
`;
    expect(problems(yaml)).toEqual([]);
    expect(problems(yaml, 'warning')).toHaveLength(6);
    expect(problems(yaml, 'warning')[0]).toBe(
      '5: slices[0].sources[0].layer_range[0]: quoted number "0" read as 0 (mergekit does the same); write it unquoted',
    );
    const r = recipeOf(yaml)!;
    expect(r.slices![0]!.sources[0]!.layer_range).toEqual([0, 2]);
    expect(r.slices![0]!.sources[1]!.parameters).toEqual({ weight: 0.5, density: [0.2, 0.1] });
    expect(r.parameters).toEqual({ lambda: [{ filter: 'mlp', value: 1 }, { value: 1 }] });
  });
  it('but not words, or numbers Python would not read the same way', () => {
    expect(problems(`${TIES}parameters: {lambda: "one"}\n`)).toEqual([
      '6: parameters.lambda: lambda must be a number, not "one"',
    ]);
    expect(problems(`${TIES}parameters: {lambda: "0x10"}\n`)).toHaveLength(1);
  });
  it('0 and 1 for booleans', () => {
    const yaml = `${TIES}parameters: {normalize: 1, rescale: 0.0}\n`;
    expect(recipeOf(yaml)?.parameters).toEqual({ normalize: true, rescale: false });
    expect(problems(yaml, 'warning')).toEqual([
      '6: parameters.normalize: normalize: 1 read as true (mergekit does the same); write true',
      '6: parameters.rescale: rescale: 0 read as false (mergekit does the same); write false',
    ]);
    expect(problems(`${TIES}parameters: {normalize: 2}\n`)).toEqual([
      '6: parameters.normalize: normalize must be true or false, not 2',
    ]);
  });
});

describe('boolean gradients', () => {
  it('are refused unless every anchor is the same', () => {
    expect(problems(`${TIES}parameters: {normalize: [true, false]}\n`)).toEqual([
      '6: parameters.normalize: normalize cannot change over the layers: mergekit interpolates a list of booleans as numbers and fails between anchors; give one value, or a filter list ("- filter: ...") for different tensors',
    ]);
    expect(problems(`${TIES}parameters: {normalize: [0, 1]}\n`)).toHaveLength(1);
    expect(recipeOf(`${TIES}parameters: {normalize: [true, 1]}\n`)?.parameters).toEqual({
      normalize: [true, true],
    });
    expect(
      recipeOf(`${TIES}parameters:\n  normalize: [{filter: mlp, value: false}, {value: true}]\n`),
    ).toBeDefined();
  });
});

describe('keys mergekit ignores or takes as absent', () => {
  it('layer_range under models: is a warning', () => {
    const yaml =
      'merge_method: linear\nmodels:\n  - model: a\n    layer_range: [0, 32]\n    parameters: {weight: 1}\n';
    expect(problems(yaml)).toEqual([]);
    expect(problems(yaml, 'warning')).toEqual([
      '4: models[0].layer_range: layer_range only applies under slices[].sources[]; with models: every layer is merged (mergekit ignores it here)',
    ]);
  });
  it('null for optional keys, and an empty models: next to slices:', () => {
    const base = 'merge_method: linear\nmodels: [{model: a, parameters: {weight: 1}}]\n';
    expect(
      problems(`${base}tokenizer_source: null\ntokenizer: null\nchat_template: null\nmodules: ~\n`),
    ).toEqual([]);
    expect(
      problems(
        'merge_method: passthrough\nmodels: []\nslices: [{sources: [{model: a, layer_range: [0, 2]}]}]\n',
      ),
    ).toEqual([]);
    expect(problems('merge_method: passthrough\nmodels: []\n')).toEqual([
      '2: models: add at least one model',
    ]);
  });
});

/** A task_arithmetic recipe whose one model is `ref`. */
const taskArithmeticOf = (ref: string): string =>
  `merge_method: task_arithmetic\nbase_model: org/base\nmodels: [{model: '${ref}', parameters: {weight: 1}}]\n`;

const withBase = (ref: string): string =>
  `merge_method: task_arithmetic\nbase_model: ${ref}\nmodels: [{model: x, parameters: {weight: 1}}]\n`;
const asModel = (ref: string): string =>
  `merge_method: linear\nmodels:\n  - model: ${ref}\n    parameters: {weight: 1}\n`;

describe('messages', () => {
  it('a model reference with two @', () => {
    expect(
      problems('merge_method: linear\nmodels: [{model: org/a@v1@v2, parameters: {weight: 1}}]\n'),
    ).toEqual([
      `2: models[0].model: 'org/a@v1@v2' has more than one '@': write org/name@revision (mergekit stops with "Invalid model path - multiple @")`,
    ]);
  });
  it('no false "missing" errors after a real one', () => {
    expect(problems(`${TIES.replace('weight: 1', 'weigth: 1')}`)).toEqual([
      "5: models[0].parameters.weigth: unknown parameter 'weigth' for ties (did you mean 'weight'?); known: normalize, rescale, lambda, int8_mask, weight, density",
    ]);
    expect(
      problems(
        'merge_method: task_arithmetic\nbase_model: a+lora+lora2\nmodels: [{model: b, parameters: {weight: 1}}]\n',
      ),
    ).toEqual([
      `2: base_model: 'a+lora+lora2' has more than one '+': write model+adapter, one LoRA adapter per model (mergekit stops with "Can't parse a+lora+lora2")`,
    ]);
  });
  it('base+adapter (a LoRA merged into the model first), each part with its own revision', () => {
    expect(problems(taskArithmeticOf('org/base+org/lora'))).toEqual([]);
    expect(problems(taskArithmeticOf('org/base@v1+org/lora@abc123'))).toEqual([]);
    expect(recipeOf(taskArithmeticOf('org/base@v1+./local-lora'))!.models![0]!.model).toBe(
      'org/base@v1+./local-lora',
    );
    expect(problems(taskArithmeticOf('org/base+'))).toEqual([
      "3: models[0].model: 'org/base+' names no adapter: write model+adapter (org/model+org/lora-adapter)",
    ]);
    expect(problems(taskArithmeticOf('+org/lora'))).toEqual([
      "3: models[0].model: '+org/lora' names no model: write model+adapter (org/model+org/lora-adapter)",
    ]);
    expect(problems(taskArithmeticOf('org/base+org/lora@a@b'))).toEqual([
      `3: models[0].model: 'org/base+org/lora@a@b' has more than one '@' in 'org/lora@a@b': write org/name@revision (mergekit stops with "Invalid model path - multiple @")`,
    ]);
  });
  it("mergekit's mapping form of a reference, {model: {path, revision}, lora}, reads as the string", () => {
    const base = (ref: string): string | undefined => recipeOf(withBase(ref))?.base_model;
    expect(base('{model: {path: org/base, revision: v1}}')).toBe('org/base@v1');
    expect(base('{model: org/base@v1, lora: {path: org/lora, revision: abc}}')).toBe(
      'org/base@v1+org/lora@abc',
    );
    expect(base('{model: {path: ./local}, lora: null, override_architecture: null}')).toBe('./local');
    expect(problems(withBase('{model: {path: org/base, revision: v1}, lora: org/lora}'))).toEqual([]);
    // Written back as mergekit writes a reference without an override: the string.
    expect(recipeToYaml(recipeOf(withBase('{model: {path: org/b, revision: v1}}'))!)).toContain(
      'base_model: org/b@v1',
    );
    // Models named once as a string and once as a mapping are the same model.
    expect(
      problems(
        'merge_method: linear\nmodels:\n  - model: org/a@v1\n    parameters: {weight: 1}\n  - model: {model: {path: org/a, revision: v1}}\n    parameters: {weight: 1}\n',
      ),
    ).toEqual([
      '5: models[1].model: org/a@v1 is listed twice (models[0] and here); mergekit merges each model once, with the parameters of its first entry, so this entry would change nothing: list it once, and raise its weight to count it more',
    ]);
  });
  it('refuses what the mapping form cannot say, with the key to fix', () => {
    expect(problems(asModel('{model: {path: org/a, revison: v1}}'))).toEqual([
      "3: models[0].model.model.revison: unknown key 'revison' (did you mean 'revision'?); mergekit would ignore it silently",
    ]);
    expect(problems(asModel('{modle: org/a}'))).toEqual([
      `3: models[0].model.modle: unknown key 'modle' (did you mean 'model'?); mergekit would stop with "Field required"`,
      '3: models[0].model: a model reference mapping needs model: (its path, or {path, revision})',
    ]);
    expect(problems(asModel('{model: {path: org/a@v1, revision: v2}}'))).toEqual([
      "3: models[0].model.model.path: 'org/a@v1' has a '@': give the revision as revision:, the adapter as lora:",
    ]);
    expect(problems(asModel('{model: org/a+org/l}'))).toEqual([
      "3: models[0].model.model: 'org/a+org/l' has a '+': give the adapter as lora:, not in the model's path",
    ]);
    expect(problems(asModel('{model: org/a, override_architecture: MistralForCausalLM}'))).toEqual([
      "3: models[0].model.override_architecture: override_architecture is not supported: Merge Studio reads a model's layers from its tensor names, not from config.json's architectures; remove it (and edit architectures in the merged config.json if it must change)",
    ]);
    expect(problems(asModel('{model: {revision: v1}}'))).toEqual([
      '3: models[0].model.model.path: a model path is required',
    ]);
  });
  it('a misspelled required key: mergekit stops, it does not ignore it', () => {
    expect(problems('merge_methd: linear\nmodels: [{model: a, parameters: {weight: 1}}]\n')[0]).toBe(
      `1: merge_methd: unknown key 'merge_methd' (did you mean 'merge_method'?); mergekit would stop with "Field required"`,
    );
    expect(
      problems(
        'merge_method: passthrough\nslices:\n  - sources:\n      - {model: a, layer-range: [0, 2]}\n',
      )[0],
    ).toBe(
      `4: slices[0].sources[0].layer-range: unknown key 'layer-range' (did you mean 'layer_range'?); mergekit would stop with "Field required"`,
    );
    expect(problems(`${TIES}densty: 1\n`)).toEqual([
      "6: densty: unknown key 'densty'; mergekit would ignore it silently",
    ]);
  });
  it('a second document, a key given twice', () => {
    expect(problems(`${TIES}---\n${TIES}`)).toEqual([
      '6: (root): one recipe per file: a second YAML document (---) starts at line 6; a file of several recipes is a multi-stage merge (mergekit-multi): run it with merge-studio multi FILE --intermediate-dir DIR (mergekit-yaml refuses it too)',
    ]);
    // A stage's name in a file of one recipe: mergekit-yaml ignores it, we point to `multi`.
    expect(problems(`name: stage1\n${TIES}`)).toEqual([
      "1: name: 'name' names a stage of a multi-stage merge (mergekit-multi), not a single recipe: run a file of named stages (separated by ---) with merge-studio multi FILE --intermediate-dir DIR, or remove 'name' to merge this recipe alone",
    ]);
    expect(
      problems(
        'merge_method: linear\nmodels:\n  - model: a\n    parameters:\n      weight: 0.3\n      weight: 0.7\n',
      ),
    ).toEqual([
      "6: models[0].parameters.weight: 'weight' is given twice in models[0].parameters (mergekit would silently use the last, 0.7); keep one",
    ]);
    expect(problems('merge_method: linear\nmerge_method: ties\n')[0]).toMatch(
      /^2: merge_method: 'merge_method' is given twice at the top level \(mergekit would silently use the last, "ties"\)/,
    );
  });
  it('the linear base warning only where the base is added as an input (models:)', () => {
    const models =
      'merge_method: linear\nbase_model: a\nmodels: [{model: b, parameters: {weight: 1}}]\nparameters: {weight: 1}\n';
    expect(problems(models, 'warning')).toEqual([
      '2: base_model: linear has no base: base_model is merged as one more input',
    ]);
    const slices =
      'merge_method: linear\nbase_model: a\nslices:\n  - sources: [{model: b, layer_range: [0, 2], parameters: {weight: 1}}]\n';
    expect(problems(slices, 'warning')).toEqual([]);
  });
  it('a misspelled filter key, and what mergekit would make of it', () => {
    expect(problems(`${TIES}parameters:\n  lambda: [{filters: mlp, value: 1}]\n`)).toEqual([
      "7: parameters.lambda[0].filters: unknown key 'filters' in a filtered value (did you mean 'filter'?); mergekit would ignore it, so this entry would match every tensor",
    ]);
  });
  it('residual_weight is kept when the recipe is written back', () => {
    const r = recipeOf(
      'merge_method: passthrough\nslices:\n  - sources: [{model: a, layer_range: [0, 2]}]\n    residual_weight: 0.5\n',
    )!;
    expect(recipeToYaml(r)).toContain('    residual_weight: 0.5\n');
  });
  it('dtype spellings', () => {
    expect(problems(`${TIES}dtype: bf16\n`)).toEqual([
      '6: dtype: dtype must be one of float32, float16, bfloat16, not "bf16" (did you mean bfloat16?)',
    ]);
    expect(problems(`${TIES}dtype: float64\n`)).toEqual([
      '6: dtype: dtype must be one of float32, float16, bfloat16, not "float64"',
    ]);
  });
});

describe('tokenizer keys', () => {
  const base = 'merge_method: linear\nmodels: [{model: a, parameters: {weight: 1}}]\n';
  it('tokenizer_source: base and tokenizer: {source: base} are kept as written', () => {
    expect(recipeOf(`${base}tokenizer_source: base\n`)?.tokenizer_source).toBe('base');
    const r = recipeOf(`${base}tokenizer:\n  source: base\n`)!;
    expect(r.tokenizer).toEqual({ source: 'base' });
    expect(recipeToYaml(r)).toContain('tokenizer:\n  source: base\n');
  });
  it('reads union, a model, tokens and pad_to_multiple_of as mergekit does; source defaults to union', () => {
    expect(recipeOf(`${base}tokenizer_source: union\n`)?.tokenizer_source).toBe('union');
    expect(recipeOf(`${base}tokenizer: {}\n`)?.tokenizer).toEqual({ source: 'union' });
    const r = recipeOf(`${base}tokenizer:
  source: a
  pad_to_multiple_of: 64
  tokens:
    "<x>": {source: a, force: true}
    "<z>": {source: {kind: zero}}
    "<y>": {source: {kind: model_token, model: a, token_id: 3}}
`)!;
    expect(r.tokenizer).toEqual({
      source: 'a',
      pad_to_multiple_of: 64,
      tokens: {
        '<x>': { source: 'a', force: true },
        '<z>': { source: { kind: 'zero' } },
        '<y>': { source: { kind: 'model_token', model: 'a', token_id: 3 } },
      },
    });
    expect(recipeOf(recipeToYaml(r))).toEqual(r);
    // Model references in mergekit's mapping form, where a model is named.
    const m = recipeOf(`${base}tokenizer:
  source: {model: {path: a}}
  tokens:
    "<x>": {source: {model: a}}
    "<y>": {source: {kind: model_token, model: {model: {path: a}}, token: "<s>"}}
`)!;
    expect(m.tokenizer).toEqual({
      source: 'a',
      tokens: {
        '<x>': { source: 'a' },
        '<y>': { source: { kind: 'model_token', model: 'a', token: '<s>' } },
      },
    });
  });
  it('refuses what mergekit refuses or fails on later', () => {
    expect(problems(`${base}tokenizer: {tokens: {"<x>": {force: true}}}\n`)[0]).toMatch(/source is required/);
    expect(
      problems(`${base}tokenizer: {tokens: {"<x>": {source: {kind: model_token, model: a}}}}\n`)[0],
    ).toMatch(/give exactly one of token and token_id/);
    expect(problems(`${base}tokenizer: {pad_to_multiple_of: 0}\n`)[0]).toMatch(/whole number, 1 or more/);
    expect(problems(`${base}tokenizer: {source: [a]}\n`)[0]).toMatch(
      /base, union or one of the recipe's models/,
    );
    expect(problems(`${base}chat_template: x\n`)[0]).toMatch(/neither a known name nor a Jinja template/);
    expect(problems(`${base}tokenizer_source: base\ntokenizer: {source: base}\n`)).toEqual([
      '4: tokenizer: give tokenizer_source or tokenizer, not both (mergekit stops with "Cannot specify both tokenizer_source and tokenizer")',
    ]);
  });
});
