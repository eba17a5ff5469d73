/**
 * The chosen-models list as rendered HTML: each base radio names its model, and a model that was
 * a folder before a reload asks for the folder again instead of being looked up on the hub. A
 * model with a LoRA adapter shows base and adapter apart; the adapter box (AdapterFields, which
 * has no hooks) is pressed through its element tree.
 */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { type ReactElement, type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { selectModelIds } from '../../stores/selectors.ts';
import { useStudio } from '../../stores/store.ts';
import { AdapterFields } from './AdapterControls.tsx';
import { ChosenModels } from './ChosenModels.tsx';
import { elementById } from '../../shared/element-tree.ts';

const TIES = `merge_method: ties
base_model: tinymix-base
models:
  - model: tinymix-base
  - model: my-law
    parameters: {weight: 1, density: 0.5}
`;

function render(): string {
  return renderToStaticMarkup(
    <QueryClientProvider client={new QueryClient()}>
      <ChosenModels />
    </QueryClientProvider>,
  );
}

vi.mock('zustand', () => import('../../shared/render-with-store.ts'));

beforeEach(() => {
  useStudio.setState({ localFolders: {}, lostLocalFolders: [] });
  useStudio.getState().editYaml(TIES);
});

describe('ChosenModels', () => {
  it('names each base-model radio after its model', () => {
    const html = render();
    expect(html).toContain('aria-label="Use tinymix-base as the base model"');
    expect(html).toContain('aria-label="Use my-law as the base model"');
  });

  it('asks for a folder opened before a reload again, and does not look it up on the hub', () => {
    useStudio.setState({ lostLocalFolders: ['my-law'] });
    const html = render();
    expect(html).toContain('my-law was a local folder: its files are not kept across a reload');
    expect(html).toMatch(/<button type="button">Open the my-law folder again…<\/button>/);
    // The hub model still reads its headers; the lost folder does not.
    expect(html.match(/reading headers…/g)).toHaveLength(1);
  });

  it('a folder open in this page shows its details, not the prompt', () => {
    useStudio.setState({ lostLocalFolders: ['my-law'], localFolders: { 'my-law': { files: 2, bytes: 10 } } });
    expect(render()).not.toContain('was a local folder');
  });
});

const ADAPTED = TIES.replace(/my-law/g, 'my-law+org/law-lora');

type Props = { id?: string; children?: ReactNode; disabled?: boolean; onClick?: () => void };

/** The adapter box of `model` holding `text`, wired to the store as the page wires it. */
function fields(model: string, text: string): ReactElement {
  const s = useStudio.getState();
  return AdapterFields({
    id: 'x',
    model,
    text,
    taken: selectModelIds(s),
    localAdapters: [],
    onText: () => {},
    edit: s,
  });
}

describe('LoRA adapters in the list', () => {
  it('offers each plain model an adapter box', () => {
    const html = render();
    expect(html.match(/<summary>Apply LoRA adapter…<\/summary>/g)).toHaveLength(2);
    expect(html).toContain('aria-label="LoRA adapter for my-law"');
    expect(html).not.toContain('Remove adapter');
  });

  it('shows a model’s base and adapter apart, with Remove adapter instead of the box', () => {
    useStudio.getState().editYaml(ADAPTED);
    const html = render();
    expect(html).toContain(
      '<strong>my-law</strong> <span class="muted">with LoRA adapter</span> <strong>org/law-lora</strong>',
    );
    expect(html).toContain('aria-label="Remove adapter org/law-lora from my-law"');
    expect(html.match(/Apply LoRA adapter…/g)).toHaveLength(1);
    expect(html).toContain('aria-label="Use my-law+org/law-lora as the base model"');
  });

  it('an adapter folder opened before a reload asks to be opened again', () => {
    useStudio.getState().editYaml(TIES.replace(/my-law/g, 'my-law+law-lora'));
    useStudio.setState({ lostLocalFolders: ['law-lora'] });
    const html = render();
    expect(html).toContain('law-lora was a local folder');
    expect(html).toMatch(/<button type="button">Open the law-lora folder again…<\/button>/);
  });

  it('renders ids as text', () => {
    useStudio.getState().editYaml(TIES.replace(/my-law/g, 'my-law+<img src=x onerror=alert(1)>'));
    const html = render();
    expect(html).not.toContain('<img');
    expect(html).toContain('<strong>&lt;img src=x onerror=alert(1)&gt;</strong>');
  });

  it('Apply renames the model everywhere, its parameters kept', () => {
    const apply = elementById<Props>(fields('my-law', ' org/law-lora '), 'x-apply');
    expect(apply?.props.disabled).toBe(false);
    apply!.props.onClick!();
    expect(useStudio.getState().recipe.models).toEqual([
      { model: 'tinymix-base' },
      { model: 'my-law+org/law-lora', parameters: { weight: 1, density: 0.5 } },
    ]);
  });

  it('shows the validator’s message inline and applies nothing for a second +', () => {
    const tree = fields('my-law', 'org/a+org/b');
    expect(renderToStaticMarkup(tree)).toMatch(
      /<p class="field-error" id="x-e" role="alert">&#x27;my-law\+org\/a\+org\/b&#x27; has more than one &#x27;\+&#x27;/,
    );
    const apply = elementById<Props>(tree, 'x-apply')!;
    expect(apply.props.disabled).toBe(true);
    apply.props.onClick!();
    expect(selectModelIds(useStudio.getState())).toEqual(['tinymix-base', 'my-law']);
  });

  it('the base with an adapter stays the base', () => {
    elementById<Props>(fields('tinymix-base', 'org/base-lora'), 'x-apply')!.props.onClick!();
    expect(useStudio.getState().recipe.base_model).toBe('tinymix-base+org/base-lora');
  });
});
