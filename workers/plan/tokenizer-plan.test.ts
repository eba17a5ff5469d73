import { describe, expect, it } from 'vitest';
import type { ModelInfo, TensorMeta } from './architecture.ts';
import { buildPlan } from './build-plan.ts';
import { RecipeError } from './problems.ts';
import { loadRecipe } from './recipe-yaml.ts';
import type { TokenizerInfo } from './tokenizer-vocab.ts';

/** `n` tokens t0..t(n-1) with ids 0..n-1; `swap` exchanges the ids of t0 and t1. */
function vocab(n: number, o: { swap?: boolean } = {}): TokenizerInfo {
  const v = new Map(Array.from({ length: n }, (_, i) => [`t${i}`, i] as const));
  if (o.swap) {
    v.set('t0', 1);
    v.set('t1', 0);
  }
  return { kind: 'vocab', vocab: v };
}

function model(
  id: string,
  o: { rows?: number; configVocab?: number; tokenizer?: TokenizerInfo | null; tied?: boolean } = {},
): ModelInfo {
  const rows = o.rows ?? 12;
  const t = new Map<string, TensorMeta>();
  const add = (name: string, shape: number[]) => t.set(name, { dtype: 'BF16', shape });
  add('model.embed_tokens.weight', [rows, 8]);
  if (!o.tied) add('lm_head.weight', [rows, 8]);
  add('model.norm.weight', [8]);
  add('model.layers.0.mlp.up_proj.weight', [16, 8]);
  return {
    id,
    config: { num_hidden_layers: 1, vocab_size: o.configVocab ?? rows, hidden_size: 8 },
    tensors: t,
    ...(o.tokenizer !== null && { tokenizer: o.tokenizer ?? vocab(10) }),
  };
}

const LINEAR = `merge_method: linear
base_model: a
models:
  - model: a
    parameters: {weight: 1}
  - model: b
    parameters: {weight: 1}
`;
const plan = (yaml: string, ...models: ModelInfo[]) =>
  buildPlan(loadRecipe(yaml).recipe, new Map(models.map((m) => [m.id, m])));
const embed = (p: ReturnType<typeof plan>) => p.tensors.find((t) => t.name === 'model.embed_tokens.weight')!;

describe('tokenizer_source: base', () => {
  it('cuts every embedding-like input to the tokenizer length and sets vocab_size (mergekit strips)', () => {
    for (const tail of ['tokenizer_source: base\n', 'tokenizer:\n  source: base\n']) {
      const p = plan(LINEAR + tail, model('a'), model('b', { tied: true }));
      for (const name of ['model.embed_tokens.weight', 'lm_head.weight']) {
        const t = p.tensors.find((x) => x.name === name)!;
        expect(t.shape).toEqual([10, 8]);
        expect(t.inputs.map((x) => x.crop)).toEqual([
          [10, 8],
          [10, 8],
        ]);
        expect(t.elementwise).toBe(false);
      }
      expect(p.config['vocab_size']).toBe(10);
      expect(p.warnings).toContain(
        `${tail.startsWith('tokenizer:') ? 'tokenizer.source' : 'tokenizer_source'}: base: embeddings cut from 12 to 10 rows, config.json vocab_size 12 set to 10: the tokenizer's length, as mergekit does`,
      );
    }
  });

  it('changes nothing when the tokenizer covers every row', () => {
    const a = plan(LINEAR, model('a', { rows: 10 }), model('b', { rows: 10 }));
    const b = plan(`${LINEAR}tokenizer_source: base\n`, model('a', { rows: 10 }), model('b', { rows: 10 }));
    expect(b.tensors).toEqual(a.tensors);
    expect(b.config).toEqual(a.config);
    expect(b.warnings).toEqual([]);
  });

  it('sets vocab_size to the tokenizer length even when the rows already match it', () => {
    const p = plan(
      `${LINEAR}tokenizer_source: base\n`,
      model('a', { rows: 10, configVocab: 11 }),
      model('b', { rows: 10 }),
    );
    expect(embed(p).inputs.every((x) => x.crop === undefined)).toBe(true);
    expect(p.config['vocab_size']).toBe(10);
  });

  it('cuts before the method reconciles vocabularies (task vectors)', () => {
    const p = plan(
      'merge_method: task_arithmetic\nbase_model: a\nmodels: [{model: b, parameters: {weight: 1}}]\ntokenizer_source: base\n',
      model('a', { rows: 12 }),
      model('b', { rows: 16 }),
    );
    expect(embed(p).shape).toEqual([10, 8]);
    expect(embed(p).base!.crop).toEqual([10, 8]);
    expect(embed(p).inputs[0]!.crop).toEqual([10, 8]);
  });

  it('refuses models whose tokenizer differs from the base (re-indexing by token)', () => {
    expect(() =>
      plan(
        `${LINEAR}tokenizer_source: base\n`,
        model('a'),
        model('b', { tokenizer: vocab(10, { swap: true }) }),
      ),
    ).toThrow(
      /tokenizer_source: base: b's tokenizer differs from a's \(token "t0" has id 1, not 0\), so mergekit would re-index its embedding rows by token, which Merge Studio does not support yet/,
    );
    expect(() =>
      plan(`${LINEAR}tokenizer_source: base\n`, model('a'), model('b', { tokenizer: vocab(11) })),
    ).toThrow(/extra token "t10"/);
  });

  it('points at the recipe key', () => {
    try {
      plan(`${LINEAR}tokenizer:\n  source: base\n`, model('a'), model('b', { tokenizer: vocab(9) }));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RecipeError);
      expect((e as RecipeError).problems[0]!.path).toEqual(['tokenizer', 'source']);
    }
  });

  it('refuses a base tokenizer with ids past vocab_size (mergekit would rewrite the tokenizer)', () => {
    expect(() =>
      plan(`${LINEAR}tokenizer_source: base\n`, model('a', { rows: 9 }), model('b', { rows: 9 })),
    ).toThrow(/a's tokenizer has 1 token\(s\) with ids ≥ its config vocab_size 9 \("t9" = 9\)/);
  });

  it('refuses what mergekit fails on: embeddings shorter than the tokenizer, unreadable tokenizers', () => {
    expect(() =>
      plan(`${LINEAR}tokenizer_source: base\n`, model('a'), model('b', { rows: 9, configVocab: 12 })),
    ).toThrow(/b has 9 rows, fewer than its tokenizer's 10 tokens/);
    expect(() =>
      plan(
        `${LINEAR}tokenizer_source: base\n`,
        model('a', { tokenizer: { kind: 'unreadable', reason: 'no tokenizer.json, only tokenizer.model' } }),
        model('b'),
      ),
    ).toThrow(/needs a's tokenizer.json, which cannot be read \(no tokenizer.json, only tokenizer.model\)/);
  });

  it('takes a model without tokenizer files to share the base one, as mergekit does', () => {
    const p = plan(
      `${LINEAR}tokenizer_source: base\n`,
      model('a'),
      model('b', { tokenizer: { kind: 'none' } }),
    );
    expect(embed(p).shape).toEqual([10, 8]);
    expect(p.warnings).toContain("b has no tokenizer files; like mergekit, it is taken to share a's");
  });

  it('without tokenizers read (header-only previews), plans uncut and says so', () => {
    const p = plan(
      `${LINEAR}tokenizer_source: base\n`,
      model('a', { tokenizer: null }),
      model('b', { tokenizer: null }),
    );
    expect(embed(p).shape).toEqual([12, 8]);
    expect(p.warnings[0]).toMatch(/tokenizers were not read/);
  });
});
