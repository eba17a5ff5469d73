/**
 * `tokensurgeon` from the command line: tinymix-base with a small SentencePiece-style donor
 * (workers/tokensurgeon/test-helpers.ts) written to a temp folder, read through --models; the
 * output folder, the summary, mergekit's option spellings, and the errors with their exit codes.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../workers/io/load-model.ts';
import { folderModelSource } from '../../workers/io/node/fs-source.ts';
import { TokenSurgeonError } from '../../workers/tokensurgeon/errors.ts';
import { surgeryArgs } from '../../workers/tokensurgeon/invocation.ts';
import type { SurgeryOptions } from '../../workers/tokensurgeon/run-tokensurgeon.ts';
import {
  DONOR_TOKENS,
  donorFiles,
  OPTIONS,
  surgery,
  TINYMIX_BASE,
  withoutTensors,
} from '../../workers/tokensurgeon/test-helpers.ts';
import { UsageError } from '../args.ts';
import { surgeryOptions, tokensurgeonCommand } from './tokensurgeon.ts';
import { captureOutput, expectFailure } from './test-output.ts';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'cli-tokensurgeon-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));
const models = path.join(tmp, 'models');
await mkdir(path.join(models, 'donor'), { recursive: true });
for (const [f, data] of donorFiles()) await writeFile(path.join(models, 'donor', f), data);
/** The donor with the attention heads mp_rope reads. */
const ropeDonor = withoutTensors(donorFiles(), [], { num_attention_heads: 2 });
await mkdir(path.join(models, 'rope-donor'), { recursive: true });
for (const [f, data] of ropeDonor) await writeFile(path.join(models, 'rope-donor', f), data);
await mkdir(path.join(models, 'no-tokenizer'), { recursive: true });
for (const [f, data] of donorFiles())
  if (f !== 'tokenizer.json') await writeFile(path.join(models, 'no-tokenizer', f), data);

const { stdout, stderr } = captureOutput();

const fails = expectFailure;

const run = (...extra: string[]) => tokensurgeonCommand([TINYMIX_BASE, 'donor', path.join(tmp, 'x'), '--models', models, ...extra]); // prettier-ignore

