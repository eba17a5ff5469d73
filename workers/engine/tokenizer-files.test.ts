/**
 * The output tokenizer files: stripping as mergekit's get_stripped_tokenizer, appending as the
 * tokenizers library's add_tokens, tokenizer_config.json's added_tokens_decoder as transformers
 * writes it, the chat template, and "no rewrite" when nothing changes. Small hand-written
 * tokenizers plus the tinymix fixture.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tokenizerInfoFromJson, type AddedToken } from '../plan/tokenizer-vocab.ts';
import { rewriteTokenizer, TokenizerRewriteError, type TokenizerRewriteInput } from './tokenizer-files.ts';

type Json = Record<string, unknown>;

const special = (id: number, content: string): AddedToken => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});
const plain = (id: number, content: string): AddedToken => ({
  ...special(id, content),
  normalized: true,
  special: false,
});

/** A small BPE tokenizer.json; `arrays` writes the merges as ["a", "b"] pairs, as tokenizers >= 0.20 does. */
function bpe(arrays = false): Json {
  const merges = ['a b', 'z z', 'zz z', 'a 12'];
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ ...plain(3, 'ab') }, { ...special(6, '<s>') }, { ...special(7, '<pad>') }],
    normalizer: { type: 'NFC' },
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel' },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      vocab: { a: 0, b: 1, z: 2, ab: 3, zz: 4, '12': 5, '<s>': 6 },
      merges: arrays ? merges.map((m) => m.split(' ')) : merges,
    },
  };
}

const CONFIG = { bos_token: '<s>', model_max_length: 512, tokenizer_class: 'PreTrainedTokenizerFast' };

function rewrite(tok: Json, opts: Omit<TokenizerRewriteInput, 'tokenizerJson'> = {}) {
  const out = rewriteTokenizer({ tokenizerJson: JSON.stringify(tok, null, 2), ...opts });
  if (!out) throw new Error('expected a rewrite');
  // A chat template alone leaves tokenizer.json to be copied: read the input then.
  const tokenizerJson = out.files['tokenizer.json'] ?? JSON.stringify(tok);
  const tokenizerConfig = out.files['tokenizer_config.json'];
  if (tokenizerConfig === undefined) throw new Error('tokenizer_config.json missing');
  return {
    ...out,
    tokenizerJson,
    tok: JSON.parse(tokenizerJson) as Json & { model: Json; added_tokens: Json[] },
    config: JSON.parse(tokenizerConfig) as Json,
    configText: tokenizerConfig,
  };
}

const vocabOrder = (text: string): string[] => {
  const vocab = /"vocab": \{([^}]*)\}/.exec(text)?.[1] ?? '';
  return [...vocab.matchAll(/"((?:[^"\\]|\\.)*)": \d+/g)].map((m) => m[1] ?? '');
};

const bad = (tokenizerJson: string) => () => rewriteTokenizer({ tokenizerJson, stripFrom: 1 });

