/**
 * The method settings' `merge_studio` controls as rendered (to markup, no DOM): "Sign consensus"
 * and "Rescale norm" appear, labelled, only for the methods they apply to, and choosing a value
 * (pressed through StudioOptionFields' element tree, which has no hooks) edits the recipe and
 * its YAML; mergekit's values leave no key behind.
 */
import { type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { getMethod } from '../../../workers/methods/registry.ts';
import { recipeToYaml } from '../../../workers/plan/recipe-yaml.ts';
import { useStudio } from '../../stores/store.ts';
import { ParamControls } from './ParamControls.tsx';
import { StudioOptionFields } from './StudioOptionFields.tsx';
import { StudioWeightFields } from './StudioWeightFields.tsx';
import { findElement } from '../../shared/element-tree.ts';

vi.mock('zustand', () => import('../../shared/render-with-store.ts'));

const s = () => useStudio.getState();
const html = (): string => renderToStaticMarkup(<ParamControls />);

/** A recipe of `method` with a base and one model (sce takes no per-model parameters). */
const recipe = (method: string): string =>
  `merge_method: ${method}\nbase_model: org/base\nmodels:\n  - model: org/base\n  - model: org/a\n` +
  (method === 'sce' ? '' : '    parameters: {weight: 1, density: 0.5}\n');

/** The select labelled `label` (undefined when absent): the values of its options, and the selected one's. */
function select(
  markup: string,
  label: string,
): { values: string[]; selected: string | undefined } | undefined {
  const id = new RegExp(`<label for="([^"]+)">${label}</label>`).exec(markup)?.[1];
  if (id === undefined) return undefined;
  const options = new RegExp(`<select[^>]*id="${id}"[^>]*>(.*?)</select>`).exec(markup)?.[1];
  expect(options, `the select of ${label}`).toBeDefined();
  return {
    values: [...options!.matchAll(/<option value="([^"]+)"/g)].map((m) => m[1]!),
    selected: /<option value="([^"]+)" selected=""/.exec(options!)?.[1],
  };
}

type Props = {
  id?: string;
  children?: ReactNode;
  onChange?: (e: { target: { value: string } }) => void;
  onClick?: () => void;
};

const fields = () =>
  StudioOptionFields({ id: 'x', recipe: s().recipe, method: getMethod(s().recipe.merge_method)!, edit: s() });

/** Does what a user's choice of `value` in control `which` does. */
function choose(which: 'consensus' | 'rescale-norm' | 'topk-scope', value: string): void {
  const control = findElement<Props>(fields(), (e) => e.props.id === `x-${which}`);
  expect(control, which).toBeDefined();
  control!.props.onChange!({ target: { value } });
}

beforeEach(() => {
  s().editYaml(recipe('ties'));
});

