/**
 * `moe CONFIG --out OUT`: a Mixtral MoE and a DeepSeek MoE from the tinymix folders, evaluated
 * with `eval`; config errors carry the file and line and exit with 2.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { TINYMIX_MOE } from '../../workers/moe/test-helpers.ts';
import { UsageError } from '../args.ts';
import { exitCodeOf } from '../errors.ts';
import { evalCommand } from './eval.ts';
import { moeCommand } from './moe.ts';
import { captureOutput } from './test-output.ts';

let tmp: string;
const { stdout: out, stderr: err } = captureOutput();

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'cli-moe-'));
  await writeFile(path.join(tmp, 'moe.yml'), TINYMIX_MOE);
  await writeFile(
    path.join(tmp, 'deepseek.yml'),
    `${TINYMIX_MOE}shared_experts:\n  - source_model: tinymix-code-b\n`,
  );
  await writeFile(path.join(tmp, 'typo.yml'), TINYMIX_MOE.replace('gate_mode', 'gatemode'));
  await writeFile(
    path.join(tmp, 'same.yml'),
    TINYMIX_MOE.replace(/tinymix-(code|math|law)/g, 'tinymix-base'),
  );
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const moe = (config: string, dir: string, ...more: string[]) =>
  moeCommand([path.join(tmp, config), '--models', MODELS_DIR, '--out', path.join(tmp, dir), ...more]);

describe('merge-studio moe', () => {
  it('builds a MoE that eval reads', async () => {
    await moe('moe.yml', 'out', '--shard-size', '1M', '--seed', '3');
    expect(out.join('')).toMatch(/^built a 3-expert Mixtral MoE \(4 layers, 67 tensors\)/);
    expect(err.join('')).toMatch(/not a power of two/);
    const files = (await readdir(path.join(tmp, 'out'))).sort();
    expect(files).toEqual([
      'README.md',
      'config.json',
      'generation_config.json',
      'mergekit_moe_config.yml',
      'model-00001-of-00004.safetensors',
      'model-00002-of-00004.safetensors',
      'model-00003-of-00004.safetensors',
      'model-00004-of-00004.safetensors',
      'model.safetensors.index.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    out.length = 0;
    await evalCommand([path.join(tmp, 'out'), '--text', path.join(MODELS_DIR, 'eval-code.txt'), '--windows', '4', '--json']); // prettier-ignore
    const [row] = JSON.parse(out.join('')) as { loss: number }[];
    expect(row!.loss).toBeGreaterThan(1);
    expect(row!.loss).toBeLessThan(2.5);
  });

  it('builds a DeepSeek MoE with a shared expert from any model, which eval reads', async () => {
    await moe('deepseek.yml', 'deepseek');
    expect(out.join('')).toMatch(
      /^built a 3-expert DeepSeek MoE with 1 shared expert \(4 layers, 79 tensors\)/,
    );
    expect(err.join('')).toMatch(/architecture: DeepSeek MoE/);
    out.length = 0;
    await evalCommand([path.join(tmp, 'deepseek'), '--text', path.join(MODELS_DIR, 'eval-code.txt'), '--windows', '4', '--json']); // prettier-ignore
    const [row] = JSON.parse(out.join('')) as { loss: number }[];
    expect(row!.loss).toBeGreaterThan(1);
    expect(row!.loss).toBeLessThan(2.5);
  });

  it("takes mergekit-moe's command line: CONFIG OUT and its merge options", async () => {
    const dir = path.join(tmp, 'mk');
    await moeCommand([path.join(tmp, 'moe.yml'), dir, '--models', MODELS_DIR, '--no-copy-tokenizer', '--no-write-model-card', '--out-shard-size', '1M', '--random-seed', '3', '--cuda', '--quiet']); // prettier-ignore
    expect(err.join('')).toContain("note: mergekit's --cuda changes nothing here");
    expect(err.join('')).not.toMatch(/progress:/);
    expect((await readdir(dir)).sort()).toEqual([
      'config.json',
      'model-00001-of-00004.safetensors',
      'model-00002-of-00004.safetensors',
      'model-00003-of-00004.safetensors',
      'model-00004-of-00004.safetensors',
      'model.safetensors.index.json',
    ]);
  });

  it('refuses a bad config with its file and line (exit code 2)', async () => {
    const e = await moe('typo.yml', 'bad').catch((x: unknown) => x);
    expect(exitCodeOf(e)).toBe(2);
    expect((e as Error).message).toBe(
      `${path.join(tmp, 'typo.yml')}:2:1: gatemode: unknown key 'gatemode' (did you mean 'gate_mode'?); mergekit would ignore it silently`,
    );
    await expect(moe('moe.yml', 'x', '--seed', 'many')).rejects.toThrow(UsageError);
    await expect(moeCommand([path.join(tmp, 'moe.yml')])).rejects.toThrow(UsageError);
  });

  it('builds experts that are all one model only with the flag', async () => {
    const e = await moe('same.yml', 'same').catch((x: unknown) => x);
    expect(exitCodeOf(e)).toBe(2);
    expect((e as Error).message).toMatch(/all the expert models are the same \(tinymix-base\)/);
    await moe('same.yml', 'same', '--i-understand-this-is-not-useful-without-training');
    expect(out.join('')).toMatch(/^built a 3-expert Mixtral MoE/);
  });
});