describe('stripping tokens past the vocabulary (get_stripped_tokenizer)', () => {
  for (const arrays of [false, true]) {
    it(`removes ids >= stripFrom from added_tokens, model.vocab and the merges (${arrays ? 'array' : 'string'} merges)`, () => {
      const input = bpe(arrays);
      const out = rewrite(input, { stripFrom: 4, tokenizerConfig: JSON.stringify(CONFIG) });
      const model = out.tok.model;
      expect(model['vocab']).toEqual({ a: 0, b: 1, z: 2, ab: 3 });
      expect(model['merges']).toEqual(
        arrays
          ? [
              ['a', 'b'],
              ['z', 'z'],
            ]
          : ['a b', 'z z'],
      );
      expect(out.tok.added_tokens).toEqual([plain(3, 'ab')]);
      expect(out.removed).toEqual({ addedTokens: 2, vocab: 3, merges: 2 });
      // Nothing else moved: same keys in the same order, same values.
      expect(Object.keys(out.tok)).toEqual(Object.keys(input));
      expect(Object.keys(model)).toEqual(Object.keys(input['model'] as Json));
      for (const k of [
        'version',
        'truncation',
        'padding',
        'normalizer',
        'pre_tokenizer',
        'post_processor',
        'decoder',
      ]) {
        expect(out.tok[k]).toEqual(input[k]);
      }
      expect(out.config['added_tokens_decoder']).toEqual({
        '3': {
          content: 'ab',
          lstrip: false,
          normalized: true,
          rstrip: false,
          single_word: false,
          special: false,
        },
      });
      // The model vocabulary changed: the slow files and added_tokens.json are stale.
      expect(out.dropFiles).toEqual(
        expect.arrayContaining(['added_tokens.json', 'tokenizer.model', 'vocab.json', 'merges.txt']),
      );
      expect(out.dropFiles).not.toContain('chat_template.jinja');
    });
  }

  it('writes an object vocabulary in id order, integer-like tokens included', () => {
    const out = rewrite(bpe(), { stripFrom: 7 });
    expect(vocabOrder(out.tokenizerJson)).toEqual(['a', 'b', 'z', 'ab', 'zz', '12', '<s>']);
    expect(out.tok.added_tokens.map((t) => t['id'])).toEqual([3, 6]);
    expect(out.removed).toEqual({ addedTokens: 1, vocab: 0, merges: 0 });
    // Only added tokens went: the slow vocabulary files still hold the same model vocabulary.
    expect(out.dropFiles).toEqual(['added_tokens.json']);
  });

  it('removes a vocabulary entry under the limit whose text is an added token past it, as mergekit does', () => {
    const tok = bpe();
    (tok['added_tokens'] as Json[]).push({ ...special(9, 'z') });
    const out = rewrite(tok, { stripFrom: 8 });
    expect(out.tok.model['vocab']).not.toHaveProperty('z');
    expect(out.tok.model['merges']).toEqual(['a b', 'a 12']);
  });

  it('leaves the files alone when nothing is at or past stripFrom', () => {
    expect(rewriteTokenizer({ tokenizerJson: JSON.stringify(bpe()), stripFrom: 8 })).toBeUndefined();
    expect(rewriteTokenizer({ tokenizerJson: JSON.stringify(bpe()) })).toBeUndefined();
  });

  it('refuses to strip a tokenizer that is not BPE, but lets one with nothing to strip pass', () => {
    const unigram = {
      added_tokens: [special(3, '<s>')],
      model: {
        type: 'Unigram',
        vocab: [
          ['a', -1],
          ['b', -2],
          ['c', -3],
          ['<s>', 0],
        ],
      },
    };
    const run = (stripFrom: number) => () =>
      rewriteTokenizer({ tokenizerJson: JSON.stringify(unigram), stripFrom });
    expect(run(3)).toThrow(TokenizerRewriteError);
    expect(run(3)).toThrow(/only from a BPE tokenizer, not a Unigram one/);
    expect(run(4)()).toBeUndefined();
  });

  it('rejects malformed input with a named error', () => {
    expect(bad('{')).toThrow(/tokenizer.json is not valid JSON/);
    expect(bad('{"added_tokens": []}')).toThrow(/no "model" object/);
    const tok = bpe();
    (tok['model'] as Json)['merges'] = [3];
    expect(bad(JSON.stringify(tok))).toThrow(/merges\[0\]/);
  });
});

const appendOne = (t: AddedToken) => () =>
  rewriteTokenizer({ tokenizerJson: JSON.stringify(bpe()), append: [t] });

