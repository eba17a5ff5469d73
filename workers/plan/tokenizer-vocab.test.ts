import { describe, expect, it } from 'vitest';
import { modelTypeName, quoteToken, tokenizerInfoFromJson, vocabDifference } from './tokenizer-vocab.ts';

const vocabOf = (json: unknown) => {
  const info = tokenizerInfoFromJson(json);
  if (info.kind !== 'vocab') throw new Error(`not read: ${JSON.stringify(info)}`);
  return info.vocab;
};

/** Why a BPE tokenizer.json with these added tokens is refused. */
const reason = (added: unknown[], vocab: unknown = { a: 0, b: 1 }): string => {
  const info = tokenizerInfoFromJson({ model: { type: 'BPE', vocab }, added_tokens: added });
  return info.kind === 'unreadable' ? info.reason : `read: ${JSON.stringify(info)}`;
};

describe('tokenizer.json vocabularies (transformers get_vocab)', () => {
  it('reads a BPE map with the added tokens laid over it', () => {
    const info = tokenizerInfoFromJson({
      model: { type: 'BPE', vocab: { a: 0, b: 1, '<s>': 2 } },
      added_tokens: [
        { id: 2, content: '<s>', special: true },
        { id: 3, content: '</s>', special: true },
      ],
    });
    expect(info.kind === 'vocab' && [...info.vocab]).toEqual([
      ['a', 0],
      ['b', 1],
      ['<s>', 2],
      ['</s>', 3],
    ]);
    // transformers' tokenizer.vocab_size: the model vocabulary without the added tokens
    expect(info.kind === 'vocab' && info.modelSize).toBe(3);
  });
  it('reads a Unigram list (the id is the index)', () => {
    const v = vocabOf({
      model: {
        type: 'Unigram',
        vocab: [
          ['<unk>', 0],
          ['▁a', -1.5],
        ],
      },
    });
    expect([...v]).toEqual([
      ['<unk>', 0],
      ['▁a', 1],
    ]);
  });
  it('says why a malformed tokenizer.json cannot be read', () => {
    expect(tokenizerInfoFromJson({})).toEqual({
      kind: 'unreadable',
      reason: 'tokenizer.json has no "model" object',
    });
    expect(tokenizerInfoFromJson({ model: { vocab: { a: -1 } } })).toMatchObject({ kind: 'unreadable' });
    expect(tokenizerInfoFromJson({ model: { vocab: {} }, added_tokens: [{ id: 1 }] })).toMatchObject({
      kind: 'unreadable',
    });
    // merges a strip would have to rewrite after the weights
    expect(tokenizerInfoFromJson({ model: { type: 'BPE', vocab: {}, merges: 'a b' } })).toEqual({
      kind: 'unreadable',
      reason: 'tokenizer.json model.merges is not a list',
    });
    expect(tokenizerInfoFromJson({ model: { type: 'BPE', vocab: {}, merges: ['a b', 3] } })).toEqual({
      kind: 'unreadable',
      reason: 'tokenizer.json model.merges[1] is neither "a b" nor ["a", "b"]',
    });
  });
  it('refuses added tokens whose ids the tokenizers library would not give them', () => {
    // two texts on one id
    expect(
      reason([
        { id: 2, content: '<x>' },
        { id: 2, content: '<y>' },
      ]),
    ).toMatch(
      /added_tokens\[1\] "<y>" has the id 2, but the next id after the model vocabulary's 2 tokens and the added tokens before it is 3; fix tokenizer.json/,
    );
    // one text on two ids
    expect(
      reason([
        { id: 2, content: '<x>' },
        { id: 3, content: '<x>' },
      ]),
    ).toMatch(/added_tokens\[1\] "<x>" has the id 3, but an earlier added token has it at 2/);
    // an added token the model vocabulary numbers otherwise (the library keeps the vocabulary's id)
    expect(reason([{ id: 5, content: 'b' }])).toMatch(/"b" has the id 5, but model.vocab has it at 1/);
    // an id taken by another token of the model vocabulary
    expect(reason([{ id: 1, content: '<x>' }], { a: 0, b: 1, c: 3 })).toMatch(
      /"<x>" has the id 1, but the next id .* is 3/,
    );
    expect(reason([{ id: 2, content: '<x>' }], { a: 0, b: 1, c: 2 })).toMatch(
      /"<x>" has the id 2, but the next id .* is 3/,
    );
    expect(reason([{ id: 3, content: '<x>' }], { a: 0, b: 3, c: 1 })).toMatch(
      /"<x>" has the id 3, which belongs to "b"/,
    );
    // a model vocabulary with two tokens on one id
    expect(reason([], { a: 0, b: 0 })).toMatch(/model.vocab gives the id 0 to both "a" and "b"/);
    expect(reason([], { a: 0, b: 0 })).not.toMatch(/added/);
    expect(
      reason(
        [],
        [
          ['a', 0],
          ['a', -1],
        ],
      ),
    ).toMatch(/model.vocab lists "a" twice/);
  });

  it('takes a repeated added token’s last flags, and skips empty ones, as the tokenizers library', () => {
    const info = tokenizerInfoFromJson({
      model: { type: 'BPE', vocab: { a: 0 } },
      added_tokens: [
        { id: 1, content: '<x>', special: true },
        { id: 2, content: '', special: true },
        { id: 2, content: '<y>', special: true },
        { id: 1, content: '<x>', special: false },
      ],
    });
    expect(info.kind === 'vocab' && [...info.vocab]).toEqual([
      ['a', 0],
      ['<x>', 1],
      ['<y>', 2],
    ]);
    expect(
      info.kind === 'vocab' && info.added.map((t) => [t.id, t.content, t.special, t.normalized]),
    ).toEqual([
      [1, '<x>', false, true],
      [2, '<y>', true, false],
    ]);
  });

  it('quotes token text for messages, cut short', () => {
    expect(quoteToken('a\nb')).toBe('"a\\nb"');
    const long = quoteToken('x'.repeat(10_000_000));
    expect(long.length).toBeLessThan(100);
    expect(long).toBe(`"${'x'.repeat(64)}"… (10000000 characters)`);
    // never half a surrogate pair
    const emoji = quoteToken(`${'x'.repeat(63)}😀${'y'.repeat(10)}`);
    expect(emoji).toBe(`"${'x'.repeat(63)}"… (75 characters)`);
    expect(modelTypeName('BPE')).toBe('BPE');
    expect(modelTypeName('<b>x</b>')).toBe('"<b>x</b>"');
    expect(modelTypeName(3)).toBe('of type number');
    expect(modelTypeName('T'.repeat(1000)).length).toBeLessThan(100);
  });

  it('names the first difference between two vocabularies', () => {
    const a = new Map([
      ['x', 0],
      ['y', 1],
    ]);
    expect(vocabDifference(a, new Map(a))).toBeUndefined();
    expect(vocabDifference(a, new Map([['x', 0]]))).toBe('token "y" (id 1) is missing');
    expect(vocabDifference(a, new Map([...a, ['z', 2]]))).toBe('it has an extra token "z" (id 2)');
    expect(
      vocabDifference(
        a,
        new Map([
          ['x', 1],
          ['y', 0],
        ]),
      ),
    ).toBe('token "x" has id 1, not 0');
  });
});