describe('merge_studio controls in the method settings', () => {
  it('ties: both, at mergekit’s values, with a note that rescale is off', () => {
    const markup = html();
    expect(select(markup, 'Sign consensus')).toEqual({ values: ['sum', 'count'], selected: 'sum' });
    expect(select(markup, 'Rescale norm')).toEqual({
      values: ['l1', 'l2', 'linf', 'inverse_density'],
      selected: 'l1',
    });
    expect(markup).toContain('Rescale is off: turn it on for this to apply.');
    // the hints describe the selects
    expect(markup).toMatch(/<select[^>]*aria-describedby="[^"]*-consensus-hint"/);
  });

  it('only where they apply: none for linear, the norm alone for dare_linear, consensus alone for sce', () => {
    s().setMethod('linear');
    expect(select(html(), 'Sign consensus')).toBeUndefined();
    expect(select(html(), 'Rescale norm')).toBeUndefined();
    s().editYaml(recipe('dare_linear'));
    expect(select(html(), 'Sign consensus')).toBeUndefined();
    expect(select(html(), 'Rescale norm')?.selected).toBe('l1');
    expect(html()).not.toContain('Rescale is off'); // dare rescales by default
    expect(s().editYaml(recipe('sce'))).toBe(true);
    expect(select(html(), 'Sign consensus')?.selected).toBe('sum');
    expect(select(html(), 'Rescale norm')).toBeUndefined();
  });

  it('Count and 1 / density: the recipe, its YAML, and the controls; mergekit’s values remove the keys', () => {
    s().editYaml(recipe('dare_ties'));
    choose('consensus', 'count');
    choose('rescale-norm', 'inverse_density');
    expect(s().recipe.merge_studio).toEqual({ consensus: 'count', rescale_norm: 'inverse_density' });
    expect(recipeToYaml(s().recipe)).toMatch(
      /\nmerge_studio:\n {2}consensus: count\n {2}rescale_norm: inverse_density\n$/,
    );
    const markup = html();
    expect(select(markup, 'Sign consensus')?.selected).toBe('count');
    expect(select(markup, 'Rescale norm')?.selected).toBe('inverse_density');
    choose('consensus', 'sum');
    expect(s().recipe.merge_studio).toEqual({ rescale_norm: 'inverse_density' });
    choose('rescale-norm', 'l1');
    expect(s().recipe.merge_studio).toBeUndefined();
    expect(recipeToYaml(s().recipe)).not.toContain('merge_studio');
    choose('consensus', 'bogus'); // not a choice: ignored
    expect(s().recipe.merge_studio).toBeUndefined();
  });

  it('keeps the block’s other keys (a seed)', () => {
    s().editYaml(`${recipe('dare_ties')}merge_studio: {seed: 5}\n`);
    choose('rescale-norm', 'l2');
    expect(s().recipe.merge_studio).toEqual({ seed: 5, rescale_norm: 'l2' });
    choose('rescale-norm', 'l1');
    expect(s().recipe.merge_studio).toEqual({ seed: 5 });
  });

  it('an option left over from another method is named, and removed with its button', () => {
    choose('consensus', 'count');
    s().setMethod('task_arithmetic');
    const markup = html();
    expect(select(markup, 'Sign consensus')).toBeUndefined();
    expect(markup).toContain('merge_studio.consensus: count does not apply to Task Arithmetic.');
    const remove = findElement<Props>(
      fields(),
      (e) => e.type === 'button' && [e.props.children].flat().join('') === 'Remove consensus',
    );
    expect(remove).toBeDefined();
    remove!.props.onClick!();
    expect(s().recipe.merge_studio).toBeUndefined();
  });

  it('slices recipes get the controls too', () => {
    s().editYaml(
      'merge_method: ties\nbase_model: org/base\nslices:\n  - sources:\n' +
        '      - {model: org/base, layer_range: [0, 2]}\n' +
        '      - {model: org/a, layer_range: [0, 2], parameters: {weight: 1}}\n',
    );
    const markup = html();
    expect(markup).toContain('This recipe uses slices');
    expect(select(markup, 'Sign consensus')?.selected).toBe('sum');
  });
  it('modules recipes too, their parameters left to the YAML', () => {
    expect(
      s().editYaml(
        'merge_method: ties\nbase_model: org/base\nmodules:\n  text_decoder:\n    models:\n' +
          '      - {model: org/a, parameters: {weight: 1}}\n',
      ),
    ).toBe(true);
    const markup = html();
    expect(markup).toContain('This recipe uses modules: edit each module&#x27;s parameters in the YAML.');
    expect(select(markup, 'Sign consensus')?.selected).toBe('sum');
    // Models are named per module there: adding one from the picker changes nothing.
    const before = s().recipe;
    s().addModel('org/other');
    expect(s().recipe).toBe(before);
  });
});

/** A karcher or model_stock recipe of three models (base org/base). */
const means = (method: string): string =>
  `merge_method: ${method}\nbase_model: org/base\nmodels:\n  - model: org/base\n  - model: org/a\n  - model: org/b\n`;
const weightFields = () =>
  StudioWeightFields({ recipe: s().recipe, method: getMethod(s().recipe.merge_method)!, edit: s() });
