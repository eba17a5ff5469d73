import { describe, expect, it } from 'vitest';
import type { ModelInfo, TensorMeta } from './architecture.ts';
import { buildPlan } from './build-plan.ts';
import { RecipeError } from './problems.ts';
import { loadRecipe } from './recipe-yaml.ts';
import type { AddedToken, TokenizerInfo } from './tokenizer-vocab.ts';

/** `n` tokens t0..t(n-1) with ids 0..n-1; `swap` exchanges the ids of t0 and t1. */
function vocabMap(n: number, o: { swap?: boolean } = {}): Map<string, number> {
  const v = new Map<string, number>(Array.from({ length: n }, (_, i) => [`t${i}`, i] as const));
  if (o.swap) {
    v.set('t0', 1);
    v.set('t1', 0);
  }
  return v;
}

function vocab(n: number, o: { swap?: boolean } = {}): TokenizerInfo {
  return { kind: 'vocab', vocab: vocabMap(n, o), added: [], modelType: 'BPE', modelSize: n };
}

function model(
  id: string,
  o: {
    rows?: number;
    /** null: config.json has no vocab_size. */
    configVocab?: number | null;
    tokenizer?: TokenizerInfo | null;
    tied?: boolean;
  } = {},
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
    config: {
      num_hidden_layers: 1,
      ...(o.configVocab !== null && { vocab_size: o.configVocab ?? rows }),
      hidden_size: 8,
    },
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
        `${tail.startsWith('tokenizer:') ? 'tokenizer.source' : 'tokenizer_source'}: base: embeddings cut from 12 to 10 rows, config.json vocab_size 12 set to 10, as mergekit does`,
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

  it('re-indexes a model whose tokenizer numbers the tokens differently', () => {
    const p = plan(
      `${LINEAR}tokenizer_source: base\n`,
      model('a'),
      model('b', { tokenizer: vocab(10, { swap: true }) }),
    );
    const t = embed(p);
    expect(t.shape).toEqual([10, 8]);
    expect(t.elementwise).toBe(true); // the rows are gathered chunk by chunk
    // linear has no base: a and b are both inputs
    expect([...t.inputs[0]!.reindex!.rows]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...t.inputs[1]!.reindex!.rows]).toEqual([1, 0, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(t.vocab).toEqual({ size: 10, defaults: [] });
    expect(p.tokenizerFiles).toBeUndefined();
  });

  it('points at the recipe key', () => {
    try {
      plan(`${LINEAR}tokenizer:\n  source: c\n`, model('a'), model('b'));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RecipeError);
      expect((e as RecipeError).problems[0]!.path).toEqual(['tokenizer', 'source']);
      expect((e as RecipeError).problems[0]!.message).toMatch(
        /c is not one of the recipe's models; name one of a, b/,
      );
    }
  });

  it('strips a base tokenizer of the ids past its vocab_size, as mergekit does', () => {
    const p = plan(`${LINEAR}tokenizer_source: base\n`, model('a', { rows: 9 }), model('b', { rows: 9 }));
    expect(embed(p).shape).toEqual([9, 8]);
    expect(p.tokenizerFiles).toEqual({ donor: 'a', stripFrom: 9, append: [] });
    expect(p.config['vocab_size']).toBe(9);
    const wp: TokenizerInfo = {
      kind: 'vocab',
      vocab: vocabMap(10),
      added: [],
      modelType: 'WordPiece',
      modelSize: 10,
    };
    expect(() =>
      plan(
        `${LINEAR}tokenizer_source: base\n`,
        model('a', { rows: 9, tokenizer: wp }),
        model('b', { rows: 9 }),
      ),
    ).toThrow(/only BPE tokenizers can be \(it is WordPiece; mergekit stops too\)/);
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
    ).toThrow(
      /tokenizer_source: base: a's tokenizer cannot be read \(no tokenizer.json, only tokenizer.model\)/,
    );
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

/** A vocabulary t0..t(n-1) plus `extra` tokens after them, `added` marking added tokens. */
function withExtra(n: number, extra: string[]): TokenizerInfo {
  const map = vocabMap(n);
  extra.forEach((t, i) => map.set(t, n + i));
  const added = extra.map((content, i) => ({
    id: n + i,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  return { kind: 'vocab', vocab: map, added, modelType: 'BPE', modelSize: n };
}

describe('tokenizer: union, tokens, pad_to_multiple_of', () => {
  const THREE = `merge_method: task_arithmetic
base_model: a
models:
  - model: b
    parameters: {weight: 1}
  - model: c
    parameters: {weight: 1}
`;
  it('appends the tokens other models add and takes each missing row by mergekit’s rules', () => {
    const p = plan(
      `${THREE}tokenizer:\n  source: union\n`,
      model('a'),
      model('b', { tokenizer: withExtra(10, ['<x>', '<y>']), configVocab: 12 }),
      model('c', { tokenizer: withExtra(10, ['<y>']), configVocab: 12 }),
    );
    const t = embed(p);
    expect(t.shape).toEqual([12, 8]);
    expect(p.config['vocab_size']).toBe(12);
    expect(p.tokenizerFiles!.append.map((x) => [x.id, x.content, x.special])).toEqual([
      [10, '<x>', true],
      [11, '<y>', true],
    ]);
    // <x> only in b: b's row; <y> in b and c, not in the base: their average
    expect(t.vocab!.defaults).toEqual([
      { id: 10, force: false, from: [{ model: 'b', row: 10 }] },
      {
        id: 11,
        force: false,
        from: [
          { model: 'b', row: 11 },
          { model: 'c', row: 10 },
        ],
      },
    ]);
    expect([...t.base!.reindex!.rows].slice(10)).toEqual([-1, -1]);
  });

  it('takes the base’s row for a token only some models lack, when the base has it', () => {
    const lacking = vocabMap(10);
    lacking.delete('t5');
    const p = plan(
      `${THREE}tokenizer:\n  source: base\n`,
      model('a'),
      model('b'),
      model('c', { tokenizer: { kind: 'vocab', vocab: lacking, added: [], modelType: 'BPE', modelSize: 9 } }),
    );
    expect(embed(p).vocab!.defaults).toEqual([{ id: 5, force: false, from: [{ model: 'a', row: 5 }] }]);
    // without a base (linear), the average of the models that have it
    const q = plan(
      `merge_method: linear\nmodels:\n  - model: b\n    parameters: {weight: 1}\n  - model: c\n    parameters: {weight: 1}\n  - model: a\n    parameters: {weight: 1}\ntokenizer_source: union\n`,
      model('a'),
      model('b'),
      model('c', { tokenizer: { kind: 'vocab', vocab: lacking, added: [], modelType: 'BPE', modelSize: 9 } }),
    );
    expect(embed(q).vocab!.defaults).toEqual([
      {
        id: 5,
        force: false,
        from: [
          { model: 'b', row: 5 },
          { model: 'a', row: 5 },
        ],
      },
    ]);
  });

  it('pads, forces and zeroes as the tokens block says', () => {
    const p = plan(
      `${THREE}tokenizer:
  pad_to_multiple_of: 8
  tokens:
    t3: {source: c, force: true}
    <z>: {source: {kind: zero}}
    <w>: {source: {kind: model_token, model: b, token_id: 2}}
`,
      model('a'),
      model('b'),
      model('c'),
    );
    const t = embed(p);
    expect(t.shape).toEqual([16, 8]);
    expect(p.config['vocab_size']).toBe(16);
    expect(p.tokenizerFiles!.append.map((x) => [x.id, x.content, x.normalized, x.special])).toEqual([
      [10, '<z>', true, false],
      [11, '<w>', true, false],
    ]);
    expect(t.vocab!.defaults).toEqual([
      { id: 3, force: true, from: [{ model: 'c', row: 3 }] },
      { id: 10, force: false, from: [] },
      { id: 11, force: false, from: [{ model: 'b', row: 2 }] },
    ]);
  });

  it('refuses token sources that mergekit fails on mid-merge', () => {
    expect(() =>
      plan(`${THREE}tokenizer:\n  tokens:\n    <q>: {source: b}\n`, model('a'), model('b'), model('c')),
    ).toThrow(/b has no token "<q>"/);
    expect(() =>
      plan(
        `${THREE}tokenizer:\n  tokens:\n    t1: {source: {kind: model_token, model: b, token: nope}}\n`,
        model('a'),
        model('b'),
        model('c'),
      ),
    ).toThrow(/b has no token "nope"/);
  });
});

const special = (id: number, content: string, flags: Partial<AddedToken> = {}): AddedToken => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
  ...flags,
});

/** t0..t(n-1) with `added` laid over them; `modelSize`: the model vocabulary's length. */
function tokenizer(n: number, added: AddedToken[], modelSize = n): TokenizerInfo {
  const map = vocabMap(n);
  for (const t of added) map.set(t.content, t.id);
  return { kind: 'vocab', vocab: map, added, modelType: 'BPE', modelSize };
}

describe('tokenizer: the details mergekit’s union and add_tokens decide', () => {
  const TWO = `merge_method: linear
base_model: a
models:
  - model: a
    parameters: {weight: 1}
  - model: b
    parameters: {weight: 1}
  - model: c
    parameters: {weight: 1}
`;

  it('leaves out of the union a model’s added tokens past its vocabulary without a config vocab_size', () => {
    // build_union_tokenizer falls back on tokenizer.vocab_size (10 here: the model vocabulary
    // without the added tokens), so b's <x> at 10 is skipped and c's definition is the first
    const p = plan(
      `${TWO}tokenizer:\n  source: union\n`,
      model('a'),
      model('b', { tokenizer: tokenizer(10, [special(10, '<x>')]), configVocab: null, rows: 11 }),
      model('c', {
        tokenizer: tokenizer(10, [special(10, '<x>', { special: false, normalized: true })]),
        configVocab: 11,
        rows: 11,
      }),
    );
    expect(p.tokenizerFiles!.append).toEqual([special(10, '<x>', { special: false, normalized: true })]);
    // b still has <x> for its own row: the permutations fall back on get_vocab()'s length (11)
    expect([...embed(p).inputs[1]!.reindex!.rows].slice(10)).toEqual([10]);
  });

  it('gives a token the base has as a regular token the first added-token definition, as add_tokens does', () => {
    const p = plan(
      `${TWO}tokenizer:\n  source: union\n`,
      model('a', { rows: 10 }),
      model('b', { tokenizer: tokenizer(10, [special(3, 't3')]), rows: 10 }),
      model('c', { tokenizer: tokenizer(10, [special(3, 't3', { lstrip: true })]), rows: 10 }),
    );
    expect(p.tokenizerFiles).toEqual({ donor: 'a', append: [special(3, 't3')] });
    expect(p.warnings).toContain(
      'tokenizer.source: union: 1 token(s) it has made added tokens as another model defines them, as mergekit does',
    );
    // the rows do not move: every model has t3 at 3
    expect(embed(p).vocab).toBeUndefined();
    // the base’s own added tokens stay as they are
    const q = plan(
      `${TWO}tokenizer:\n  source: union\n`,
      model('a', { tokenizer: tokenizer(10, [special(3, 't3')]), rows: 10 }),
      model('b', { tokenizer: tokenizer(10, [special(3, 't3', { lstrip: true })]), rows: 10 }),
      model('c', { rows: 10 }),
    );
    expect(q.tokenizerFiles).toBeUndefined();
  });

  it('keeps the definition of a tokens: key the tokenizer has (mergekit’s add_tokens would make it plain)', () => {
    const p = plan(
      `${TWO}tokenizer:\n  source: base\n  tokens:\n    <s>: {source: b}\n    t2: {source: b}\n`,
      model('a', { tokenizer: tokenizer(10, [special(10, '<s>')]), rows: 11 }),
      model('b', { tokenizer: tokenizer(10, [special(10, '<s>')]), rows: 11 }),
      model('c', { tokenizer: tokenizer(10, [special(10, '<s>')]), rows: 11 }),
    );
    expect(p.tokenizerFiles).toBeUndefined();
  });

  it('ignores an empty tokens: key, as mergekit’s add_tokens does', () => {
    const p = plan(
      `${TWO}tokenizer:\n  tokens:\n    "": {source: {kind: zero}}\n    <n>: {source: {kind: zero}}\n`,
      model('a'),
      model('b'),
      model('c'),
    );
    expect(p.tokenizerFiles!.append.map((t) => [t.id, t.content])).toEqual([[10, '<n>']]);
    expect(p.warnings).toContain(
      'tokenizer.source: union: tokens: the empty token "" is ignored, as mergekit does (it cannot be a token)',
    );
  });

  it('keeps a tokens: key named __proto__', () => {
    const p = plan(
      `${TWO}tokenizer:\n  tokens:\n    __proto__: {source: {kind: zero}}\n`,
      model('a'),
      model('b'),
      model('c'),
    );
    expect(p.tokenizerFiles!.append.map((t) => [t.id, t.content])).toEqual([[10, '__proto__']]);
    expect(embed(p).vocab!.defaults).toEqual([{ id: 10, force: false, from: [] }]);
  });

  it('takes the base tokenizer from the model the config comes from when there is no base_model', () => {
    const p = plan(
      `merge_method: linear
slices:
  - base_model: b
    sources:
      - model: a
        layer_range: [0, 1]
        parameters: {weight: 1}
      - model: b
        layer_range: [0, 1]
        parameters: {weight: 1}
tokenizer_source: base
`,
      model('a', { rows: 9 }),
      model('b', { rows: 10 }),
    );
    expect(p.donor).toBe('a');
    expect(p.tokenizerFiles).toEqual({ donor: 'a', stripFrom: 9, append: [] });
    expect(p.config['vocab_size']).toBe(9);
  });

  it('refuses a tokenizer source model without a tokenizer.json it can read', () => {
    expect(() =>
      plan(
        `${TWO}tokenizer_source: b\n`,
        model('a'),
        model('b', { tokenizer: { kind: 'none' } }),
        model('c'),
      ),
    ).toThrow(
      /tokenizer_source: b: b has no tokenizer files to take the tokenizer from; or remove tokenizer_source/,
    );
    expect(() =>
      plan(
        `${TWO}tokenizer_source: b\n`,
        model('a'),
        model('b', { tokenizer: { kind: 'unreadable', reason: 'no tokenizer.json, only tokenizer.model' } }),
        model('c'),
      ),
    ).toThrow(/b's tokenizer cannot be read \(no tokenizer.json, only tokenizer.model\)/);
  });

  it('says which tokenizer has holes in its ids', () => {
    const holey = vocabMap(10);
    holey.delete('t5');
    expect(() =>
      plan(
        `${TWO}tokenizer_source: b\n`,
        model('a'),
        model('b', { tokenizer: { kind: 'vocab', vocab: holey, added: [], modelType: 'BPE', modelSize: 9 } }),
        model('c'),
      ),
    ).toThrow(/b's tokenizer numbers its 9 tokens up to 9, with no token at id 5/);
  });

  it('quotes token text in warnings and errors, cut short', () => {
    const huge = `<${'x'.repeat(1_000_000)}>`;
    const long = tokenizer(10, [special(10, huge)]);
    // b has the token only past its vocab_size: a warning names it
    const p = plan(
      `${TWO}tokenizer:\n  source: union\n`,
      model('a', { tokenizer: long, rows: 11 }),
      model('b', { tokenizer: long, rows: 10 }),
      model('c', { rows: 11 }),
    );
    for (const w of p.warnings) expect(w.length).toBeLessThan(400);
    expect(p.warnings.join('\n')).toContain(`"<${'x'.repeat(63)}"… (1000002 characters)`);
    try {
      plan(`${TWO}tokenizer:\n  tokens:\n    ${huge}: {source: b}\n`, model('a'), model('b'), model('c'));
      expect.unreachable();
    } catch (e) {
      expect((e as RecipeError).problems[0]!.message.length).toBeLessThan(400);
    }
  });
});
