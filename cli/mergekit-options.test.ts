/**
 * A mergekit-yaml command line runs unchanged: `merge CONFIG OUT` with mergekit's flags, those
 * with a meaning here applied, the others noted, the ones we cannot honour refused.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mergekitSettings } from './mergekit-options.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const tmp = await mkdtemp(path.join(os.tmpdir(), 'cli-mergekit-flags-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const RECIPE = `merge_method: linear
models:
  - model: tinymix-code
    parameters: {weight: 0.5}
  - model: tinymix-math
    parameters: {weight: 0.5}
dtype: bfloat16
`;

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, 'bin/merge-studio.mjs'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });

/** `merge x.yml out ARGS` stops with `message` and exit code 2. */
const refused = (args: string[], message: string) => {
  const r = cli('merge', 'x.yml', 'out', ...args);
  expect(r.stderr).toContain(message);
  expect(r.status).toBe(2);
};

describe("mergekit-yaml's command line", () => {
  it('merge CONFIG OUT with mergekit flags: shards, seed, no tokenizer, no card, quiet, notes', async () => {
    const recipe = path.join(tmp, 'r.yml');
    await writeFile(recipe, RECIPE);
    const out = path.join(tmp, 'out');
    const r = cli(
      'merge', recipe, out, '--models', 'test-data/tinymix', '--cuda', '--lazy-unpickle', '--allow-crimes',
      '--out-shard-size', '600K', '--random-seed', '7', '--no-copy-tokenizer', '--no-write-model-card', '--quiet', '-j', '4', '--lanes', '0',
    ); // prettier-ignore
    expect(r.stderr).toContain("note: mergekit's --cuda changes nothing here: the merge runs on the CPU");
    expect(r.stderr).toContain("note: mergekit's --lazy-unpickle changes nothing here");
    expect(r.stderr).toContain("note: mergekit's --allow-crimes changes nothing here");
    expect(r.stderr).toContain("note: mergekit's --num-threads changes nothing here: use --lanes");
    expect(r.stderr).not.toMatch(/progress:/);
    expect(r.status).toBe(0);
    expect((await readdir(out)).sort()).toEqual([
      'config.json',
      'model-00001-of-00003.safetensors',
      'model-00002-of-00003.safetensors',
      'model-00003-of-00003.safetensors',
      'model.safetensors.index.json',
    ]);
    // The defaults copy the tokenizer and write the card, as mergekit's do.
    const plain = path.join(tmp, 'plain');
    expect(cli('merge', recipe, plain, '--models', 'test-data/tinymix', '--lanes', '0').status).toBe(0);
    expect(await readdir(plain)).toEqual(
      expect.arrayContaining([
        'README.md',
        'mergekit_config.yml',
        'tokenizer.json',
        'generation_config.json',
      ]),
    );
    expect(await readFile(path.join(out, 'config.json'), 'utf8')).toBe(
      await readFile(path.join(plain, 'config.json'), 'utf8'),
    );
  });

  it('refuses what it cannot honour and what is given twice', () => {
    refused(['--no-safe-serialization'], '--no-safe-serialization: Merge Studio writes safetensors only');
    refused(['--lora-merge-dtype', 'float32'], '--lora-merge-dtype is not supported');
    refused(['--seed', '1', '--random-seed', '2'], "give --seed or mergekit's --random-seed, not both");
    refused(
      ['--copy-tokenizer', '--no-copy-tokenizer'],
      'give --copy-tokenizer or --no-copy-tokenizer, not both',
    );
    refused(['--out', 'other'], 'merge-studio merge RECIPE.yml --out OUT');
  });

  it('reads the flags as mergekit does', () => {
    expect(mergekitSettings({})).toEqual({
      shardSize: undefined,
      seed: undefined,
      copyTokenizer: true,
      writeModelCard: true,
      quiet: false,
      notes: [],
    });
    expect(
      mergekitSettings({ 'out-shard-size': '1B', 'no-cuda': true, verbose: [true, true] }),
    ).toMatchObject({
      shardSize: '1B',
      notes: [
        "note: mergekit's --no-cuda changes nothing here: the merge runs on the CPU, in worker threads (--lanes)",
        "note: mergekit's --verbose changes nothing here: every step is logged already",
      ],
    });
  });
});
