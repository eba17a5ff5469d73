/**
 * Multi-stage files: the stages, their order, the references rewritten to the stages' folders,
 * and every problem with its line in the whole file.
 */
import { describe, expect, it } from 'vitest';
import { loadMultiRecipe, parseMultiRecipeYaml, stageFolder } from './multi-recipe.ts';
import { formatProblem, RecipeError } from './problems.ts';
import { recipeToYaml } from './recipe-yaml.ts';

const DIR = './inter';
const linear = (name: string | undefined, a: string, b: string): string =>
  `${name === undefined ? '' : `name: ${name}\n`}merge_method: linear\nmodels:\n  - model: ${a}\n    parameters: {weight: 0.5}\n  - model: ${b}\n    parameters: {weight: 0.5}\n`;
const file = (...docs: string[]): string => docs.join('---\n');

const stagesOf = (text: string) => {
  const { stages, problems } = parseMultiRecipeYaml(text, DIR);
  expect(problems.map((p) => formatProblem(p))).toEqual([]);
  return stages!;
};
const errors = (text: string): string[] =>
  parseMultiRecipeYaml(text, DIR)
    .problems.filter((p) => p.severity === 'error')
    .map((p) => formatProblem(p));

describe('a multi-stage file', () => {
  it('runs each stage after the stages it reads, the final merge last, and rewrites the names to folders', () => {
    const text = file(
      linear(undefined, 'two', 'org/c'), // the final merge, first in the file
      linear('two', 'one', 'org/b'),
      linear('one', 'org/a', 'org/b'),
      linear('free', 'org/a', 'org/c'),
    );
    const stages = stagesOf(text);
    expect(stages.map((s) => [s.name, s.line, s.reads])).toEqual([
      ['one', 16, []],
      ['two', 8, ['one']],
      ['free', 24, []],
      [undefined, 1, ['two']],
    ]);
    expect(stages[1]!.recipe.models!.map((m) => m.model)).toEqual(['./inter/one', 'org/b']);
    expect(stages[3]!.recipe.models!.map((m) => m.model)).toEqual(['./inter/two', 'org/c']);
    // The name is gone from the recipe: it is not a recipe key.
    expect(recipeToYaml(stages[0]!.recipe)).not.toMatch(/name/);
  });

  it('rewrites every place a model is named; a name that is no stage stays a model id', () => {
    const text = file(
      linear('s', 'org/a', 'org/b'),
      `merge_method: karcher
slices:
  - sources:
      - {model: s+org/lora, layer_range: [0, 2]}
      - {model: s@main, layer_range: [0, 2]}
      - {model: org/s, layer_range: [0, 2]}
      - {model: not-a-stage, layer_range: [0, 2]}
tokenizer:
  source: s@main
  tokens:
    <a>: {source: s+org/lora}
    <b>: {source: {kind: model_token, model: s@main, token: x}}
merge_studio: {weights: {s@main: 2}}
`,
    );
    const final = stagesOf(text)[1]!;
    expect(final.reads).toEqual(['s']);
    expect(final.recipe.slices![0]!.sources.map((s) => s.model)).toEqual([
      './inter/s+org/lora',
      './inter/s@main',
      'org/s',
      'not-a-stage',
    ]);
    expect(final.recipe.tokenizer).toEqual({
      source: './inter/s@main',
      tokens: {
        '<a>': { source: './inter/s+org/lora' },
        '<b>': { source: { kind: 'model_token', model: './inter/s@main', token: 'x' } },
      },
    });
    expect(final.recipe.merge_studio).toEqual({ weights: { './inter/s@main': 2 } });
  });

  it('a stage named base is read as base_model, while tokenizer_source: base keeps its meaning', () => {
    const text = file(
      linear('base', 'org/a', 'org/b'),
      'merge_method: task_arithmetic\nbase_model: base\nmodels:\n  - model: org/c\n    parameters: {weight: 1}\ntokenizer_source: base\n',
    );
    const final = stagesOf(text)[1]!.recipe;
    expect(final.base_model).toBe('./inter/base');
    expect(final.tokenizer_source).toBe('base');
  });

  it('ignores empty documents (a leading or trailing ---, comments only)', () => {
    const stages = stagesOf(
      `---\n${file(linear('a', 'x', 'y'), '# nothing here\n', linear(undefined, 'a', 'y'))}---\n`,
    );
    expect(stages.map((s) => [s.name, s.line])).toEqual([
      ['a', 2],
      [undefined, 12],
    ]);
  });

  it('joins the folder to the intermediate directory once, as written', () => {
    expect(stageFolder('./inter', 's')).toBe('./inter/s');
    expect(stageFolder('/tmp/x/', 's')).toBe('/tmp/x/s');
    expect(stageFolder('/', 's')).toBe('/s');
  });
});

