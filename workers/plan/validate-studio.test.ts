/**
 * The recipe's `merge_studio:` block: its keys and values checked with suggestions for
 * misspellings, warnings where an option changes nothing for the method (or where `rescale` is
 * off), and a round trip through recipeToYaml.
 */
import { describe, expect, it } from 'vitest';
import { formatPath } from './problems.ts';
import { getMethod } from '../methods/registry.ts';
import { parseRecipeYaml, recipeToYaml } from './recipe-yaml.ts';
import { weighedModels } from './validate-studio.ts';

const TIES = `merge_method: ties
base_model: b
models:
  - model: a
    parameters: {weight: 1, density: 0.5}
`;
const DARE = TIES.replace('ties', 'dare_ties');

function problems(yaml: string, severity: 'error' | 'warning'): string[] {
  return parseRecipeYaml(yaml)
    .problems.filter((p) => p.severity === severity)
    .map((p) => `${p.line ?? '?'}: ${formatPath(p.path)}: ${p.message}`);
}
const errors = (yaml: string) => problems(yaml, 'error');
const warnings = (yaml: string) => problems(yaml, 'warning');

describe('merge_studio: consensus and rescale_norm', () => {
  it('takes every value, with no problem where the method uses it', () => {
    for (const consensus of ['sum', 'count']) {
      for (const norm of ['l1', 'l2', 'linf', 'inverse_density']) {
        const yaml = `${DARE}merge_studio: {consensus: ${consensus}, rescale_norm: ${norm}}\n`;
        const { recipe, problems: all } = parseRecipeYaml(yaml);
        expect(all).toEqual([]);
        expect(recipe?.merge_studio).toEqual({ consensus, rescale_norm: norm });
      }
    }
  });

  it('a misspelled key, with a suggestion', () => {
    expect(errors(`${TIES}merge_studio:\n  concensus: count\n`)).toEqual([
      "7: merge_studio.concensus: unknown key 'concensus' (did you mean 'consensus'?); mergekit would ignore it silently",
    ]);
    expect(errors(`${DARE}merge_studio:\n  rescale_nrom: l2\n`)[0]).toMatch(
      /merge_studio\.rescale_nrom: unknown key 'rescale_nrom' \(did you mean 'rescale_norm'\?\)/,
    );
  });

  it('a misspelled or unknown value, with a suggestion where one is likely', () => {
    expect(errors(`${TIES}merge_studio:\n  consensus: cout\n`)).toEqual([
      "7: merge_studio.consensus: consensus must be sum or count, not 'cout' (did you mean 'count'?)",
    ]);
    expect(errors(`${DARE}merge_studio:\n  rescale_norm: L2\n`)).toEqual([
      "7: merge_studio.rescale_norm: rescale_norm must be one of l1, l2, linf, inverse_density, not 'L2' (did you mean 'l2'?)",
    ]);
    expect(errors(`${DARE}merge_studio:\n  rescale_norm: 1/p\n`)[0]).toMatch(
      /did you mean 'inverse_density'\?/,
    );
    expect(errors(`${DARE}merge_studio:\n  rescale_norm: max\n`)[0]).toMatch(/did you mean 'linf'\?/);
    expect(errors(`${DARE}merge_studio:\n  rescale_norm: 2\n`)).toEqual([
      "7: merge_studio.rescale_norm: rescale_norm must be one of l1, l2, linf, inverse_density, not 2 (did you mean 'l2'?)",
    ]);
    expect(errors(`${TIES}merge_studio:\n  consensus: majority\n`)).toEqual([
      "7: merge_studio.consensus: consensus must be sum or count, not 'majority'",
    ]);
    expect(errors(`${TIES}merge_studio:\n  consensus: votes\n`)[0]).toMatch(/did you mean 'count'\?/);
    expect(errors(`${TIES}merge_studio:\n  consensus: [sum]\n`)[0]).toMatch(
      /consensus must be sum or count, not \["sum"\]$/,
    );
  });

  it('warns where the method has no sign election, or no sparsifier to rescale', () => {
    const linear = 'merge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: 1}\n';
    expect(warnings(`${linear}merge_studio: {consensus: count, rescale_norm: l2}\n`)).toEqual([
      '5: merge_studio.consensus: linear elects no sign, so consensus changes nothing; it applies to ties, dare_ties, breadcrumbs_ties, della, sce',
      '5: merge_studio.rescale_norm: linear does not rescale, so rescale_norm changes nothing; it applies to ties, dare_ties, dare_linear, breadcrumbs, breadcrumbs_ties, della, della_linear, with rescale: true',
    ]);
    expect(
      warnings(`${DARE.replace('dare_ties', 'dare_linear')}merge_studio: {consensus: sum}\n`)[0],
    ).toMatch(/dare_linear elects no sign/);
    // sce elects a sign but has no rescale
    const sce = 'merge_method: sce\nbase_model: b\nmodels:\n  - model: a\n';
    expect(warnings(`${sce}merge_studio: {consensus: count}\n`)).toEqual([]);
    expect(warnings(`${sce}merge_studio: {rescale_norm: linf}\n`)[0]).toMatch(/sce does not rescale/);
  });

  it('warns about rescale_norm while rescale is off (ties’ default), not once it is on', () => {
    expect(warnings(`${TIES}merge_studio: {rescale_norm: l2}\n`)).toEqual([
      '6: merge_studio.rescale_norm: rescale is off, so rescale_norm changes nothing: set parameters: {rescale: true}',
    ]);
    expect(warnings(`${TIES}parameters: {rescale: false}\nmerge_studio: {rescale_norm: l2}\n`)).toHaveLength(
      1,
    );
    expect(warnings(`${TIES}parameters: {rescale: true}\nmerge_studio: {rescale_norm: l2}\n`)).toEqual([]);
    // on for some layers: it may apply
    expect(
      warnings(
        `${TIES}parameters: {rescale: [{filter: mlp, value: true}, {value: false}]}\nmerge_studio: {rescale_norm: l2}\n`,
      ),
    ).toEqual([]);
    // dare_ties rescales by default; turned off, it warns
    expect(warnings(`${DARE}merge_studio: {rescale_norm: l2}\n`)).toEqual([]);
    expect(warnings(`${DARE}parameters: {rescale: false}\nmerge_studio: {rescale_norm: l2}\n`)).toHaveLength(
      1,
    );
    // slices: on in one slice is enough
    const sliced = `merge_method: ties
base_model: b
slices:
  - sources:
      - {model: a, layer_range: [0, 2], parameters: {weight: 1}}
      - {model: b, layer_range: [0, 2]}
    parameters: {rescale: true}
merge_studio: {rescale_norm: linf}
`;
    expect(warnings(sliced)).toEqual([]);
    expect(warnings(sliced.replace('rescale: true', 'rescale: false'))).toHaveLength(1);
  });

  it('names the new keys when merge_studio is not a mapping', () => {
    expect(errors(`${TIES}merge_studio: count\n`)[0]).toMatch(
      /merge_studio must be a mapping \(seed, compute_dtype, fix, consensus, rescale_norm, topk_scope, weights\)/,
    );
  });

  it('round-trips through recipeToYaml, keys in a fixed order', () => {
    const yaml = `${DARE}merge_studio:\n  rescale_norm: inverse_density\n  consensus: count\n  seed: 3\n`;
    const { recipe } = parseRecipeYaml(yaml);
    expect(recipe).toBeDefined();
    const out = recipeToYaml(recipe!);
    expect(out).toMatch(
      /\nmerge_studio:\n {2}seed: 3\n {2}consensus: count\n {2}rescale_norm: inverse_density\n$/,
    );
    const again = parseRecipeYaml(out);
    expect(again.problems).toEqual([]);
    expect(again.recipe).toEqual(recipe);
    // the order does not depend on how the block was built
    const built = {
      ...recipe!,
      merge_studio: { rescale_norm: 'inverse_density', consensus: 'count', seed: 3 },
    } as const;
    expect(recipeToYaml(built)).toBe(out);
  });
});

