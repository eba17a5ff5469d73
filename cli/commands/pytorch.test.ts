/**
 * `merge-studio pytorch`: mergekit-pytorch's command line (CONFIG OUT, or --out), models as
 * paths from the working directory, the output folder's weights only, and its usage errors.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const tmp = await mkdtemp(path.join(os.tmpdir(), 'cli-pytorch-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const CONFIG = `merge_method: ties
base_model: test-data/tinymix/tinymix-base/model.safetensors
models:
  - model: test-data/tinymix/tinymix-code/model.safetensors
    parameters: {weight: 0.5, density: 0.6}
  - model: test-data/torch-bin/tinymix-math
    parameters: {weight: 0.3, density: 0.7}
  - model: test-data/torch-bin/tinymix-law-legacy/pytorch_model.bin
    parameters: {weight: 0.4, density: 0.5}
dtype: bfloat16
`;

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, 'bin/merge-studio.mjs'), 'pytorch', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });

describe('merge-studio pytorch', () => {
  it('merges checkpoint paths into OUT/model.safetensors, with OUT after CONFIG or as --out', async () => {
    const config = path.join(tmp, 'raw.yml');
    await writeFile(config, CONFIG);
    const a = cli(config, path.join(tmp, 'a'));
    expect(a.stderr).toContain('plan: 39 tensors');
    expect(a.stdout).toMatch(/^merged 39 tensors into .*\/a in \d+\.\d s: 1 files, 1\.6 MB written/);
    expect(a.status).toBe(0);
    expect(await readdir(path.join(tmp, 'a'))).toEqual(['model.safetensors']);
    const b = cli(config, '--out', path.join(tmp, 'b'), '--shard-size', '600K', '--lanes', '0');
    expect(b.status).toBe(0);
    expect((await readdir(path.join(tmp, 'b'))).sort()).toEqual([
      'model-00001-of-00003.safetensors',
      'model-00002-of-00003.safetensors',
      'model-00003-of-00003.safetensors',
      'model.safetensors.index.json',
    ]);
    const index = JSON.parse(await readFile(path.join(tmp, 'b/model.safetensors.index.json'), 'utf8')) as {
      weight_map: Record<string, string>;
    };
    expect(Object.keys(index.weight_map)).toHaveLength(39);
  });

  it('says what is wrong: usage, both tensor modes, a missing path, a recipe key it cannot use', async () => {
    expect(cli().status).toBe(2);
    const both = cli('x.yml', 'out', '-u', '-i');
    expect(both.stderr).toContain('--tensor-union and --tensor-intersection cannot both be given');
    expect(both.status).toBe(2);
    const missing = path.join(tmp, 'missing.yml');
    await writeFile(missing, CONFIG.replace('tinymix-code/model.safetensors', 'tinymix-code/gone.bin'));
    const m = cli(missing, path.join(tmp, 'c'));
    expect(m.stderr).toMatch(
      /model 'test-data\/tinymix\/tinymix-code\/gone\.bin' not found: no file or folder/,
    );
    expect(m.status).toBe(2);
    const chat = path.join(tmp, 'chat.yml');
    await writeFile(chat, `${CONFIG}chat_template: chatml\n`);
    const c = cli(chat, path.join(tmp, 'd'));
    expect(c.stderr).toContain('chat.yml:11:1: chat_template: a pytorch merge writes tensors only');
    expect(c.status).toBe(2);
  });
});
