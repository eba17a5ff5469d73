import { describe, expect, it } from 'vitest';
import { folderModelSource } from '../io/node/fs-source.ts';
import { TINYMIX } from './test-helpers.ts';
import { bosTokenOf, loadPromptTokenizer, tokenizePrompts } from './prompt-tokens.ts';

describe('prompt tokens (mergekit tokenize_prompts)', () => {
  it('reads the BOS token text from tokenizer_config.json, else special_tokens_map.json', () => {
    expect(bosTokenOf({ bos_token: '<s>' })).toBe('<s>');
    expect(bosTokenOf({ bos_token: { content: '<|begin_of_text|>', lstrip: false } })).toBe(
      '<|begin_of_text|>',
    );
    expect(bosTokenOf({ bos_token: null }, { bos_token: '<bos>' })).toBe('<bos>');
    expect(bosTokenOf({}, undefined)).toBeUndefined();
  });

  it('puts the BOS text in front of each prompt and adds no other special token', async () => {
    const t = await loadPromptTokenizer(folderModelSource('tinymix-base', `${TINYMIX}/tinymix-base`));
    expect(t.bos).toBe('<s>');
    const ids = tokenizePrompts(t, ['Hi', '']);
    expect(ids.map((x) => [...x])).toEqual([[256, 72, 105], [256]]);
    expect([...tokenizePrompts({ ...t, bos: undefined }, ['Hi'])[0]!]).toEqual([72, 105]);
  });
});
