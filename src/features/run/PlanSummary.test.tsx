/**
 * The Run panel's plan as rendered (to markup, no DOM): sizes, counts, the vocab change and the
 * warnings as text (a warning quoting hostile token text stays text), an error's first line;
 * the query key carries whether a token is set but never the token, which only the worker
 * call gets; and the summary shows only once the recipe validates and its models are known.
 */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PlanSummary as Plan } from '../../../workers/runtime/api.ts';
import { modelInfoQuery } from '../../engine/model-info.ts';
import { selectRecipeYaml } from '../../stores/selectors.ts';
import { useStudio } from '../../stores/store.ts';
import { planQuery } from './plan-query.ts';
import { PlanSummary, PlanView } from './PlanSummary.tsx';

const planMerge = vi.hoisted(() => vi.fn());
vi.mock('../../engine/merge-client.ts', () => ({ planMerge }));

const s = () => useStudio.getState();
const TOKEN = 'hf_SecretThatStaysOutOfKeys';
const LINEAR =
  'merge_method: linear\nmodels:\n  - model: org/a\n    parameters: {weight: 1}\n' +
  '  - model: org/b\n    parameters: {weight: 1}\n';
const PLAN: Plan = {
  tensors: 42,
  layers: 4,
  outputBytes: 3_400_000,
  vocabSize: { from: 260, to: 262 },
  warnings: [
    'tokenizer_source: union: 2 token(s) added to the tokenizer, embeddings grown from 260 to 262 rows',
    'token "<img src=x onerror=alert(1)>" taken from org/<b>evil</b>',
  ],
};

/** Visible text: tags and React's text separators gone, entities kept as written. */
const text = (markup: string): string => markup.replace(/<!-- -->/g, '').replace(/<[^>]+>/g, ' ');

beforeEach(() => {
  vi.stubGlobal('window', {});
  vi.stubGlobal('navigator', {});
});
afterEach(() => {
  vi.unstubAllGlobals();
  planMerge.mockReset();
});

describe('PlanView', () => {
  it('shows the size, counts, vocab change and each warning as text', () => {
    const html = renderToStaticMarkup(<PlanView plan={PLAN} error={undefined} updating={false} />);
    expect(text(html)).toContain('About 3.4 MB: 42 tensors, 4 layers; vocabulary 260 → 262 tokens.');
    expect(html.match(/<li>/g)).toHaveLength(2);
    expect(text(html)).toContain('2 token(s) added to the tokenizer');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('leaves out the vocabulary when the plan keeps it, and the list when there is nothing to warn of', () => {
    const { vocabSize: _, ...rest } = PLAN;
    const html = renderToStaticMarkup(
      <PlanView plan={{ ...rest, warnings: [] }} error={undefined} updating />,
    );
    expect(text(html)).not.toContain('vocabulary');
    expect(html).not.toContain('<ul');
    expect(html).toContain('aria-busy="true"');
  });

  it("shows an error's first line", () => {
    const error = 'models[1].model: org/b has 6 layers and org/a has 4\nmodels[2]: another problem';
    const html = renderToStaticMarkup(<PlanView plan={undefined} error={error} updating={false} />);
    expect(text(html)).toContain(
      'Cannot plan this merge: models[1].model: org/b has 6 layers and org/a has 4',
    );
    expect(html).not.toContain('another problem');
  });
});

describe('planQuery', () => {
  it('keys on the recipe, the hub, the token’s presence and the local folders, and gives the worker the token', async () => {
    const input = {
      recipeText: LINEAR,
      ids: ['org/a', 'mine+adapter'],
      hubUrl: 'https://huggingface.co',
      token: TOKEN,
      localFolders: { mine: { files: 3, bytes: 100 }, unused: { files: 1, bytes: 1 } },
    };
    const q = planQuery(input);
    expect(q.queryKey).toEqual(['merge-plan', LINEAR, 'https://huggingface.co', true, [['mine', 3, 100]]]);
    expect(JSON.stringify(q.queryKey)).not.toContain(TOKEN);
    expect(planQuery({ ...input, token: '' }).queryKey[3]).toBe(false);
    planMerge.mockResolvedValue(PLAN);
    const signal = new AbortController().signal;
    await expect(q.queryFn({ signal })).resolves.toBe(PLAN);
    expect(planMerge).toHaveBeenCalledWith(
      LINEAR,
      { local: {}, hub: { url: 'https://huggingface.co', token: TOKEN } },
      signal,
    );
  });
});

/** Renders with the models' headers (and the plan, when given) already in the query cache. */
function summaryHtml(plan?: Plan): string {
  Object.assign(useStudio.getInitialState(), useStudio.getState());
  const st = s();
  const client = new QueryClient();
  for (const id of ['org/a', 'org/b'])
    client.setQueryData(modelInfoQuery(id, st.hubUrl, st.token, false).queryKey, { id } as never);
  const q = planQuery({
    recipeText: selectRecipeYaml(st),
    ids: ['org/a', 'org/b'],
    hubUrl: st.hubUrl,
    token: st.token,
    localFolders: st.localFolders,
  });
  if (plan) client.setQueryData(q.queryKey, plan);
  return renderToStaticMarkup(
    <QueryClientProvider client={client}>
      <PlanSummary />
    </QueryClientProvider>,
  );
}

describe('PlanSummary', () => {
  it('shows the plan of a valid recipe whose models are known', () => {
    expect(s().editYaml(LINEAR)).toBe(true);
    expect(text(summaryHtml(PLAN))).toContain('42 tensors, 4 layers');
    expect(text(summaryHtml())).toContain('Reading the models’ headers');
  });

  it('shows nothing before the models are known', () => {
    s().editYaml(LINEAR);
    Object.assign(useStudio.getInitialState(), useStudio.getState());
    const markup = renderToStaticMarkup(
      <QueryClientProvider client={new QueryClient()}>
        <PlanSummary />
      </QueryClientProvider>,
    );
    expect(markup).toBe('');
  });

  it('shows nothing while the recipe has errors', () => {
    s().editYaml(LINEAR);
    s().editYaml('merge_method: linear\nmodels:\n  - model: org/a\n    parameters: {wieght: 1}\n');
    expect(summaryHtml(PLAN)).toBe('');
  });
});
