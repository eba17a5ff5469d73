/**
 * `extract-lora` from the command line, on the tinymix folders: the files it writes, what it
 * says about Merge Studio's own reader, the token kept out of the model card, and the errors
 * (with their exit codes).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { LoraExtractError } from '../../workers/lora-extract/errors.ts';
import { filesOf, readAll, tinymix } from '../../workers/lora-extract/test-helpers.ts';
import { UsageError } from '../args.ts';
import { extractLoraCommand, invocationOf } from './extract-lora.ts';
import { captureOutput, expectFailure } from './test-output.ts';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'cli-extract-lora-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const { stdout, stderr } = captureOutput();

/** Only layer 0's attention, to keep it quick. */
const run = (out: string, ...extra: string[]) =>
  extractLoraCommand([
    '--models',
    MODELS_DIR,
    '--model',
    'tinymix-code',
    '--base',
    'tinymix-base',
    '--out',
    path.join(tmp, out),
    '--max-rank',
    '8',
    '-i',
    'layers\\.0\\.self_attn',
    ...extra,
  ]);

const fails = expectFailure;

describe('merge-studio extract-lora', () => {
  it('writes the adapter, with no note when every tensor is one our own reader applies', async () => {
    await run('default', '--token', 'hf_secret');
    expect((await readdir(path.join(tmp, 'default'))).sort()).toEqual([
      'README.md',
      'adapter_config.json',
      'adapter_model.safetensors',
    ]);
    expect(stdout.join('')).toMatch(/^extracted a LoRA adapter into .*default in [\d.]+ s: 4 modules decomposed \(r = 8\), 2 other tensors\n$/); // prettier-ignore
    const log = stderr.join('');
    expect(log).toContain('[4/4] model.layers.0.self_attn.v_proj 64x128: rank 8 (exact)');
    expect(log).not.toContain('note:');
    const config = JSON.parse(await readFile(path.join(tmp, 'default', 'adapter_config.json'), 'utf8')) as {
      modules_to_save: string[];
    };
    expect(config.modules_to_save).toEqual(['lm_head', 'embed_tokens']);
    const card = await readFile(path.join(tmp, 'default', 'README.md'), 'utf8');
    expect(card).not.toContain('hf_secret');
    expect(card).toContain(`--token '***'`);
    expect(card).toContain('# default\n');
  });

  it("--embed-lora --skip-undecomposable (and mergekit's option names): plain factors only, no note", async () => {
    await extractLoraCommand([
      '--models',
      MODELS_DIR,
      '--model',
      'tinymix-code',
      '--base-model',
      'tinymix-base',
      '--out-path',
      path.join(tmp, 'plain'),
      '--max-rank=4',
      '--embed-lora',
      '--skip-undecomposable',
      '-e',
      'layers\\.[123]|mlp',
    ]);
    expect(stderr.join('')).not.toContain('note:');
    const config = JSON.parse(await readFile(path.join(tmp, 'plain', 'adapter_config.json'), 'utf8')) as Record<string, unknown>; // prettier-ignore
    expect(config).toMatchObject({ r: 4, modules_to_save: [], target_modules: ['embed_tokens', 'k_proj', 'lm_head', 'o_proj', 'q_proj', 'v_proj'] }); // prettier-ignore
  });

  it('invocationOf quotes what a shell would split, and withholds the token in both spellings', () => {
    expect(invocationOf(['--model', 'a b', '-e', "it's", '--token', 't', '--token=u'])).toBe(
      `merge-studio extract-lora --model 'a b' -e 'it'\\''s' --token '***' '--token=***'`,
    );
  });

  describe('errors', () => {
    it('usage: missing options, a bad rank or epsilon, contradicting flags', async () => {
      await fails(extractLoraCommand(['--model', 'a', '--base', 'b']), UsageError, /^merge-studio extract-lora --model FT/, 2); // prettier-ignore
      await fails(run('x', '--max-rank', '0'), UsageError, /--max-rank must be a whole number/, 2);
      await fails(run('x', '--sv-epsilon', 'abc'), UsageError, /--sv-epsilon must be a number/, 2);
      await fails(run('x', '--embed-lora', '--no-embed-lora'), UsageError, /contradict/, 2);
    });

    it('an unknown --save-module, and patterns that select nothing', async () => {
      await fails(run('x', '--save-module', 'attention'), LoraExtractError, /--save-module attention: tinymix-code has no module named so/, 2); // prettier-ignore
      await fails(run('x', '-e', 'self_attn'), LoraExtractError, /^no module of tinymix-code is left to decompose/, 2); // prettier-ignore
    });

    it('a base whose tensor has another shape', async () => {
      const tensors = await readAll(await tinymix('tinymix-base'));
      const q = tensors.get('model.layers.0.self_attn.q_proj.weight')!;
      tensors.set('model.layers.0.self_attn.q_proj.weight', { ...q, shape: [64, 256] });
      const dir = path.join(tmp, 'models', 'other-base');
      await mkdir(dir, { recursive: true });
      for (const [name, bytes] of filesOf(tensors)) await writeFile(path.join(dir, name), bytes);
      await fails(
        run('x', '--base', dir),
        LoraExtractError,
        /^model\.layers\.0\.self_attn\.q_proj\.weight is \[128, 128\] in tinymix-code but \[64, 256\] in .*other-base/,
        2,
      );
    });
  });
});