describe('appending added tokens (add_tokens with the planner ids)', () => {
  it('adds entries with their ids and flags after the others, not to model.vocab', () => {
    const imEnd = { ...special(9, '<|im_end|>'), lstrip: true, single_word: true };
    const out = rewrite(bpe(), {
      append: [special(8, '<|im_start|>'), imEnd],
      tokenizerConfig: JSON.stringify(CONFIG),
    });
    expect(out.tok.added_tokens.slice(-2)).toEqual([special(8, '<|im_start|>'), imEnd]);
    expect(Object.keys(out.tok.added_tokens[2] ?? {})).toEqual([
      'id',
      'content',
      'single_word',
      'lstrip',
      'rstrip',
      'normalized',
      'special',
    ]);
    expect(out.tok.model['vocab']).toEqual((bpe()['model'] as Json)['vocab']);
    expect(out.appended).toBe(2);
    expect(out.dropFiles).toEqual(['added_tokens.json']);
    expect(Object.keys(out.config['added_tokens_decoder'] as Json)).toEqual(['3', '6', '7', '8', '9']);
    expect((out.config['added_tokens_decoder'] as Json)['9']).toEqual({
      content: '<|im_end|>',
      lstrip: true,
      normalized: false,
      rstrip: false,
      single_word: true,
      special: true,
    });
  });

  it('makes a vocabulary token an added token at its own id, and re-flags an added one in place', () => {
    const out = rewrite(bpe(), { append: [special(0, 'a'), special(3, 'ab')] });
    expect(out.tok.added_tokens.map((t) => [t['id'], t['content'], t['special']])).toEqual([
      [0, 'a', true],
      [3, 'ab', true],
      [6, '<s>', true],
      [7, '<pad>', true],
    ]);
    expect(out.appended).toBe(2);
  });

  it('counts a token appended exactly as it already is as no change', () => {
    expect(
      rewriteTokenizer({ tokenizerJson: JSON.stringify(bpe()), append: [special(6, '<s>')] }),
    ).toBeUndefined();
  });

  it('appends after stripping, the freed ids reusable', () => {
    const out = rewrite(bpe(), { stripFrom: 6, append: [special(6, '<new>')] });
    expect(out.tok.added_tokens.map((t) => t['content'])).toEqual(['ab', '<new>']);
  });

  it('refuses ids that the tokenizers library would not give', () => {
    expect(appendOne(special(1, '<new>'))).toThrow(/already has "b" there/);
    expect(appendOne(special(7, '<new>'))).toThrow(/already has "<pad>" there/);
    expect(appendOne(special(8, '<s>'))).toThrow(/"<s>" already has the id 6 in the tokenizer, not 8/);
    expect(appendOne(special(8, 'zz'))).toThrow(/"zz" already has the id 4/);
    expect(appendOne(special(8, ''))).toThrow(TokenizerRewriteError);
  });

  it('quotes token text in its errors, cut short', () => {
    const huge = 'q'.repeat(5_000_000);
    try {
      appendOne(special(1, huge))();
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TokenizerRewriteError);
      expect((e as Error).message.length).toBeLessThan(300);
      expect((e as Error).message).toMatch(/^cannot add token "q{64}"… \(5000000 characters\) with id 1/);
    }
    const tok = bpe();
    (tok['model'] as Json)['type'] = 'T'.repeat(1_000_000);
    try {
      rewriteTokenizer({ tokenizerJson: JSON.stringify(tok), stripFrom: 1 });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message.length).toBeLessThan(400);
    }
  });

  it('checks ids against a Unigram list vocabulary too', () => {
    const unigram = {
      added_tokens: [],
      model: {
        type: 'Unigram',
        vocab: [
          ['a', -1],
          ['b', -2],
        ],
      },
    };
    const run = (t: AddedToken) => () =>
      rewriteTokenizer({ tokenizerJson: JSON.stringify(unigram), append: [t] })?.files['tokenizer.json'];
    expect(run(special(1, '<x>'))).toThrow(/already has "b" there/);
    const text = run(special(2, '<x>'))() ?? '';
    expect(JSON.parse(text)).toEqual({ ...unigram, added_tokens: [special(2, '<x>')] });
  });
});

describe('tokenizer_config.json', () => {
  it('keeps every key and its order, replaces a stale added_tokens_decoder and ends with a newline', () => {
    const config = {
      added_tokens_decoder: { '99': { content: '<old>', special: true } },
      bos_token: '<s>',
      chat_template: 'old',
      model_max_length: 512,
    };
    const out = rewrite(bpe(), {
      stripFrom: 7,
      tokenizerConfig: JSON.stringify(config),
      chatTemplate: '{{ new }} template here',
    });
    expect(Object.keys(out.config)).toEqual(Object.keys(config));
    expect(Object.keys(out.config['added_tokens_decoder'] as Json)).toEqual(['3', '6']);
    expect(out.config['chat_template']).toBe('{{ new }} template here');
    expect(out.config['bos_token']).toBe('<s>');
    expect(out.configText.endsWith('}\n')).toBe(true);
  });

  it('writes a minimal config when the donor has none: added_tokens_decoder and the template only', () => {
    const out = rewrite(bpe(), { chatTemplate: '{{ messages }} is a template' });
    expect(Object.keys(out.config)).toEqual(['added_tokens_decoder', 'chat_template']);
    expect(Object.keys(out.config['added_tokens_decoder'] as Json)).toEqual(['3', '6', '7']);
  });
});

