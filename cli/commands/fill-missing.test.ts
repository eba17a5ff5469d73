/**
 * `fill-missing BASE SUBMODEL --out OUT`: local folders and a local hub, mergekit's option
 * spellings, the summary line, and the usage errors.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubServer } from '../../server/hub-server.ts';
import { FillMissingError } from '../../workers/fill-missing/errors.ts';
import {
  llamaTensors,
  readTensors,
  tensor,
  VL_FILES,
  vlBaseTensors,
  writeModel,
} from '../../workers/fill-missing/test-helpers.ts';
import { UsageError } from '../args.ts';
import { fillMissingCommand } from './fill-missing.ts';
import { captureOutput } from './test-output.ts';

let tmp: string;
const { stdout: out, stderr: err } = captureOutput();
const at = (...p: string[]): string => path.join(tmp, ...p);

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'cli-fill-missing-'));
  await writeModel(at('vlm'), vlBaseTensors(), VL_FILES, 2);
  await writeModel(at('merged'), llamaTensors('merged'), { 'config.json': '{"model_type": "llama"}' });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const fails = (...args: string[]): Promise<void> =>
  expect(fillMissingCommand(args)).rejects.toBeInstanceOf(UsageError);

/** The output's tensors are the submodel's where it has them, the base's elsewhere. */
async function expectFilled(dir: string): Promise<void> {
  const got = await readTensors(dir);
  const merged = new Map(llamaTensors('merged').map((t) => [`language_model.${t.name}`, t]));
  for (const t of vlBaseTensors()) {
    const want = merged.get(t.name) ?? t;
    expect(Buffer.from(got.get(t.name)!.data).equals(Buffer.from(want.data)), t.name).toBe(true);
  }
  expect(got.size).toBe(vlBaseTensors().length);
}

describe('fill-missing', () => {
  it('fills local folders and prints a summary', async () => {
    await fillMissingCommand([at('vlm'), at('merged'), '--out', at('out'), '--shard-size', '1.5K']);
    await expectFilled(at('out'));
    expect(out.join('')).toMatch(
      new RegExp(`^filled ${at('out')} in [\\d.]+ s: 17 tensors replaced from ${at('merged')} \\(prefix language_model\\.\\), 4 kept from ${at('vlm')}; \\d+ files, [\\d.]+ MB written\\n$`), // prettier-ignore
    );
    expect(err.join('')).toContain('plan: 17 tensors from');
    expect(await readdir(at('out'))).toContain('model.safetensors.index.json');
    expect(await readFile(at('out', 'chat_template.jinja'), 'utf8')).toBe(VL_FILES['chat_template.jinja']);
    expect(await readdir(at('out'))).not.toContain('.merge-studio-lock');
  });

  it("takes mergekit's --output_dir and --max_shard_size (bytes), and models from --models", async () => {
    await fillMissingCommand(['vlm', 'merged', '--models', tmp, '--output_dir', at('out-mk'), '--max_shard_size', '1500']); // prettier-ignore
    await expectFilled(at('out-mk'));
    const shards = (await readdir(at('out-mk'))).filter((f) => f.endsWith('.safetensors'));
    expect(shards.length).toBeGreaterThan(2);
  });

  it('reads a base from a hub', async () => {
    const hub = await startHubServer({ root: tmp });
    try {
      await fillMissingCommand(['vlm', at('merged'), '--out', at('out-hub'), '--hub-url', hub.url]);
    } finally {
      await hub.close();
    }
    await expectFilled(at('out-hub'));
    expect(await readFile(at('out-hub', 'preprocessor_config.json'), 'utf8')).toBe(
      VL_FILES['preprocessor_config.json'],
    );
  });

  it('refuses a submodel that does not fit, with a named error', async () => {
    const wide = llamaTensors('merged').map((t) =>
      t.name === 'model.norm.weight' ? tensor(t.name, 'BF16', [9], 'm') : t,
    );
    await writeModel(at('wide'), wide, { 'config.json': '{}' });
    const e = await fillMissingCommand([at('vlm'), at('wide'), '--out', at('out-wide')]).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(FillMissingError);
    expect((e as Error).message).toContain('model.norm.weight is BF16 [9]');
    expect(await readdir(at('out-wide'))).toEqual([]); // the lock is gone, nothing written
  });

  it('explains its usage', async () => {
    await fails(at('vlm'), '--out', at('x'));
    await fails(at('vlm'), at('merged'));
    await fails(at('vlm'), at('merged'), 'extra', '--out', at('x'));
    await fails(at('vlm'), at('merged'), '--out', at('x'), '--output_dir', at('y'));
    await fails(at('vlm'), at('merged'), '--out', at('x'), '--shard-size', '1M', '--max_shard_size', '5');
    await fails(at('vlm'), at('merged'), '--out', at('x'), '--max_shard_size', '5G');
    await expect(fillMissingCommand([at('vlm'), at('merged'), '--out', at('vlm')])).rejects.toThrow(
      `--out ${at('vlm')} is the folder of ${at('vlm')}: write the output into another folder`,
    );
    await expect(
      fillMissingCommand(['vlm', 'merged', '--models', tmp, '--out', at('merged', 'out')]),
    ).rejects.toThrow(`--out ${at('merged', 'out')} is inside the folder of merged`);
  });
});
