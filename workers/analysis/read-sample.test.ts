import { describe, expect, it } from 'vitest';
import { loadModel } from '../io/load-model.ts';
import { SampleReader } from './read-sample.ts';
import { countingResolver, tinyModel } from './test-helpers.ts';

/** Element i of every tensor of layer l is 100 l + i: a wrong row shows in the numbers. */
const model = (layers: number) => tinyModel('m', layers, (l, _m, i) => 100 * l + i);

describe('sample reader', () => {
  it('reads the tensors of a layer whole, in one request when they lie together', async () => {
    const { resolve, reads } = countingResolver([model(2)]);
    const m = await loadModel(await resolve('m'));
    reads.length = 0;
    const r = new SampleReader();
    const names = ['model.layers.1.self_attn.q_proj.weight', 'model.layers.1.input_layernorm.weight'];
    const got = await r.read(m, names, 1);
    expect([...got.get(names[1]!)!]).toEqual([100, 101, 102, 103]);
    expect(got.get(names[0]!)!.length).toBe(32);
    expect(got.get(names[0]!)![31]).toBe(131);
    expect(r.stats.requests).toBe(1);
    expect(reads).toHaveLength(1);
    expect(r.stats.bytes).toBe(reads[0]!.length);
  });

  it('reads the same row blocks of a tensor at a fraction: rows 2 and 6 of 8 at 0.25', async () => {
    const { resolve } = countingResolver([model(1)]);
    const m = await loadModel(await resolve('m'));
    const r = new SampleReader();
    const q = 'model.layers.0.self_attn.q_proj.weight'; // [8, 4]
    const got = (await r.read(m, [q], 0.25)).get(q)!;
    // 2 rows in 2 blocks of 1, centred at rows 2 and 6: rows 2 and 6 (row r holds 4r..4r+3)
    expect([...got]).toEqual([8, 9, 10, 11, 24, 25, 26, 27]);
    expect(SampleReader.sampledElements([8, 4], 0.25)).toBe(8);
    // one request from row 2 to row 6 (16 bytes a row): the gap between the blocks is small
    expect(r.stats.bytes).toBe(80);
    expect(r.stats.requests).toBe(1);
  });

  it('names the model and tensor when a tensor is missing', async () => {
    const { resolve } = countingResolver([model(1)]);
    const m = await loadModel(await resolve('m'));
    await expect(new SampleReader().read(m, ['model.layers.5.mlp.down_proj.weight'], 1)).rejects.toThrow(
      'm has no tensor model.layers.5.mlp.down_proj.weight',
    );
  });
});
