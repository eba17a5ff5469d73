import { describe, expect, it } from 'vitest';
import { assignRows, matchByteToken, matchPrefix, outputRows, withinRows } from './match-tokens.ts';
import {
  normalizedVocabulary,
  normalizeToken,
  plainKey,
  specialKey,
  tokenParts,
  tokenPrefixes,
  unnormalizeToken,
  wordStartKey,
  wordStartPrefix,
} from './normalize-vocab.ts';
import { specialTokensOf } from './read-vocab.ts';

const special = new Map([
  ['bos_token', '<s>'],
  ['eos_token', '</s>'],
  ['pad_token', '</s>'],
]);

describe('normalisation', () => {
  it('maps "▁the" (SentencePiece) and "Ġthe" (GPT-2) to the same word-start token', () => {
    expect(normalizeToken('▁the', special, '▁')).toBe(wordStartKey('the'));
    expect(normalizeToken('Ġthe', special, 'Ġ')).toBe(wordStartKey('the'));
    expect(normalizeToken('the', special, 'Ġ')).toBe('the');
  });
  it('maps special tokens to their role, the first role naming them winning', () => {
    expect(normalizeToken('<s>', special, '▁')).toBe(specialKey('bos_token'));
    expect(normalizeToken('</s>', special, '▁')).toBe(specialKey('eos_token'));
    expect(tokenParts(specialKey('bos_token'))).toEqual({ kind: 'special', text: 'bos_token' });
  });
  it('escapes a plain token that starts like a marked key', () => {
    const odd = '\u0000Wx';
    expect(plainKey(odd)).not.toBe(wordStartKey('x'));
    expect(tokenParts(plainKey(odd))).toEqual({ kind: 'plain', text: odd });
  });
  it('unnormalises as mergekit does', () => {
    expect(unnormalizeToken(wordStartKey('a'))).toBe(' a');
    expect(unnormalizeToken(specialKey('eos_token'))).toBe('eos_token');
  });
  it('chooses the word-start marker by tokenizer class, as mergekit', () => {
    const v = new Map([['x', 0]]);
    expect(wordStartPrefix('LlamaTokenizerFast', undefined, v).prefix).toBe('▁');
    expect(wordStartPrefix('Qwen2Tokenizer', undefined, v).prefix).toBe('Ġ');
    expect(wordStartPrefix('LlamaTokenizerFast', undefined, new Map([['Ġhello', 1]])).prefix).toBe('Ġ'); // deepseek
    expect(wordStartPrefix(undefined, 'gemma2', v).prefix).toBe('▁');
    const unknown = wordStartPrefix('PreTrainedTokenizerFast', 'llama', v);
    expect(unknown.prefix).toBe('Ġ');
    expect(unknown.warning).toMatch(/PreTrainedTokenizerFast/);
  });
  it('normalises a vocabulary, a later duplicate key taking the id', () => {
    const v = normalizedVocabulary(new Map([['▁a', 0], ['<s>', 1], ['a', 2]]), special, '▁'); // prettier-ignore
    expect([...v]).toEqual([[wordStartKey('a'), 0], [specialKey('bos_token'), 1], ['a', 2]]); // prettier-ignore
  });
  it('reads special tokens from tokenizer_config.json, special_tokens_map.json winning', () => {
    const s = specialTokensOf(
      {
        bos_token: '<s>',
        eos_token: { content: '</s>' },
        pad_token: null,
        additional_special_tokens: ['<x>'],
      },
      { bos_token: '<bos>' },
    );
    expect([...s]).toEqual([['bos_token', '<bos>'], ['eos_token', '</s>']]); // prettier-ignore
  });
});

describe('prefixes', () => {
  it('longest first, with the marker, none for special tokens, stopping at whitespace', () => {
    expect([...tokenPrefixes('abc')]).toEqual(['ab', 'a']);
    expect([...tokenPrefixes(wordStartKey('ab'))]).toEqual([wordStartKey('a')]);
    expect([...tokenPrefixes(specialKey('bos_token'))]).toEqual([]);
    expect([...tokenPrefixes('a b')]).toEqual(['a ', 'a']);
    expect([...tokenPrefixes(' ab')]).toEqual([' a']); // ' ' alone stops it
    expect([...tokenPrefixes('é😀x')]).toEqual(['é😀', 'é']); // code points, not UTF-16 units
  });
});

describe('matching', () => {
  const orig = new Map([['A', 10], ['<0x0A>', 11], ['ab', 12], [wordStartKey('th'), 13], [specialKey('bos_token'), 14]]); // prettier-ignore
  it('byte tokens both ways', () => {
    expect(matchByteToken('\n', orig)).toBe(11);
    expect(matchByteToken('<0x41>', orig)).toBe(10);
    expect(matchByteToken('<0x42>', orig)).toBeUndefined();
    expect(matchByteToken('Ā', orig)).toBeUndefined(); // code point 256
    expect(matchByteToken(wordStartKey('A'), orig)).toBeUndefined();
  });
  it('the longest prefix MODEL has', () => {
    expect(matchPrefix('abc', orig)).toBe(12);
    expect(matchPrefix(wordStartKey('the'), orig)).toBe(13);
    expect(matchPrefix('the', orig)).toBeUndefined();
  });
  it('assigns rows: exact, then byte, then prefix, else to approximate', () => {
    const donor = new Map([[specialKey('bos_token'), 0], ['<0x41>', 1], ['abc', 2], ['zz', 3], ['ab', 5]]); // prettier-ignore
    expect(outputRows(donor)).toBe(6);
    const none = assignRows(donor, orig, 6, false, false);
    expect([...none.source]).toEqual([14, -1, -1, -1, -1, 12]);
    expect(none.newTokens).toEqual(['<0x41>', 'abc', 'zz']);
    const all = assignRows(donor, orig, 6, true, true);
    expect([...all.source]).toEqual([14, 10, 12, -1, -1, 12]);
    expect(all.stats).toEqual({ exact: 2, byte: 1, prefix: 1, toApproximate: 1 });
  });
  it('drops ids without a row', () => {
    expect([...withinRows(new Map([['a', 0], ['b', 3]]), 3)]).toEqual([['a', 0]]); // prettier-ignore
  });
});
