import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { loadRecipe } from '../plan/recipe-yaml.ts';
import { blobModelSource } from './memory.ts';
import { readTokenizerInfo, withTokenizer } from './read-tokenizer.ts';
import type { LoadedModel } from './load-model.ts';

function model(files: Record<string, string | Uint8Array>): LoadedModel {
  const map = new Map(
    Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? new TextEncoder().encode(v) : v]),
  );
  return {
    id: 'm',
    config: {},
    tensors: new Map(),
    source: blobModelSource('m', map),
    weightFiles: [],
    files: [...map.keys()],
  };
}

describe('reading a model tokenizer', () => {
  it('reads the tinymix vocabulary: 256 bytes and 4 special tokens', async () => {
    const json = await readFile(path.join(MODELS_DIR, 'tinymix-base', 'tokenizer.json'));
    const info = await readTokenizerInfo(model({ 'tokenizer.json': json }));
    expect(info.kind === 'vocab' && info.vocab.size).toBe(260);
    expect(info.kind === 'vocab' && info.vocab.get('<unk>')).toBe(259);
  });
  it('tells no tokenizer from one it cannot read', async () => {
    expect(await readTokenizerInfo(model({ 'config.json': '{}' }))).toEqual({ kind: 'none' });
    expect(await readTokenizerInfo(model({ 'tokenizer.model': 'x' }))).toMatchObject({
      kind: 'unreadable',
      reason: expect.stringMatching(/no tokenizer.json, only tokenizer.model/),
    });
    expect(await readTokenizerInfo(model({ 'tokenizer.json': '{' }))).toMatchObject({
      kind: 'unreadable',
      reason: expect.stringMatching(/not valid JSON/),
    });
  });
  it('refuses a tokenizer_config.json the merged tokenizer could not be written from', async () => {
    const json = await readFile(path.join(MODELS_DIR, 'tinymix-base', 'tokenizer.json'));
    expect(
      await readTokenizerInfo(model({ 'tokenizer.json': json, 'tokenizer_config.json': '{"a": ' })),
    ).toMatchObject({
      kind: 'unreadable',
      reason: expect.stringMatching(/^tokenizer_config.json is not valid JSON/),
    });
    expect(
      await readTokenizerInfo(model({ 'tokenizer.json': json, 'tokenizer_config.json': 'null' })),
    ).toEqual({ kind: 'unreadable', reason: 'tokenizer_config.json is not a JSON object' });
    expect(
      await readTokenizerInfo(model({ 'tokenizer.json': json, 'tokenizer_config.json': '{}' })),
    ).toMatchObject({ kind: 'vocab' });
  });
  it('reads only for recipes that name a tokenizer', async () => {
    const m = model({ 'tokenizer.json': '{}' });
    const plain = loadRecipe('merge_method: linear\nmodels: [{model: m, parameters: {weight: 1}}]\n').recipe;
    expect(await withTokenizer(plain, m)).toBe(m);
    const withTok = await withTokenizer({ ...plain, tokenizer_source: 'base' }, m);
    expect(withTok.tokenizer).toMatchObject({ kind: 'unreadable' });
  });
});