/** The weight box of `model` as rendered: its value, or undefined when absent. */
const shownWeight = (markup: string, model: string): string | undefined => {
  const id = new RegExp(`<label for="([^"]+)">weight of ${model}</label>`).exec(markup)?.[1];
  return id === undefined ? undefined : new RegExp(`<input id="${id}"[^>]*value="([^"]*)"`).exec(markup)?.[1];
};
/** Does what typing `v` into `model`'s weight box does. */
function setWeight(model: string, v: number): void {
  const field = findElement<Props>(
    weightFields(),
    (e) => (e.props as { label?: string }).label === `weight of ${model}`,
  );
  expect(field, model).toBeDefined();
  (field!.props as unknown as { onChange: (v: number) => void }).onChange(v);
}

describe('topk_scope and weights in the method settings', () => {
  it('Top-k scope for ties and breadcrumbs, not for dare or della; row, then back to mergekit’s', () => {
    expect(select(html(), 'Top-k scope')).toEqual({ values: ['tensor', 'row'], selected: 'tensor' });
    expect(html()).toContain('One cut over the whole model is not offered');
    choose('topk-scope', 'row');
    expect(s().recipe.merge_studio).toEqual({ topk_scope: 'row' });
    expect(recipeToYaml(s().recipe)).toMatch(/\nmerge_studio:\n {2}topk_scope: row\n$/);
    expect(select(html(), 'Top-k scope')?.selected).toBe('row');
    choose('topk-scope', 'tensor');
    expect(s().recipe.merge_studio).toBeUndefined();
    s().editYaml(recipe('breadcrumbs'));
    expect(select(html(), 'Top-k scope')?.selected).toBe('tensor');
    for (const method of ['dare_ties', 'della', 'task_arithmetic']) {
      s().editYaml(recipe(method));
      expect(select(html(), 'Top-k scope'), method).toBeUndefined();
    }
  });

  it('karcher: a weight for every model it averages, the base too; 1 leaves no key', () => {
    s().editYaml(means('karcher'));
    const markup = html();
    expect(markup).toContain('Model weights');
    expect(['org/base', 'org/a', 'org/b'].map((m) => shownWeight(markup, m))).toEqual(['1', '1', '1']);
    expect(select(markup, 'Top-k scope')).toBeUndefined();
    setWeight('org/a', 2);
    setWeight('org/base', 0.5);
    expect(s().recipe.merge_studio).toEqual({ weights: { 'org/a': 2, 'org/base': 0.5 } });
    expect(recipeToYaml(s().recipe)).toMatch(
      /\nmerge_studio:\n {2}weights:\n {4}org\/a: 2\n {4}org\/base: 0.5\n$/,
    );
    expect(shownWeight(html(), 'org/a')).toBe('2');
    setWeight('org/a', 1);
    setWeight('org/base', 1);
    expect(s().recipe.merge_studio).toBeUndefined();
  });

  it('model_stock: the fine-tunes only', () => {
    s().editYaml(means('model_stock'));
    const markup = html();
    expect(shownWeight(markup, 'org/base')).toBeUndefined();
    expect(shownWeight(markup, 'org/a')).toBe('1');
    expect(markup).toContain('in the average of the fine-tunes');
  });

  it('a weight left for a model no longer merged, or for another method, is named and removable', () => {
    s().editYaml(`${means('karcher')}merge_studio:\n  weights: {org/gone: 3, org/a: 2}\n`);
    expect(html()).toContain('merge_studio.weights names org/gone, which Karcher Mean does not weigh here.');
    const remove = findElement<Props>(
      weightFields(),
      (e) => e.type === 'button' && [e.props.children].flat().join('') === 'Remove the weight of org/gone',
    );
    remove!.props.onClick!();
    expect(s().recipe.merge_studio).toEqual({ weights: { 'org/a': 2 } });
    s().setMethod('linear');
    expect(html()).toContain('merge_studio.weights does not apply to Linear.');
    const drop = findElement<Props>(
      fields(),
      (e) => e.type === 'button' && [e.props.children].flat().join('') === 'Remove weights',
    );
    drop!.props.onClick!();
    expect(s().recipe.merge_studio).toBeUndefined();
  });
});