describe('merge-studio tokensurgeon', () => {
  it('writes MODEL with the donor tokenizer, taking mergekit spellings', async () => {
    const out = path.join(tmp, 'out');
    await tokensurgeonCommand([TINYMIX_BASE, 'donor', out, '--models', models, '-a', 'common_interpolation', '-k', '3', '-c', '-w', 'distance_proportional', '--batch-size=-1', '-pm', 'no', '-nvs', '1', '--device', 'cuda', '--trust-remote-code']); // prettier-ignore
    const files = await readdir(out);
    expect(files.sort()).toEqual(['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']); // prettier-ignore
    const m = await loadModel(folderModelSource('out', out));
    expect(m.config['vocab_size']).toBe(DONOR_TOKENS.length);
    expect(m.tensors.get('model.embed_tokens.weight')!.shape).toEqual([DONOR_TOKENS.length, 128]);
    expect(await readFile(path.join(out, 'tokenizer.json'))).toEqual(
      Buffer.from(donorFiles().get('tokenizer.json')!),
    );
    expect(stdout.join('')).toMatch(/wrote .* with donor's tokenizer \(35 tokens\)/);
    expect(stdout.join('')).toMatch(/model\.embed_tokens\.weight: 30 exact, 5 to approximate/);
    expect(stderr.join('')).toMatch(/--device changes nothing here/);
  });

  it('maps options as mergekit does', () => {
    const o = surgeryOptions({}, 0);
    expect(o).toMatchObject({ method: 'omp', k: 64, cosineSimilarity: false, weightScheme: 'distance_proportional', batchSize: 512, byteMatch: 'no', prefixMatch: 'no' }); // prettier-ignore
    expect(surgeryOptions({ 'batch-size': '-1' }, 0).batchSize).toBe(Number.MAX_SAFE_INTEGER);
    expect(surgeryOptions({ magikarp: true }, 0).magikarp).toBe(true);
    expect(surgeryOptions({}, 0).subwordMethod).toBe('mean');
    expect(surgeryOptions({ 'approximation-method': 'subword', 'subword-method': 'first_last' }, 0)).toMatchObject({ method: 'subword', subwordMethod: 'first_last' }); // prettier-ignore
    for (const m of ['mp_rope', 'landmark_pca', 'stb', 'john_hewitt'] as const)
      expect(surgeryOptions({ 'approximation-method': m }, 0).method).toBe(m);
    expect(surgeryOptions({ 'new-vocab-noise': '0.01', 'new-vocab-scale': '0.5', 'byte-match': 'lm_head' }, 0)).toMatchObject({ newVocabNoise: 0.01, newVocabScale: 0.5, byteMatch: 'lm_head' }); // prettier-ignore
  });

  it('refuses bad values (exit 2)', async () => {
    await fails(run('-a', 'subword', '-s', 'max'), UsageError, /--subword-method must be one of mean, sum, weighted_mean, first_last/, 2); // prettier-ignore
    await fails(run('-a', 'nope'), UsageError, /must be one of omp, common_interpolation/, 2);
    await fails(run('--magikarp', '--no-magikarp'), UsageError, /--magikarp or --no-magikarp/, 2);
    await fails(run('-k', '0'), UsageError, /-k must be a whole number/, 2);
    await fails(run('-w', 'x'), UsageError, /--weight-scheme must be one of/, 2);
    await fails(
      run('--prefix-match', 'maybe'),
      UsageError,
      /--prefix-match must be one of no, yes, embed, lm_head/,
      2,
    );
    await fails(
      tokensurgeonCommand([TINYMIX_BASE, 'donor']),
      UsageError,
      /merge-studio tokensurgeon MODEL DONOR OUT/,
      2,
    );
  });

  it('reports input problems as exit 2', async () => {
    const out = path.join(tmp, 'bad');
    await fails(tokensurgeonCommand([TINYMIX_BASE, 'no-tokenizer', out, '--models', models]), TokenSurgeonError, /no-tokenizer has no tokenizer.json/, 2); // prettier-ignore
    await fails(tokensurgeonCommand([TINYMIX_BASE, 'donor', out, '--models', models]), TokenSurgeonError, /-k 64 is more than the 30 tokens/, 2); // prettier-ignore
    await fails(tokensurgeonCommand([TINYMIX_BASE, 'donor', out, '--models', models, '-a', 'mp_rope', '-k', '4']), TokenSurgeonError, /mp_rope needs the donor's num_attention_heads/, 2); // prettier-ignore
  });

  it('runs the command line the studio shows for a run, to the studio’s bytes', async () => {
    const cases: Partial<SurgeryOptions>[] = [
      { k: 8 },
      { method: 'common_interpolation', k: 5, cosineSimilarity: true, weightScheme: 'barycentric', byteMatch: 'yes', prefixMatch: 'lm_head' }, // prettier-ignore
      { method: 'randn', seed: 7, newVocabNoise: 0.01, newVocabScale: 0.5, magikarp: true },
      { method: 'subword', subwordMethod: 'weighted_mean' },
      { method: 'stb', k: 3, magikarp: true },
      { method: 'john_hewitt', seed: 5 },
      { method: 'landmark_pca' },
      { method: 'mp_rope', k: 3 },
    ];
    for (const [i, options] of cases.entries()) {
      const all = { ...OPTIONS, ...options };
      const out = path.join(tmp, `shown-${i}`);
      const donor = options.method === 'mp_rope' ? 'rope-donor' : 'donor';
      await tokensurgeonCommand([...surgeryArgs({ model: TINYMIX_BASE, donor, out, options: all }), '--models', models]); // prettier-ignore
      const studio = await surgery(all, donor === 'donor' ? {} : { donor: ropeDonor });
      for (const f of ['model.safetensors', 'config.json', 'tokenizer.json'])
        expect((await readFile(path.join(out, f))).equals(studio.files.get(f)!), `${i}: ${f}`).toBe(true);
    }
    expect(surgeryArgs({ model: 'm', donor: 'd', out: 'o', options: { ...OPTIONS, k: 64, newVocabScale: -1 }, hubUrl: 'http://h' })).toEqual(['m', 'd', 'o', '--new-vocab-scale=-1', '--hub-url', 'http://h']); // prettier-ignore
  });
});
