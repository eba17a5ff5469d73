import { describe, expect, it } from 'vitest';
import { tokenizerInfoFromJson, vocabDifference } from './tokenizer-vocab.ts';

const vocabOf = (json: unknown) => {
  const info = tokenizerInfoFromJson(json);
  if (info.kind !== 'vocab') throw new Error(`not read: ${JSON.stringify(info)}`);
  return info.vocab;
};

describe('tokenizer.json vocabularies (transformers get_vocab)', () => {
  it('reads a BPE map with the added tokens laid over it', () => {
    const v = vocabOf({
      model: { type: 'BPE', vocab: { a: 0, b: 1, '<s>': 5 } },
      added_tokens: [
        { id: 2, content: '<s>', special: true },
        { id: 3, content: '</s>', special: true },
      ],
    });
    expect([...v]).toEqual([
      ['a', 0],
      ['b', 1],
      ['<s>', 2],
      ['</s>', 3],
    ]);
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
