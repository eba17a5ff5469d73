/**
 * The run options as rendered (to markup, no DOM): the name box is locked while a merge runs and
 * may be empty, the seed box shows a seed the recipe sets, and "GPU (WebGPU)" cannot be chosen
 * where the browser has no WebGPU.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useStudio } from '../../stores/store.ts';
import { RunPanel } from './RunPanel.tsx';

vi.mock('./BigMergeNotice.tsx', () => ({ BigMergeNotice: () => null }));
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
