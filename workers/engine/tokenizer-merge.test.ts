/**
 * Tokenizer merging end to end on the tinymix models (mergekit's tokenizer/build.py and
 * tokenizer/embed.py): a chat fine-tune of tinymix-math with two added tokens and two more
 * embedding rows, merged with tinymix-code by `linear`, its rows checked against the inputs'
 * own bytes (a row every model shares comes out as that row; rows of tokens both models have
 * are the plain merge's rows).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { loadModel } from '../io/load-model.ts';
import { blobModelSource, memorySink } from '../io/memory.ts';
import { serializeSafetensors } from '../io/safetensors/layout.ts';
import type { ModelResolver, ModelSource } from '../io/source.ts';
import { loadRecipe } from '../plan/recipe-yaml.ts';
import { runMerge } from './run-merge.ts';
import { mergeInMemory } from './test-helpers.ts';

interface TokenizerJson {
  model: { vocab: Record<string, number> };
  added_tokens: {
    id: number;
    content: string;
    single_word: boolean;
    lstrip: boolean;
    rstrip: boolean;
    normalized: boolean;
    special: boolean;
  }[];
}

const EMBEDS = ['model.embed_tokens.weight', 'lm_head.weight'];
const COLS = 128;
const ROW = COLS * 2; // bytes of a bf16 row
const enc = new TextEncoder();
const dec = new TextDecoder();

async function files(id: string): Promise<Map<string, Uint8Array>> {
  const dir = path.join(MODELS_DIR, id);
  const out = new Map<string, Uint8Array>();
  for (const f of await readdir(dir)) out.set(f, new Uint8Array(await readFile(path.join(dir, f))));
  return out;
}

/** The model's tensors as raw bytes, by name. */
async function tensors(
  id: string,
  f: Map<string, Uint8Array>,
): Promise<Map<string, { dtype: 'BF16'; shape: number[]; data: Uint8Array }>> {
  const m = await loadModel(blobModelSource(id, f));
  const res = new Map<string, { dtype: 'BF16'; shape: number[]; data: Uint8Array }>();
  for (const [name, t] of m.tensors) {
    const data = f.get(t.file)!.slice(t.begin, t.end);
    res.set(name, { dtype: t.dtype as 'BF16', shape: [...t.shape], data });
  }
  return res;
}

/**
 * tinymix-math with `<|im_start|>` (id 260) and `<|im_end|>` (id 261) added, their rows copies
 * of its rows for "a" (97) and "</s>" (257); `edit` may change the tokenizer and rows further.
 */
