/**
 * The chosen-models list as rendered HTML: each base radio names its model, and a model that was
 * a folder before a reload asks for the folder again instead of being looked up on the hub.
 */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { renderToStaticMarkup } from 'react-dom/server';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { useStudio } from '../../stores/store.ts';
import { ChosenModels } from './ChosenModels.tsx';

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
