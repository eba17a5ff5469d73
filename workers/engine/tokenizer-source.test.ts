/**
 * `tokenizer_source: base` end to end on the tinymix models, which share one byte-level
 * tokenizer (260 tokens, as many as their embedding rows): the same bytes as without it, the
 * embeddings cut when the tokenizer is shorter than the rows. Tokenizers that differ are
 * ./tokenizer-merge.test.ts's.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { blobModelSource } from '../io/memory.ts';
import type { ModelResolver, ModelSource } from '../io/source.ts';
import { mergeInMemory, TINYMIX_TIES } from './test-helpers.ts';

interface TokenizerJson {
  model: { vocab: Record<string, number> };
  added_tokens: { id: number; content: string }[];
}

/** A tinymix model in memory, its tokenizer.json changed by `edit` when given. */
async function tinymix(id: string, edit?: (t: TokenizerJson) => void): Promise<ModelSource> {
  const dir = path.join(MODELS_DIR, id);
  const files = new Map<string, Uint8Array>();
  for (const f of await readdir(dir)) files.set(f, await readFile(path.join(dir, f)));
  if (edit) {
    const t = JSON.parse(new TextDecoder().decode(files.get('tokenizer.json'))) as TokenizerJson;
    edit(t);
    files.set('tokenizer.json', new TextEncoder().encode(JSON.stringify(t)));
  }
  return blobModelSource(id, files);
}

const resolver =
  (edit?: (id: string, t: TokenizerJson) => void): ModelResolver =>
  (id) =>
    tinymix(id, edit && ((t) => edit(id, t)));

const merge = mergeInMemory;

const TIES = TINYMIX_TIES.replace('dtype: bfloat16\n', '');
const LINEAR = `merge_method: linear
models:
  - model: tinymix-code
    parameters: {weight: 1}
  - model: tinymix-math
    parameters: {weight: 2}
`;
const EMBEDS = ['model.embed_tokens.weight', 'lm_head.weight'];

describe('tokenizer_source: base (tinymix)', () => {
  it('gives the same tensors and config as without it when the tokenizer covers every row', async () => {
    const plain = await merge(TIES, resolver());
    const withTok = await merge(`${TIES}tokenizer_source: base\n`, resolver());
    expect([...withTok.out.tensors.keys()]).toEqual([...plain.out.tensors.keys()]);
    for (const name of plain.out.tensors.keys()) expect(withTok.bytes(name)).toEqual(plain.bytes(name));
    expect(withTok.json('config.json')).toEqual(plain.json('config.json'));
    expect(withTok.result.warnings).toEqual(plain.result.warnings);
  });

  it('cuts the embeddings to a shorter tokenizer and sets vocab_size, as mergekit strips them', async () => {
    // Every model's tokenizer without its last two added tokens (<pad>, <unk>): 258 tokens, 260 rows.
    const shorter = resolver((_, t) => {
      t.added_tokens = t.added_tokens.filter((a) => a.id < 258);
      t.model.vocab = Object.fromEntries(Object.entries(t.model.vocab).filter(([, id]) => id < 258));
    });
    const plain = await merge(LINEAR, shorter);
    const cut = await merge(`${LINEAR}tokenizer_source: base\n`, shorter);
    expect(cut.json('config.json')['vocab_size']).toBe(258);
    expect(plain.json('config.json')['vocab_size']).toBe(260);
    for (const name of EMBEDS) {
      expect(cut.out.tensors.get(name)!.shape).toEqual([258, 128]);
      // linear is row by row: the cut merge is the first 258 rows of the uncut one.
      expect(cut.bytes(name)).toEqual(plain.bytes(name).subarray(0, 258 * 128 * 2));
    }
    for (const name of plain.out.tensors.keys()) {
      if (!EMBEDS.includes(name)) expect(cut.bytes(name)).toEqual(plain.bytes(name));
    }
    expect(cut.result.warnings).toContain(
      'tokenizer_source: base: embeddings cut from 260 to 258 rows, config.json vocab_size 260 set to 258, as mergekit does',
    );
  });
});