async function chatMath(edit?: (t: TokenizerJson, rows: Uint8Array[]) => void): Promise<ModelSource> {
  const f = await files('tinymix-math');
  const tok = JSON.parse(dec.decode(f.get('tokenizer.json'))) as TokenizerJson;
  for (const [id, content] of [
    [260, '<|im_start|>'],
    [261, '<|im_end|>'],
  ] as const) {
    const flags = { single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
    tok.added_tokens.push({ id, content, ...flags });
  }
  const ts = await tensors('tinymix-math', f);
  const embeds = EMBEDS.map((name) => ts.get(name)!);
  const rows = embeds.map((e) => {
    const r = new Uint8Array(262 * ROW);
    r.set(e.data);
    r.copyWithin(260 * ROW, 97 * ROW, 98 * ROW);
    r.copyWithin(261 * ROW, 257 * ROW, 258 * ROW);
    return r;
  });
  edit?.(tok, rows);
  EMBEDS.forEach((name, i) => ts.set(name, { dtype: 'BF16', shape: [262, COLS], data: rows[i]! }));
  for (const name of f.keys()) if (name.startsWith('model')) f.delete(name); // sharded: one file instead
  f.set('model.safetensors', serializeSafetensors([...ts].map(([name, t]) => ({ name, ...t }))));
  f.set('tokenizer.json', enc.encode(JSON.stringify(tok)));
  const config = JSON.parse(dec.decode(f.get('config.json'))) as Record<string, unknown>;
  f.set('config.json', enc.encode(JSON.stringify({ ...config, vocab_size: 262 })));
  return blobModelSource('tinymix-math', f);
}

const resolver =
  (math: () => Promise<ModelSource>): ModelResolver =>
  async (id) =>
    id === 'tinymix-math' ? math() : blobModelSource(id, await files(id));

const merge = mergeInMemory;

const LINEAR = `merge_method: linear
models:
  - model: tinymix-code
    parameters: {weight: 1}
  - model: tinymix-math
    parameters: {weight: 2}
`;
const row = (b: Uint8Array, r: number): Uint8Array => b.subarray(r * ROW, (r + 1) * ROW);
const bf16 = (b: Uint8Array): Float32Array => {
  const u16 = new Uint16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  return new Float32Array(new Uint32Array(Array.from(u16, (x) => x << 16)).buffer);
};

// math with the ids of "a" and "b" swapped, and its rows swapped with them: the same model
const swapped = (): Promise<ModelSource> =>
  chatMath((t, rows) => {
    t.model.vocab['a'] = 98;
    t.model.vocab['b'] = 97;
    for (const r of rows) {
      const a = r.slice(97 * ROW, 98 * ROW);
      r.copyWithin(97 * ROW, 98 * ROW, 99 * ROW);
      r.set(a, 98 * ROW);
    }
  });

// math defining "a" (97) as a special added token; code, the donor, has it as a regular token
const aSpecial = (): Promise<ModelSource> =>
  chatMath((t) => {
    t.added_tokens.push({
      id: 97,
      content: 'a',
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    });
  });

/** tinymix with tinymix-code's tokenizer_config.json replaced by `text`. */
const codeConfig =
  (text: string): ModelResolver =>
  async (id) => {
    const f = await files(id);
    if (id === 'tinymix-code') f.set('tokenizer_config.json', enc.encode(text));
    return blobModelSource(id, f);
  };

/** tinymix with tinymix-code's config vocab_size 258: its tokenizer's last two ids are stripped. */
const stripped: ModelResolver = async (id) => {
  const f = await files(id);
  if (id === 'tinymix-code') {
    const config = JSON.parse(dec.decode(f.get('config.json'))) as Record<string, unknown>;
    f.set('config.json', enc.encode(JSON.stringify({ ...config, vocab_size: 258 })));
  }
  return blobModelSource(id, f);
};

describe('tokenizer: union (tinymix with a chat fine-tune)', () => {
  it('appends the tokens one model lacks, takes their rows from the model that has them, and keeps the rest', async () => {
    const plain = await merge(
      LINEAR,
      resolver(() => files('tinymix-math').then((f) => blobModelSource('tinymix-math', f))),
    );
    const union = await merge(
      `${LINEAR}tokenizer:\n  source: union\n`,
      resolver(() => chatMath()),
    );
    const math = await tensors('tinymix-math', await files('tinymix-math'));
    for (const name of EMBEDS) {
      expect(union.out.tensors.get(name)!.shape).toEqual([262, COLS]);
      const u = union.bytes(name);
      // tokens both have: the plain merge's rows (ids unchanged)
      expect(u.subarray(0, 260 * ROW)).toEqual(plain.bytes(name).subarray(0, 260 * ROW));
      // only math has them: every model gets math's row, and linear gives it back
      expect(row(u, 260)).toEqual(row(math.get(name)!.data, 97));
      expect(row(u, 261)).toEqual(row(math.get(name)!.data, 257));
    }
    for (const name of plain.out.tensors.keys()) {
      if (!EMBEDS.includes(name)) expect(union.bytes(name)).toEqual(plain.bytes(name));
    }
    expect(union.json('config.json')['vocab_size']).toBe(262);
    const tok = union.json('tokenizer.json') as unknown as TokenizerJson;
    expect(tok.added_tokens.slice(-2)).toEqual([
      {
        id: 260,
        content: '<|im_start|>',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
      {
        id: 261,
        content: '<|im_end|>',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
    ]);
    expect(Object.keys(tok.model.vocab)).toHaveLength(260);
    expect(union.result.warnings.join('\n')).toMatch(/2 token\(s\) added to the tokenizer/);
  });

  it('streams a TIES merge through the rebuilt rows (the base lacks the chat tokens too)', async () => {
    const ties = `merge_method: ties
base_model: tinymix-base
models:
  - model: tinymix-code
    parameters: {weight: 1, density: 1}
  - model: tinymix-math
    parameters: {weight: 0.5, density: 1}
`;
    const plain = await merge(
      ties,
      resolver(() => files('tinymix-math').then((f) => blobModelSource('tinymix-math', f))),
    );
    const union = await merge(
      `${ties}tokenizer_source: union\n`,
      resolver(() => chatMath()),
    );
    const math = await tensors('tinymix-math', await files('tinymix-math'));
    for (const name of EMBEDS) {
      const u = union.bytes(name);
      expect(u.subarray(0, 260 * ROW)).toEqual(plain.bytes(name).subarray(0, 260 * ROW));
      // every model (the base too) takes math's row: no task vector, the row itself
      expect(row(u, 260)).toEqual(row(math.get(name)!.data, 97));
      expect(row(u, 261)).toEqual(row(math.get(name)!.data, 257));
    }
  });

  it('reads a model source as that model’s tokenizer, copied as it is', async () => {
    const union = await merge(
      `${LINEAR}tokenizer:\n  source: union\n`,
      resolver(() => chatMath()),
    );
    const named = await merge(
      `${LINEAR}tokenizer_source: tinymix-math\n`,
      resolver(() => chatMath()),
    );
    for (const name of EMBEDS) expect(named.bytes(name)).toEqual(union.bytes(name));
    const src = await chatMath();
    expect(dec.decode(named.files.get('tokenizer.json'))).toBe(
      dec.decode((await src.readFile('tokenizer.json'))!),
    );
  });

  it('pads to a multiple with each model’s mean row', async () => {
    const padded = await merge(
      `${LINEAR}tokenizer:\n  source: union\n  pad_to_multiple_of: 8\n`,
      resolver(() => chatMath()),
    );
    const union = await merge(
      `${LINEAR}tokenizer:\n  source: union\n`,
      resolver(() => chatMath()),
    );
    const code = await tensors('tinymix-code', await files('tinymix-code'));
    const math = await tensors('tinymix-math', await files('tinymix-math'));
    expect(padded.json('config.json')['vocab_size']).toBe(264);
    for (const name of EMBEDS) {
      const p = padded.bytes(name);
      expect(padded.out.tensors.get(name)!.shape).toEqual([264, COLS]);
      expect(p.subarray(0, 262 * ROW)).toEqual(union.bytes(name));
      expect(row(p, 263)).toEqual(row(p, 262));
      // each model's rebuilt rows: code lacks 260 and 261 and takes math's
      const rebuilt = (own: Uint8Array, extra: Uint8Array[]): Float64Array => {
        const mean = new Float64Array(COLS);
        const rows = [...Array.from({ length: 260 }, (_, r) => row(own, r)), ...extra];
        for (const r of rows) bf16(r).forEach((v, c) => (mean[c] = mean[c]! + v));
        return mean.map((v) => Math.fround(v / 262));
      };
      const m = math.get(name)!.data;
      const mc = rebuilt(code.get(name)!.data, [row(m, 97), row(m, 257)]);
      const mm = rebuilt(m, [row(m, 97), row(m, 257)]);
      const got = bf16(row(p, 262));
      for (let c = 0; c < COLS; c++) {
        const want = (mc[c]! + 2 * mm[c]!) / 3;
        expect(Math.abs(got[c]! - want)).toBeLessThanOrEqual(Math.abs(want) * 2 ** -8 + 1e-30);
      }
    }
  });

  it('follows tokens: a forced zero row, and another token’s row for the model that lacks it', async () => {
    const recipe = `${LINEAR}tokenizer:
  source: union
  tokens:
    "<|im_start|>": {source: {kind: zero}, force: true}
    "<|im_end|>": {source: {kind: model_token, model: tinymix-code, token: "</s>"}}
`;
    const plain = await merge(
      LINEAR,
      resolver(() => files('tinymix-math').then((f) => blobModelSource('tinymix-math', f))),
    );
    const got = await merge(
      recipe,
      resolver(() => chatMath()),
    );
    for (const name of EMBEDS) {
      const u = got.bytes(name);
      expect(row(u, 260).every((b) => b === 0)).toBe(true);
      // code takes its "</s>" row, math keeps its own (a copy of its "</s>"): the plain merge's row 257
      expect(row(u, 261)).toEqual(row(plain.bytes(name), 257));
    }
  });

  it('re-indexes a model whose tokenizer numbers the tokens differently', async () => {
    const straight = await merge(
      `${LINEAR}tokenizer:\n  source: union\n`,
      resolver(() => chatMath()),
    );
    for (const source of ['union', 'base']) {
      const got = await merge(`${LINEAR}tokenizer:\n  source: ${source}\n`, resolver(swapped));
      for (const name of EMBEDS) {
        const rows = source === 'union' ? 262 : 260;
        expect(got.bytes(name)).toEqual(straight.bytes(name).subarray(0, rows * ROW));
      }
    }
  });

  it('makes a token the base has as a regular token an added token as another model defines it', async () => {
    const got = await merge(`${LINEAR}tokenizer:\n  source: union\n`, resolver(aSpecial));
    const straight = await merge(
      `${LINEAR}tokenizer:\n  source: union\n`,
      resolver(() => chatMath()),
    );
    for (const name of EMBEDS) expect(got.bytes(name)).toEqual(straight.bytes(name));
    const tok = got.json('tokenizer.json') as unknown as TokenizerJson;
    expect(tok.added_tokens.find((t) => t.content === 'a')).toMatchObject({ id: 97, special: true });
    expect(tok.model.vocab['a']).toBe(97);
    const decoder = got.json('tokenizer_config.json')['added_tokens_decoder'] as Record<string, unknown>;
    expect(decoder['97']).toMatchObject({ content: 'a', special: true });
    expect(got.result.warnings.join('\n')).toMatch(
      /2 token\(s\) added to the tokenizer, 1 token\(s\) it has made added tokens as another model defines them/,
    );
  });

  it('refuses a tokenizer_config.json it could not rewrite before writing any weight', async () => {
    const broken = codeConfig('{"chat_template": ');
    const sink = memorySink();
    const text = `${LINEAR}tokenizer:\n  source: union\n`;
    await expect(
      runMerge({ recipe: loadRecipe(text).recipe, recipeText: text, resolve: broken, sink }),
    ).rejects.toThrow(/tinymix-code's tokenizer cannot be read \(tokenizer_config.json is not valid JSON/);
    expect([...sink.files.keys()].filter((f) => f.endsWith('.safetensors'))).toEqual([]);
  });

  it('strips the base tokenizer of ids past its vocab_size', async () => {
    const got = await merge(`${LINEAR}tokenizer_source: base\n`, stripped);
    const tok = got.json('tokenizer.json') as unknown as TokenizerJson;
    expect(tok.added_tokens.map((t) => t.content)).toEqual(['<s>', '</s>']);
    expect(Object.values(tok.model.vocab).every((id) => id < 258)).toBe(true);
    expect(got.json('config.json')['vocab_size']).toBe(258);
    for (const name of EMBEDS) expect(got.out.tensors.get(name)!.shape).toEqual([258, COLS]);
  });
});

describe('chat_template (tinymix)', () => {
  const TEMPLATE =
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}";
  const withTemplate: ModelResolver = async (id) => {
    const f = await files(id);
    if (id === 'tinymix-math') {
      const cfg = JSON.parse(dec.decode(f.get('tokenizer_config.json'))) as Record<string, unknown>;
      f.set(
        'tokenizer_config.json',
        enc.encode(JSON.stringify({ ...cfg, chat_template: `  ${TEMPLATE}\n` })),
      );
    }
    return blobModelSource(id, f);
  };

  it('auto takes the models’ most common template into the output tokenizer_config.json', async () => {
    const got = await merge(`${LINEAR}chat_template: auto\n`, withTemplate);
    expect(got.json('tokenizer_config.json')['chat_template']).toBe(TEMPLATE);
    // the rest of the donor's (tinymix-code's) tokenizer is unchanged
    const code = await files('tinymix-code');
    expect(got.files.get('tokenizer.json')).toEqual(code.get('tokenizer.json'));
    const { chat_template: _t, ...rest } = got.json('tokenizer_config.json');
    const donor = JSON.parse(dec.decode(code.get('tokenizer_config.json'))) as Record<string, unknown>;
    expect({ ...rest, added_tokens_decoder: undefined }).toEqual({
      ...donor,
      added_tokens_decoder: undefined,
    });
    expect(dec.decode(got.files.get('mergekit_config.yml'))).toContain('chat_template: auto');
  });

  it('without a donor tokenizer_config.json it can read, copies the tokenizer as it is and says so', async () => {
    const got = await merge(`${LINEAR}chat_template: chatml\n`, codeConfig('[1, 2]'));
    expect(dec.decode(got.files.get('tokenizer_config.json'))).toBe('[1, 2]');
    expect(got.files.has('config.json')).toBe(true);
    expect(got.result.warnings).toContain(
      "tinymix-code's tokenizer files are copied as they are, without the chat template: tokenizer_config.json is not a JSON object",
    );
  });

  it('a built-in name sets that template; a setting that is no template is refused before the merge', async () => {
    const got = await merge(`${LINEAR}chat_template: chatml\n`, withTemplate);
    expect(got.json('tokenizer_config.json')['chat_template']).toMatch(/<\|im_start\|>/);
    expect(() => loadRecipe(`${LINEAR}chat_template: chatmll\n`)).toThrow(
      /7:1: chat_template: chat_template "chatmll" is neither a known name nor a Jinja template/,
    );
  });
});
