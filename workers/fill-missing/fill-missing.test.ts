/**
 * The whole job into temp folders: a vision-language BASE filled from its merged language model
 * (prefix `language_model`), a tinymix model filled into a bigger one (no prefix), refusals that
 * write nothing, and a cancelled job that leaves nothing looking complete and then resumes.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { MergeCancelled } from '../engine/cancel.ts';
import { folderSink } from '../io/node/fs-sink.ts';
import { folderModelSource } from '../io/node/fs-source.ts';
import type { OutputSink } from '../io/source.ts';
import { FillMissingError } from './errors.ts';
import { fillMissing, type FillJob } from './fill-missing.ts';
import {
  llamaTensors,
  readTensors,
  tensor,
  tinymixTensors,
  VL_FILES,
  visionTensors,
  vlBaseTensors,
  writeModel,
  type Tensor,
} from './test-helpers.ts';

let tmp: string;
/** A tensor the bigger tinymix base has and no tinymix model. */
const mtp = tensor('mtp.proj.weight', 'F32', [4, 4], 'base');
const at = (...p: string[]): string => path.join(tmp, ...p);
const model = (dir: string) => folderModelSource(path.basename(dir), at(dir));
const job = (base: string, sub: string, out: string, rest: Partial<FillJob> = {}): FillJob => ({
  base: model(base),
  submodel: model(sub),
  sink: folderSink(at(out)),
  ...rest,
});

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'fill-missing-'));
  await writeModel(at('vlm'), vlBaseTensors(), VL_FILES, 2);
  await writeModel(at('merged'), llamaTensors('merged'), { 'config.json': '{"model_type": "llama"}' });
  const config = await readFile(path.join(MODELS_DIR, 'tinymix-base/config.json'));
  await writeModel(at('big'), [...(await tinymixTensors('tinymix-base')), mtp], { 'config.json': config });
  await writeModel(at('code'), await tinymixTensors('tinymix-code'), { 'config.json': '{}' });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Each output tensor is byte-identical to the one it should come from. */