describe('merge_studio: topk_scope and weights', () => {
  const KARCHER = 'merge_method: karcher\nmodels:\n  - model: a\n  - model: b\n  - model: c\n';
  const STOCK = 'merge_method: model_stock\nbase_model: b\nmodels:\n  - model: a\n  - model: c\n';

  it('topk_scope: tensor or row for the magnitude cuts, without a problem', () => {
    for (const method of ['ties', 'breadcrumbs', 'breadcrumbs_ties']) {
      for (const scope of ['tensor', 'row']) {
        const { recipe, problems: all } = parseRecipeYaml(
          `${TIES.replace('ties', method)}merge_studio: {topk_scope: ${scope}}\n`,
        );
        expect(all).toEqual([]);
        expect(recipe?.merge_studio).toEqual({ topk_scope: scope });
      }
    }
  });

  it('topk_scope: other values, with a suggestion', () => {
    expect(errors(`${TIES}merge_studio: {topk_scope: rows}\n`)).toEqual([
      "6: merge_studio.topk_scope: topk_scope must be tensor or row, not 'rows' (did you mean 'row'?)",
    ]);
    expect(errors(`${TIES}merge_studio: {topk_scope: per_tensor}\n`)[0]).toMatch(/did you mean 'tensor'\?/);
    expect(errors(`${TIES}merge_studio: {topk_scope: 1}\n`)[0]).toMatch(/must be tensor or row, not 1$/);
  });

  it('topk_scope: global is refused, saying why', () => {
    for (const v of ['global', 'Global', 'model']) {
      const e = errors(`${TIES}merge_studio: {topk_scope: ${v}}\n`);
      expect(e).toHaveLength(1);
      expect(e[0]).toMatch(/^6: merge_studio\.topk_scope: topk_scope global \(one cut over the whole model/);
      expect(e[0]).toMatch(/every tensor of every model read before the first is merged/);
      expect(e[0]).toMatch(/one density for all tensors; use 'tensor' \(mergekit\) or 'row'$/);
    }
  });

  it('topk_scope: a warning where the method keeps no top-k by magnitude', () => {
    expect(warnings(`${DARE}merge_studio: {topk_scope: row}\n`)).toEqual([
      '6: merge_studio.topk_scope: dare_ties keeps no top-k by magnitude, so topk_scope changes nothing; it applies to ties, breadcrumbs, breadcrumbs_ties',
    ]);
    expect(warnings(`${KARCHER}merge_studio: {topk_scope: tensor}\n`)[0]).toMatch(/karcher keeps no top-k/);
  });

  it('weights: a positive number for each model named', () => {
    for (const yaml of [KARCHER, STOCK]) {
      const { recipe, problems: all } = parseRecipeYaml(`${yaml}merge_studio:\n  weights: {a: 2, c: 0.5}\n`);
      expect(all).toEqual([]);
      expect(recipe?.merge_studio).toEqual({ weights: { a: 2, c: 0.5 } });
    }
  });

  it('weighs what the method averages: karcher’s base too, not model_stock’s', () => {
    const withBase = parseRecipeYaml(`${STOCK.replace('model_stock', 'karcher')}`).recipe!;
    expect(weighedModels(withBase, getMethod('karcher')!)).toEqual(['a', 'c', 'b']);
    const stock = parseRecipeYaml(STOCK).recipe!;
    expect(weighedModels(stock, getMethod('model_stock')!)).toEqual(['a', 'c']);
    const sliced = parseRecipeYaml(
      'merge_method: model_stock\nbase_model: b\nslices:\n  - sources:\n' +
        '      - {model: a, layer_range: [0, 2]}\n      - {model: b, layer_range: [0, 2]}\n' +
        '      - {model: c, layer_range: [0, 2]}\n',
    ).shaped!;
    expect(weighedModels(sliced, getMethod('model_stock')!)).toEqual(['a', 'c']);
  });

  it('weights: other values are errors', () => {
    expect(errors(`${KARCHER}merge_studio:\n  weights: {a: 0, c: -1}\n`)).toEqual([
      '7: merge_studio.weights.a: the weight of a must be a number above 0, not 0',
      '7: merge_studio.weights.c: the weight of c must be a number above 0, not -1',
    ]);
    expect(errors(`${KARCHER}merge_studio:\n  weights: {a: '2'}\n`)[0]).toMatch(
      /must be a number above 0, not "2"$/,
    );
    expect(errors(`${KARCHER}merge_studio:\n  weights: {a: .inf}\n`)[0]).toMatch(/not null$/);
    expect(errors(`${KARCHER}merge_studio:\n  weights: [1, 2]\n`)).toEqual([
      '7: merge_studio.weights: weights must be a mapping of model: weight (org/a: 2)',
    ]);
  });

  it('weights: warnings for a model not weighed (misspelled, or model_stock’s base)', () => {
    expect(warnings(`${KARCHER}merge_studio:\n  weights: {aa: 2}\n`)).toEqual([
      "7: merge_studio.weights.aa: aa is not a model of this recipe, so its weight changes nothing (did you mean 'a'?)",
    ]);
    expect(warnings(`${STOCK}merge_studio:\n  weights: {b: 2, a: 1}\n`)).toEqual([
      '7: merge_studio.weights.b: b is only the base here, which model_stock does not average: its weight changes nothing',
    ]);
  });

  it('weights: a warning for a method without them, naming its own weight parameter', () => {
    const linear = 'merge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: 1}\n';
    expect(warnings(`${linear}merge_studio: {weights: {a: 2}}\n`)).toEqual([
      "5: merge_studio.weights: linear takes no merge_studio.weights, so they change nothing; they apply to karcher, model_stock; give linear's models parameters: {weight: ...} instead",
    ]);
    expect(warnings(`${TIES}merge_studio: {weights: {a: 2}}\n`)[0]).toMatch(
      /ties takes no merge_studio\.weights/,
    );
  });

  it('a weight parameter for karcher or model_stock is still refused, as mergekit would ignore it', () => {
    for (const yaml of [KARCHER, STOCK]) {
      expect(
        errors(yaml.replace('  - model: a\n', '  - model: a\n    parameters: {weight: 2}\n'))[0],
      ).toMatch(/has no parameter 'weight' \(it is used by .*\); mergekit would ignore it silently$/);
    }
  });

  it('round-trips, the new keys after the others', () => {
    const yaml = `${KARCHER}merge_studio:\n  weights: {c: 2, a: 0.5}\n  topk_scope: row\n  seed: 1\n`;
    const { recipe } = parseRecipeYaml(yaml);
    const out = recipeToYaml(recipe!);
    expect(out).toMatch(
      /\nmerge_studio:\n {2}seed: 1\n {2}topk_scope: row\n {2}weights:\n {4}c: 2\n {4}a: 0.5\n$/,
    );
    const again = parseRecipeYaml(out);
    expect(again.recipe).toEqual(recipe);
    // model names that need quoting in YAML come back the same
    const odd = { ...recipe!, merge_studio: { weights: { 'org/a@main+org/lora': 2, yes: 3 } } };
    expect(parseRecipeYaml(recipeToYaml(odd)).recipe?.merge_studio).toEqual(odd.merge_studio);
  });
});