describe('problems, each with its line in the whole file and its document', () => {
  it('a recipe error in a later document, and a key given twice there', () => {
    const text = file(
      linear('a', 'x', 'y'),
      linear(undefined, 'a', 'y').replace('weight: 0.5}\n  - model: y', 'wieght: 0.5}\n  - model: y'),
    );
    expect(errors(text)).toEqual([
      "12:18: models[0].parameters.wieght: unknown parameter 'wieght' for linear (did you mean 'weight'?); known: weight, normalize (in document 2)",
    ]);
    expect(errors(file(linear('a', 'x', 'y'), 'merge_method: linear\nmerge_method: ties\n'))).toEqual([
      `10:1: merge_method: 'merge_method' is given twice at the top level (mergekit would silently use the last, "ties"); keep one (in document 2)`,
    ]);
  });

  it('a cycle, named, at the reference that starts it', () => {
    const text = file(
      linear('a', 'b', 'x'),
      linear('b', 'c', 'x'),
      linear('c', 'a', 'x'),
      linear(undefined, 'c', 'x'),
    );
    expect(errors(text)).toEqual([
      '4:5: models[0].model: the stages read each other in a cycle: a -> b -> c -> a; one of them must read a model instead (in document 1, stage a)',
    ]);
  });

  it('a stage that reads itself', () => {
    expect(errors(linear('a', 'x', 'a@main'))).toEqual([
      '6:5: models[1].model: stage a names itself as a model: a stage cannot read its own output; name another stage or model (in document 1, stage a)',
    ]);
  });

  it('a name given twice, a second unnamed document', () => {
    const text = file(
      linear('a', 'x', 'y'),
      linear('a', 'x', 'z'),
      linear(undefined, 'a', 'y'),
      linear(undefined, 'a', 'z'),
    );
    expect(errors(text)).toEqual([
      "9:1: name: stage name 'a' is also the name of the stage at line 1: each stage needs its own name (it is the folder the stage is written to) (in document 2, stage a)",
      '24:1: (root): a second document without a name (the first is at line 17): only the final merge, written to --out, may be unnamed; give this one name: <stage> (in document 4)',
    ]);
  });

  it('names that cannot be a folder or a reference', () => {
    for (const [name, message] of [
      ['org/a', "'org/a' cannot name a stage"],
      ['a+b', "'a+b' cannot name a stage"],
      ['..', "'..' cannot name a stage"],
      ['', 'name is empty'],
      ['7', 'name must be text'],
    ] as const) {
      expect(errors(linear(name, 'x', 'y'))[0]).toMatch(
        new RegExp(`^1:1: name: ${message.replace(/[.+]/g, '\\$&')}`),
      );
    }
  });

  it('an empty file, and the single-recipe refusal of a name is not applied here', () => {
    expect(errors('# nothing\n')).toEqual(['1:1: (root): the file holds no recipe']);
    expect(errors(linear('a', 'x', 'y'))).toEqual([]);
  });

  it('loadMultiRecipe throws a RecipeError with the file name and every error', () => {
    const text = file(linear('a', 'a', 'y'), linear('a', 'x', 'y'));
    expect(() => loadMultiRecipe(text, DIR, 'multi.yml')).toThrow(RecipeError);
    expect(() => loadMultiRecipe(text, DIR, 'multi.yml')).toThrow(
      /^multi\.yml:4:5: models\[0\]\.model: stage a names itself.*\nmulti\.yml:9:1: name: stage name 'a' is also/s,
    );
  });
});
