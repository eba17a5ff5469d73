import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, type LoadedModel } from '../../../workers/io/load-model.ts';
import { folderModelSource } from '../../../workers/io/node/fs-source.ts';
import {
  cropPatch,
  MAX_WHOLE_ELEMENTS,
  patchSourceRows,
  readTensorRows,
  readWholeTensor,
  TensorReadError,
} from './tensor-region.ts';

const TINYMIX = path.resolve(import.meta.dirname, '../../../test-data/tinymix');
const open = (id: string): Promise<LoadedModel> => loadModel(folderModelSource(id, path.join(TINYMIX, id)));

describe('reading real tensors', () => {
  it('a band of rows is exactly those rows of the whole tensor (BF16 shards and F16)', async () => {
    for (const id of ['tinymix-math', 'tinymix-law']) {
      const m = await open(id);
      const name = 'model.layers.2.mlp.up_proj.weight'; // 352 x 128, in math's second shard
      const whole = await readWholeTensor(m, name);
      expect([whole.rows, whole.cols, whole.whole]).toEqual([352, 128, true]);
      const band = await readTensorRows(m, name, { start: 100, count: 16 });
      expect([band.rowStart, band.rows, band.whole]).toEqual([100, 16, false]);
      expect(band.values).toEqual(whole.values.subarray(100 * 128, 116 * 128));
    }
  });

  it('1-D tensors are one row; a band past the end is clipped', async () => {
    const m = await open('tinymix-base');
    const norm = await readTensorRows(m, 'model.norm.weight');
    expect([norm.rows, norm.cols]).toEqual([1, 128]);
    const tail = await readTensorRows(m, 'lm_head.weight', { start: 250, count: 16 });
    expect([tail.rowStart, tail.rows]).toEqual([250, 10]);
  });

  it('a missing tensor or one too large to read whole is refused with what to do', async () => {
    const m = await open('tinymix-base');
    await expect(readWholeTensor(m, 'model.layers.9.mlp.up_proj.weight')).rejects.toThrow(
      /tinymix-base has no tensor model\.layers\.9\.mlp\.up_proj\.weight: pick a tensor both models have/,
    );
    const huge: LoadedModel = {
      ...m,
      tensors: new Map([
        ['big', { dtype: 'BF16', shape: [32000, 4096], file: 'model.safetensors', begin: 0, end: 0 }],
      ]),
    };
    const err = await readWholeTensor(huge, 'big').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TensorReadError);
    expect((err as Error).message).toMatch(/131,072,000 elements.*pick a smaller one/);
    expect(MAX_WHOLE_ELEMENTS).toBe(4096 * 4096);
  });
});

describe('patches', () => {
  it('small tensors are read whole; large ones as a band of 16 rows at the patch', () => {
    expect(patchSourceRows([352, 128], 40)).toEqual({ start: 0, count: 352 });
    expect(patchSourceRows([512, 512], 40)).toEqual({ start: 0, count: 512 });
    expect(patchSourceRows([513, 512], 40)).toEqual({ start: 40, count: 16 });
    expect(patchSourceRows([11008, 4096], 40)).toEqual({ start: 40, count: 16 });
    expect(patchSourceRows([11008, 4096], 11000)).toEqual({ start: 10992, count: 16 });
  });

  it('crops a 16 x 16 block at tensor coordinates, and less at the edges', () => {
    const region = { rowStart: 10, rows: 20, cols: 20 };
    const values = Float32Array.from({ length: 400 }, (_, i) => i);
    const p = cropPatch(region, values, 12, 3);
    expect([p.rows, p.cols]).toEqual([16, 16]);
    expect(p.values[0]).toBe(2 * 20 + 3);
    expect(p.values[16]).toBe(3 * 20 + 3);
    const edge = cropPatch(region, values, 25, 10);
    expect([edge.rows, edge.cols]).toEqual([5, 10]);
    expect(edge.values[0]).toBe(15 * 20 + 10);
  });
});
