/**
 * The run options as rendered (to markup, no DOM): the name box is locked while a merge runs and
 * may be empty, the seed box shows a seed the recipe sets, "GPU (WebGPU)" cannot be chosen
 * where the browser has no WebGPU, and the tokenizer and chat template controls edit the recipe
 * (pressed through TokenizerFields' element tree, which has no hooks).
 */
import { type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { recipeToYaml } from '../../../workers/plan/recipe-yaml.ts';
import { useStudio } from '../../stores/store.ts';
import { RunPanel } from './RunPanel.tsx';
import { TokenizerFields } from './TokenizerOptions.tsx';
import { elementById } from '../../shared/element-tree.ts';

vi.mock('./BigMergeNotice.tsx', () => ({ BigMergeNotice: () => null }));
vi.mock('./PlanSummary.tsx', () => ({ PlanSummary: () => null }));
vi.mock('./ResumeBanner.tsx', () => ({ ResumeBanner: () => null }));

const s = () => useStudio.getState();

beforeEach(() => {
  vi.stubGlobal('window', {});
  vi.stubGlobal('navigator', {});
  s().runStarted('the folder “x”');
  s().runFailed('reset', false);
  s().setRunOptions({ outputName: 'merged-model', seed: 0, backend: 'auto' });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

/** Server rendering reads the store's initial state: this file's tests make it the current one. */
function html(): string {
  Object.assign(useStudio.getInitialState(), useStudio.getState());
  return renderToStaticMarkup(<RunPanel />);
}
/** The opening tag of the input labelled `label`. */
function input(markup: string, label: string): string {
  const id = new RegExp(`<label for="([^"]+)">${label}</label>`).exec(markup)?.[1];
  expect(id, label).toBeDefined();
  return new RegExp(`<input[^>]*id="${id}"[^>]*>`).exec(markup)![0];
}

/** The select labelled `label`: the text of its selected option. */
function select(markup: string, label: string): { selected: string | undefined } {
  const id = new RegExp(`<label for="([^"]+)">${label}</label>`).exec(markup)?.[1];
  expect(id, label).toBeDefined();
  const options = new RegExp(`<select[^>]*id="${id}"[^>]*>(.*?)</select>`).exec(markup)![1]!;
  return { selected: /<option[^>]*selected=""[^>]*>([^<]*)</.exec(options)?.[1] };
}

type Props = { id?: string; children?: ReactNode; onChange?: (e: { target: { value: string } }) => void };

/** Does what a user's change of control `id` (tok, pad or chat) to `value` does. */
function change(id: 'tok' | 'pad' | 'chat', value: string): void {
  const tree = TokenizerFields({ id: 'x', recipe: s().recipe, edit: s() });
  const control = elementById<Props>(tree, `x-${id}`);
  expect(control, id).toBeDefined();
  control!.props.onChange!({ target: { value } });
}

const LINEAR =
  'merge_method: linear\nmodels:\n  - model: org/a\n    parameters: {weight: 1}\n' +
  '  - model: org/b\n    parameters: {weight: 1}\n';

const DARE =
  'merge_method: dare_ties\nbase_model: org/base\nmodels:\n  - model: org/base\n' +
  '  - model: org/a\n    parameters: {weight: 1, density: 0.5}\n';

describe('RunPanel', () => {
  it('locks the output folder name while a merge runs', () => {
    expect(input(html(), 'Output folder name')).not.toMatch(/disabled/);
    s().runStarted('browser storage (download the files below)', 'merges/merged-model');
    const running = html();
    expect(input(running, 'Output folder name')).toMatch(/disabled/);
    expect(running).toContain('The running merge writes to this folder');
  });

  it('shows an emptied name box as empty, and says which name an empty one gives', () => {
    s().setRunOptions({ outputName: '' });
    const markup = html();
    expect(input(markup, 'Output folder name')).toMatch(/value=""/);
    expect(markup).toContain('Empty: the merge is saved as “merged-model”.');
  });

  it('shows the seed the recipe sets, locked, and says where it comes from', () => {
    s().editYaml(`${DARE}merge_studio:\n  seed: 7\n`);
    s().setRunOptions({ seed: 0 });
    const markup = html();
    const seed = input(markup, 'Random seed');
    expect(seed).toMatch(/value="7"/);
    expect(seed).toMatch(/disabled/);
    expect(markup).toContain('Set by the recipe (merge_studio.seed: 7)');
  });

  it('without a seed in the recipe, the box shows and edits the run’s seed', () => {
    s().editYaml(DARE);
    s().setRunOptions({ seed: 5 });
    const seed = input(html(), 'Random seed');
    expect(seed).toMatch(/value="5"/);
    expect(seed).not.toMatch(/disabled/);
  });

  it('does not offer "GPU (WebGPU)" without navigator.gpu, and says why', () => {
    const markup = html();
    expect(markup).toMatch(/<option value="webgpu" disabled="">GPU \(WebGPU\): not available<\/option>/);
    expect(markup).toContain('GPU (WebGPU) can’t be chosen: this browser has no WebGPU.');
    vi.stubGlobal('navigator', { gpu: { requestAdapter: () => new Promise(() => undefined) } });
    expect(html()).toMatch(/<option value="webgpu">GPU \(WebGPU\)<\/option>/);
  });
});

describe('tokenizer and chat template', () => {
  beforeEach(() => s().editYaml(LINEAR));

  it('starts with no keys: the base model’s files, padding locked, the donor’s template', () => {
    const markup = html();
    expect(select(markup, 'Tokenizer').selected).toBe('Base model’s files (merge rows by id)');
    expect(markup).toContain('<option value="org/b">org/b’s tokenizer</option>');
    expect(input(markup, 'Pad vocab to a multiple of')).toMatch(/disabled/);
    expect(markup).toContain('Choose a tokenizer above to pad the vocabulary.');
    expect(select(markup, 'Chat template').selected).toBe('Keep the donor’s');
    expect(markup).toContain('<option value="llama3">llama3</option>');
    expect(markup).not.toContain('Custom (from YAML)');
  });

  it('Union, padding 64 and auto: the recipe and its YAML', () => {
    change('tok', 'union');
    expect(s().recipe.tokenizer_source).toBe('union');
    change('pad', '64');
    change('chat', 'auto');
    expect(s().recipe.tokenizer_source).toBeUndefined();
    expect(s().recipe.tokenizer).toEqual({ source: 'union', pad_to_multiple_of: 64 });
    expect(s().recipe.chat_template).toBe('auto');
    expect(recipeToYaml(s().recipe)).toMatch(
      /\ntokenizer:\n {2}source: union\n {2}pad_to_multiple_of: 64\nchat_template: auto\n$/,
    );
    const markup = html();
    expect(select(markup, 'Tokenizer').selected).toBe('Union of all models’ tokens');
    expect(input(markup, 'Pad vocab to a multiple of')).toMatch(/value="64"/);
    expect(input(markup, 'Pad vocab to a multiple of')).not.toMatch(/disabled/);
    expect(select(markup, 'Chat template').selected).toBe('auto (the models’ most common)');
    expect(markup).toContain('also removes tokenizer.pad_to_multiple_of from the recipe');
    // Not a whole number from 1: not taken. Empty: no padding. The first option: no keys.
    change('pad', '0');
    expect(s().recipe.tokenizer?.pad_to_multiple_of).toBe(64);
    change('pad', '');
    expect(s().recipe.tokenizer).toEqual({ source: 'union' });
    change('tok', '');
    change('chat', '');
    expect(recipeToYaml(s().recipe)).not.toMatch(/tokenizer|chat_template/);
  });

  it('keeps the spelling the recipe uses: a model’s tokenizer as tokenizer_source', () => {
    change('tok', 'org/b');
    expect(recipeToYaml(s().recipe)).toMatch(/\ntokenizer_source: org\/b\n$/);
    expect(html()).toContain('A number here writes a tokenizer: block in place of tokenizer_source.');
  });

  it('shows a literal template from the YAML as “Custom (from YAML)”, selected and kept', () => {
    const jinja = "{% for m in messages %}{{ m['content'] }}{% endfor %}";
    s().editYaml(`${LINEAR}chat_template: ${JSON.stringify(jinja)}\n`);
    expect(s().recipe.chat_template).toBe(jinja);
    expect(select(html(), 'Chat template').selected).toBe('Custom (from YAML)');
    change('chat', jinja);
    expect(s().recipe.chat_template).toBe(jinja);
  });

  it('renders a model id as text, never as markup', () => {
    s().addModel('<img src=x onerror=alert(1)>');
    const markup = html();
    expect(markup).not.toContain('<img');
    expect(markup).toContain('&lt;img src=x onerror=alert(1)&gt;’s tokenizer');
  });
});