function expectTensors(out: ReadonlyMap<string, Tensor>, expected: ReadonlyMap<string, Tensor>): void {
  expect([...out.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [name, t] of expected) {
    const o = out.get(name)!;
    expect([name, o.dtype, o.shape]).toEqual([name, t.dtype, t.shape]);
    expect(Buffer.from(o.data).equals(Buffer.from(t.data)), name).toBe(true);
  }
}

function vlExpected(): Map<string, Tensor> {
  const merged = new Map(llamaTensors('merged').map((t) => [`language_model.${t.name}`, t]));
  return new Map(vlBaseTensors().map((t) => [t.name, merged.get(t.name) ?? t]));
}

/** The layout newer transformers versions save vision-language models in. */
const nest = (name: string): string => name.replace(/^model\./, 'model.language_model.');

describe('fillMissing', () => {
  it('fills a vision-language base from its language model under language_model., sharded', async () => {
    const logs: string[] = [];
    const r = await fillMissing(
      job('vlm', 'merged', 'out-vl', { maxShardBytes: 1500, onLog: (l) => logs.push(l) }),
    );
    expect([r.prefix, r.replaced, r.kept]).toEqual(['language_model', 17, 4]);
    expect(logs[0]).toMatch(
      /^plan: 17 tensors from merged \(as language_model\.<name>\), 4 from vlm, \d+ shard\(s\)/,
    );
    expectTensors(await readTensors(at('out-vl')), vlExpected());

    // The index names every tensor's shard, and every shard is a file of its planned size.
    const index = JSON.parse(await readFile(at('out-vl', 'model.safetensors.index.json'), 'utf8')) as {
      metadata: { total_size: number };
      weight_map: Record<string, string>;
    };
    const shards = new Set(Object.values(index.weight_map));
    expect(shards.size).toBeGreaterThan(2);
    const stored = await readTensors(at('out-vl'));
    expect(index.metadata.total_size).toBe([...stored.values()].reduce((s, t) => s + t.data.byteLength, 0));
    const files = (await readdir(at('out-vl'))).sort();
    expect(files.filter((f) => f.endsWith('.safetensors')).sort()).toEqual([...shards].sort());
    expect(r.files.map((f) => f.path)).toEqual(expect.arrayContaining([...shards]));

    // BASE's other files, byte for byte; not its index, not .cache, no job state or .partial left.
    for (const [f, text] of Object.entries(VL_FILES)) {
      if (f.startsWith('.cache/')) continue;
      expect(await readFile(at('out-vl', f), 'utf8'), f).toBe(text);
    }
    expect(files).not.toContain('.cache');
    expect(files.filter((f) => f.startsWith('.merge-studio') || f.endsWith('.partial'))).toEqual([]);
    expect(r.files[r.files.length - 1]!.path).toBe('config.json');
  });

  it('writes one model.safetensors and no index under the default shard size', async () => {
    const r = await fillMissing(job('vlm', 'merged', 'out-one'));
    expect(r.files.filter((f) => f.path.includes('safetensors')).map((f) => f.path)).toEqual([
      'model.safetensors',
    ]);
    expectTensors(await readTensors(at('out-one')), vlExpected());
  });

  it('reads a submodel stored in another order than the base tensor by tensor', async () => {
    await writeModel(at('reversed'), llamaTensors('merged').reverse(), { 'config.json': '{}' });
    const r = await fillMissing(job('vlm', 'reversed', 'out-reversed'));
    expectTensors(await readTensors(at('out-reversed')), vlExpected());
    // Its tensors are read one by one (blocks of several, asked for out of their order, would be
    // evicted and read again), the base's vision tensors as one block.
    expect(r.readRequests).toBe(r.replaced + 1);
  });

  it('fills without a prefix: a tinymix model into a bigger one', async () => {
    const code = await tinymixTensors('tinymix-code');
    const r = await fillMissing(job('big', 'code', 'out-big'));
    expect([r.prefix, r.replaced, r.kept]).toEqual(['', code.length, 1]);
    expectTensors(await readTensors(at('out-big')), new Map([...code, mtp].map((t) => [t.name, t])));
    const config = await readFile(path.join(MODELS_DIR, 'tinymix-base/config.json'));
    expect(Buffer.compare(await readFile(at('out-big', 'config.json')), config)).toBe(0);
  });

  it('reads a pytorch_model.bin submodel as its safetensors twin', async () => {
    const bin = folderModelSource('code-bin', path.join(MODELS_DIR, '../torch-bin/tinymix-code'));
    await fillMissing({ ...job('big', 'code', 'out-bin'), submodel: bin });
    const code = await tinymixTensors('tinymix-code');
    expectTensors(await readTensors(at('out-bin')), new Map([...code, mtp].map((t) => [t.name, t])));
  });

  it('refuses a shape mismatch before writing anything', async () => {
    const sub = llamaTensors('merged').map((t) =>
      t.name === 'lm_head.weight' ? tensor(t.name, 'BF16', [33, 8], 'merged') : t,
    );
    await writeModel(at('wide'), sub, { 'config.json': '{}' });
    const e = await fillMissing(job('vlm', 'wide', 'out-wide')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FillMissingError);
    expect((e as FillMissingError).message).toContain(
      'lm_head.weight is BF16 [33, 8] in wide, language_model.lm_head.weight is BF16 [32, 8] in vlm',
    );
    expect(await readdir(at('out-wide')).catch(() => [])).toEqual([]);
  });

  it('fills a base that nests its language model (model.language_model.*, lm_head at the top), which mergekit cannot', async () => {
    const base = [
      ...llamaTensors('base').map((t) => ({ ...t, name: nest(t.name) })),
      ...visionTensors('base').map((t) => ({ ...t, name: `model.${t.name}` })),
    ];
    await writeModel(at('vlm-nested'), base, VL_FILES);
    const logs: string[] = [];
    const r = await fillMissing(job('vlm-nested', 'merged', 'out-nested', { onLog: (l) => logs.push(l) }));
    expect([r.prefix, r.nestedUnder, r.replaced, r.kept]).toEqual(['model.language_model', 'model', 17, 4]);
    expect(logs[0]).toMatch(
      /^plan: 17 tensors from merged \(model\.<name> as model\.language_model\.<name>\)/,
    );
    const merged = new Map(llamaTensors('merged').map((t) => [nest(t.name), t]));
    expectTensors(
      await readTensors(at('out-nested')),
      new Map(base.map((t) => [t.name, merged.get(t.name) ?? t])),
    );
    expect(merged.has('lm_head.weight')).toBe(true);
  });

  it('refuses submodel tensors that match nothing, and a base that is not larger', async () => {
    await writeModel(
      at('more'),
      [...llamaTensors('merged'), tensor('model.extra.weight', 'BF16', [2], 'x')],
      {
        'config.json': '{}',
      },
    );
    const unmatched = await fillMissing(job('vlm', 'more', 'out-more')).catch((x: unknown) => x);
    expect((unmatched as FillMissingError).reason).toBe('unmatched');
    expect((unmatched as FillMissingError).message).toContain('model.extra.weight');
    const reversed = await fillMissing(job('merged', 'vlm', 'out-rev')).catch((x: unknown) => x);
    expect((reversed as FillMissingError).reason).toBe('base-not-larger');
  });

  it('leaves nothing that looks complete when cancelled midway, and resumes the finished shards', async () => {
    const controller = new AbortController();
    const sink = folderSink(at('out-cut'));
    let writes = 0;
    // Cancel once the third shard's writer has been created and written into.
    const cutting: OutputSink = {
      ...sink,
      async createFile(p, size) {
        const w = await sink.createFile(p, size);
        return {
          ...w,
          async write(offset, data) {
            await w.write(offset, data);
            if (++writes === 12) controller.abort();
          },
        };
      },
    };
    const options = { maxShardBytes: 1500 };
    const cut = await fillMissing(job('vlm', 'merged', 'out-cut', { ...options, sink: cutting, signal: controller.signal })).catch((x: unknown) => x); // prettier-ignore
    expect(cut).toBeInstanceOf(MergeCancelled);
    const left = await readdir(at('out-cut'));
    expect(left).not.toContain('config.json');
    expect(left).not.toContain('model.safetensors.index.json');
    expect(left.filter((f) => f.endsWith('.partial'))).toEqual([]);
    expect(left.some((f) => f.endsWith('.safetensors'))).toBe(true); // finished shards stay for the resume

    const logs: string[] = [];
    const r = await fillMissing(job('vlm', 'merged', 'out-cut', { ...options, onLog: (l) => logs.push(l) }));
    expect(r.resumedShards).toBeGreaterThan(0);
    expect(logs.some((l) => l.startsWith('resume: model-00001-of-'))).toBe(true);
    expectTensors(await readTensors(at('out-cut')), vlExpected());
    expect(await readFile(at('out-cut', 'config.json'), 'utf8')).toBe(VL_FILES['config.json']);
  });
});
