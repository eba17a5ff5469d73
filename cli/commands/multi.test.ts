/**
 * `multi` on the tinymix fixtures: a two-stage file gives the bytes of the two stages merged
 * one after the other with `merge`; a second run keeps finished stages (--lazy), --no-lazy
 * merges them again, a stage cut off resumes its finished shards; --out and --dry-run.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { RecipeError } from '../../workers/plan/problems.ts';
import { UsageError } from '../args.ts';
import { mergeCommand } from './merge.ts';
import { multiCommand } from './multi.ts';
import { captureOutput } from './test-output.ts';

// Both recipes in the layout recipeToYaml writes, which multi saves as each stage's
// mergekit_config.yml: so the stages' files can equal those of `merge` byte for byte.
const STAGE1 = `merge_method: linear
models:
  - model: tinymix-code
    parameters:
      weight: 0.6
  - model: tinymix-math
    parameters:
      weight: 0.4
dtype: bfloat16
`;
const finalMerge = (stage1: string): string => `merge_method: ties
base_model: tinymix-base
models:
  - model: ${stage1}
    parameters:
      weight: 0.5
      density: 0.5
  - model: tinymix-law
    parameters:
      weight: 0.5
      density: 0.5
dtype: bfloat16
`;
// The final merge first: the order comes from the references, not from the file.
const MULTI = `${finalMerge('stage1')}---\n# two fine-tunes\nname: stage1\n${STAGE1}`;
const OPTIONS = ['--models', MODELS_DIR, '--lanes', '0', '--shard-size', '600K'];

let tmp: string;
let inter: string;
const { stdout } = captureOutput();
const file = (name: string) => path.join(tmp, name);
const multi = (...args: string[]) => multiCommand([file('multi.yml'), '-I', inter, ...OPTIONS, ...args]);

/** Every file of a folder, name to a SHA-256 of its bytes (a deep compare of the bytes is slow). */
async function filesOf(dir: string): Promise<Map<string, string>> {
  const names = (await readdir(dir)).sort();
  const digest = async (n: string) =>
    createHash('sha256')
      .update(await readFile(path.join(dir, n)))
      .digest('hex');
  return new Map(await Promise.all(names.map(async (n) => [n, await digest(n)] as const)));
}
const mtimes = async (dir: string) =>
  Promise.all((await readdir(dir)).sort().map(async (n) => (await stat(path.join(dir, n))).mtimeMs));

let stage1Files: Map<string, string>;
let finalFiles: Map<string, string>;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'cli-multi-'));
  inter = file('inter');
  await writeFile(file('multi.yml'), MULTI);
  await writeFile(file('stage1.yml'), STAGE1);
  await writeFile(file('final.yml'), finalMerge(path.join(inter, 'stage1')));
  // The reference: the two stages one after the other, the second reading the first's folder.
  vi.spyOn(process.stdout, 'write').mockReturnValue(true);
  vi.spyOn(process.stderr, 'write').mockReturnValue(true);
  await mergeCommand([file('stage1.yml'), '--out', path.join(inter, 'stage1'), ...OPTIONS]);
  await mergeCommand([file('final.yml'), '--out', file('separate/final'), ...OPTIONS]);
  vi.restoreAllMocks();
  stage1Files = await filesOf(path.join(inter, 'stage1'));
  finalFiles = await filesOf(file('separate/final'));
  await rm(inter, { recursive: true });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const merged = () => stdout.filter((l) => l.startsWith('merged ')).map((l) => l.split(' in ')[0]);
const skipped = () => stdout.filter((l) => l.startsWith('skipped: ')).map((l) => l.split(' already')[0]);

const out = () => file('multi/final');