describe('chat template', () => {
  const template = "{% for m in messages %}{{ m['content'] }}{% endfor %}";

  it('sets the config key and drops the template files that would override it', () => {
    const out = rewrite(bpe(), { chatTemplate: template, tokenizerConfig: JSON.stringify(CONFIG) });
    expect(out.config['chat_template']).toBe(template);
    expect(out.files['chat_template.jinja']).toBeUndefined();
    expect(out.dropFiles).toEqual(['chat_template.jinja', 'chat_template.json']);
    // The tokens are unchanged: tokenizer.json is copied as it is.
    expect(Object.keys(out.files)).toEqual(['tokenizer_config.json']);
  });

  it('writes chat_template.jinja too when the donor keeps its template there', () => {
    const out = rewrite(bpe(), { chatTemplate: template, chatTemplateJinja: 'old', tokenizerConfig: '{}' });
    expect(out.files['chat_template.jinja']).toBe(template);
    expect(out.config['chat_template']).toBe(template);
    expect(out.dropFiles).toEqual(['chat_template.json']);
  });

  it('rewrites only the config of a donor without tokenizer.json', () => {
    const out = rewriteTokenizer({ tokenizerConfig: JSON.stringify(CONFIG), chatTemplate: template });
    expect(Object.keys(out?.files ?? {})).toEqual(['tokenizer_config.json']);
    expect(JSON.parse(out?.files['tokenizer_config.json'] ?? '')).toEqual({
      ...CONFIG,
      chat_template: template,
    });
    expect(rewriteTokenizer({ tokenizerConfig: '{}' })).toBeUndefined();
    expect(() => rewriteTokenizer({ stripFrom: 3 })).toThrow(/no tokenizer.json/);
  });
});

describe('the tinymix fixture', () => {
  const dir = new URL('../../test-data/tinymix/tinymix-base/', import.meta.url);
  const tokenizerJson = readFileSync(new URL('tokenizer.json', dir), 'utf8');
  const tokenizerConfig = readFileSync(new URL('tokenizer_config.json', dir), 'utf8');
  const original = JSON.parse(tokenizerJson) as Json & { model: Json; added_tokens: Json[] };

  it('is copied as it is without changes', () => {
    expect(rewriteTokenizer({ tokenizerJson, tokenizerConfig, stripFrom: 260, append: [] })).toBeUndefined();
  });

  it('strips <pad> and <unk> (258, 259) from the added tokens and the vocabulary', () => {
    const out = rewrite(original, { tokenizerConfig, stripFrom: 258 });
    const info = tokenizerInfoFromJson(out.tok);
    if (info.kind !== 'vocab') throw new Error(info.kind);
    expect(info.vocab.size).toBe(258);
    expect([...info.vocab.values()].every((id) => id < 258)).toBe(true);
    expect(out.tok.added_tokens.map((t) => t['content'])).toEqual(['<s>', '</s>']);
    expect({ ...out.tok, added_tokens: [], model: {} }).toEqual({ ...original, added_tokens: [], model: {} });
    const config = JSON.parse(tokenizerConfig) as Json;
    expect(out.config).toEqual({
      ...config,
      added_tokens_decoder: {
        '256': {
          content: '<s>',
          lstrip: false,
          normalized: false,
          rstrip: false,
          single_word: false,
          special: true,
        },
        '257': {
          content: '</s>',
          lstrip: false,
          normalized: false,
          rstrip: false,
          single_word: false,
          special: true,
        },
      },
    });
  });

  it('appends chat tokens and sets a template', () => {
    const out = rewrite(original, {
      tokenizerConfig,
      append: [special(260, '<|im_start|>'), special(261, '<|im_end|>')],
      chatTemplate: "{% for m in messages %}{{ '<|im_start|>' + m['content'] }}{% endfor %}",
    });
    expect(out.tok.added_tokens.map((t) => t['id'])).toEqual([256, 257, 258, 259, 260, 261]);
    expect(out.tok.model).toEqual(original.model);
    expect(Object.keys(out.config['added_tokens_decoder'] as Json)).toHaveLength(6);
    expect(out.config['chat_template']).toContain('<|im_start|>');
    // What the studio reads back sees the new tokens at their ids.
    const info = tokenizerInfoFromJson(out.tok);
    expect(info.kind === 'vocab' && info.vocab.get('<|im_end|>')).toBe(261);
  });
});

it('strips a large tokenizer in linear time', () => {
  const n = 60_000;
  const vocab: Record<string, number> = {};
  const merges: string[] = [];
  for (let i = 0; i < n; i++) {
    vocab[`t${i}`] = i;
    merges.push(`t${i} t${(i * 7) % n}`);
  }
  const tok = { added_tokens: [], model: { type: 'BPE', vocab, merges } };
  const t0 = performance.now();
  const out = rewrite(tok, { stripFrom: n - 1000 });
  expect(Object.keys(out.tok.model['vocab'] as Json)).toHaveLength(n - 1000);
  expect(out.removed.vocab).toBe(1000);
  expect(performance.now() - t0).toBeLessThan(10_000);
});