describe('multi: stages run in order, into the intermediate folder and --out', () => {
  it('gives the bytes of the stages merged one by one with merge', async () => {
    await multi('--out', out());
    expect(stdout.slice(0, 3)).toEqual([
      `${file('multi.yml')}: 2 stage(s), in this order:\n`,
      `  1. stage1 (linear) -> ${path.join(inter, 'stage1')}\n`,
      `  2. the final merge (ties, reads stage1) -> ${out()}\n`,
    ]);
    expect(merged()).toEqual([
      `merged 39 tensors (4 layers) into ${path.join(inter, 'stage1')}`,
      `merged 39 tensors (4 layers) into ${out()}`,
    ]);
    expect(await filesOf(path.join(inter, 'stage1'))).toEqual(stage1Files);
    expect(await filesOf(out())).toEqual(finalFiles);
    expect([...finalFiles.keys()]).toContain('model.safetensors.index.json'); // 3 shards
  });

  it('a second run keeps both finished stages; --no-lazy merges them again, to the same bytes', async () => {
    const before = await mtimes(path.join(inter, 'stage1'));
    await multi('--out', out());
    expect(skipped()).toEqual([`skipped: ${path.join(inter, 'stage1')}`, `skipped: ${out()}`]);
    expect(merged()).toEqual([]);
    expect(await mtimes(path.join(inter, 'stage1'))).toEqual(before);
    expect(stdout.join('')).not.toMatch(/another recipe/);
    // A stage changed since its folder was merged: still kept, with a word about it.
    await writeFile(file('changed.yml'), MULTI.replace('weight: 0.6', 'weight: 0.7'));
    stdout.length = 0;
    await multiCommand([file('changed.yml'), '-I', inter, ...OPTIONS, '--out', out()]);
    expect(stdout).toContain(
      `skipped: ${path.join(inter, 'stage1')} already holds a merged model (config.json and its weights), made from another recipe than this one; --no-lazy merges it again\n`,
    );
    expect(skipped()).toHaveLength(2);

    stdout.length = 0;
    await multi('--out', out(), '--no-lazy');
    expect(skipped()).toEqual([]);
    expect(merged()).toHaveLength(2);
    expect(await filesOf(path.join(inter, 'stage1'))).toEqual(stage1Files);
    expect(await filesOf(out())).toEqual(finalFiles);
  });

  it('a stage without config.json is merged again; one cut off resumes its finished shards', async () => {
    await rm(path.join(inter, 'stage1', 'config.json'));
    await rm(out(), { recursive: true });
    // The third shard cannot be written (its .partial is a folder): the final merge stops there.
    const blocker = path.join(out(), 'model-00003-of-00003.safetensors.partial');
    await mkdir(blocker, { recursive: true });
    await expect(multi('--out', out())).rejects.toThrow(/EISDIR/);
    expect(merged()).toEqual([`merged 39 tensors (4 layers) into ${path.join(inter, 'stage1')}`]);
    await rm(blocker, { recursive: true });

    stdout.length = 0;
    await multi('--out', out());
    expect(skipped()).toEqual([`skipped: ${path.join(inter, 'stage1')}`]);
    expect(stdout.find((l) => l.startsWith('merged '))).toMatch(/, 2 shard\(s\) resumed\n$/);
    expect(await filesOf(path.join(inter, 'stage1'))).toEqual(stage1Files);
    expect(await filesOf(out())).toEqual(finalFiles);
  });
});

describe('multi: what it refuses', () => {
  it('--out: required by a final merge, refused when every stage is named, not a stage folder', async () => {
    await expect(multi()).rejects.toThrow(
      new UsageError(
        `${file('multi.yml')}:1: this document has no name, so it is the final merge, written to --out: give --out OUT (or give it a name: to write it to ${inter}/<name>)`,
      ),
    );
    await expect(multi('--out', path.join(inter, 'stage1'))).rejects.toThrow(/is the folder of stage stage1/);
    await writeFile(file('named.yml'), `name: stage1\n${STAGE1}---\nname: last\n${finalMerge('stage1')}`);
    const named = (...args: string[]) => multiCommand([file('named.yml'), '-I', inter, '--dry-run', ...args]);
    await expect(named('--out', file('x'))).rejects.toThrow(
      /every document of .* has a name.*leave out --out/,
    );
    await named();
    expect(stdout).toContain(`  2. last (ties, reads stage1) -> ${path.join(inter, 'last')}\n`);
  });

  it('--dry-run checks and prints the order, and merges nothing', async () => {
    const dry = file('dry');
    await multiCommand([file('multi.yml'), '-I', path.join(dry, 'inter'), '--out', dry, '--dry-run']);
    expect(stdout.at(-1)).toBe(`${file('multi.yml')}: valid; nothing merged (--dry-run)\n`);
    await expect(readdir(dry)).rejects.toThrow(/ENOENT/);
    // Without --out, a dry run still checks the file, and says where the final merge would go.
    await multiCommand([file('multi.yml'), '-I', path.join(dry, 'inter'), '--dry-run']);
    expect(stdout).toContain(`  2. the final merge (ties, reads stage1) -> --out\n`);
  });

  it('a cycle, with its line in the file', async () => {
    await writeFile(file('cycle.yml'), `name: a\n${finalMerge('b')}---\nname: b\n${finalMerge('a')}`);
    const run = multiCommand([file('cycle.yml'), '-I', inter, '--dry-run']);
    await expect(run).rejects.toThrow(RecipeError);
    await expect(run).rejects.toThrow(
      `${file('cycle.yml')}:5:5: models[0].model: the stages read each other in a cycle: a -> b -> a; one of them must read a model instead (in document 1, stage a)`,
    );
  });

  it('merge refuses a multi-stage file and a stage name, pointing to multi', async () => {
    const run = (name: string) => mergeCommand([file(name), '--out', file('never'), ...OPTIONS]);
    await expect(run('multi.yml')).rejects.toThrow(
      /run it with merge-studio multi FILE --intermediate-dir DIR/,
    );
    await writeFile(file('named-one.yml'), `name: stage1\n${STAGE1}`);
    await expect(run('named-one.yml')).rejects.toThrow(
      `${file('named-one.yml')}:1:1: name: 'name' names a stage of a multi-stage merge (mergekit-multi)`,
    );
  });
});
