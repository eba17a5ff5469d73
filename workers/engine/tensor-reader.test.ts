import { describe, expect, it } from 'vitest';
import { loadModel } from '../io/load-model.ts';
import { blobModelSource } from '../io/memory.ts';
import { serializeSafetensors } from '../io/safetensors/layout.ts';
import { BufferPool } from './buffer-pool.ts';
import { ModelTensorReader } from './tensor-reader.ts';

/** A model whose file holds tensors t0..t(n-1) in numeric order, each `size` bytes of value i. */
async function model(n: number, size: number) {
  const tensors = Array.from({ length: n }, (_, i) => ({
    name: `t${i}`,
    dtype: 'U8' as const,
    shape: [size],
    data: new Uint8Array(size).fill(i),
  }));
  const files = new Map<string, Uint8Array>([
    ['config.json', new TextEncoder().encode('{}')],
    ['model.safetensors', serializeSafetensors(tensors)],
  ]);
  let reads = 0;
  const src = blobModelSource('m', files);
  const counting = {
    ...src,
    open: async (p: string) => {
      const s = await src.open(p);
      return { ...s, read: (o: number, l: number) => (reads++, s.read(o, l)) };
    },
  };
  return { m: await loadModel(counting), reads: () => reads };
}

describe('ModelTensorReader', () => {
  it('serves the right bytes in any order, coalescing neighbours into one read', async () => {
    const { m, reads } = await model(12, 20_000); // the t3-t10 gap (120 kB) is worth a new request
    const before = reads();
    const order = ['t10', 't2', 't0', 't1', 't11', 't3'];
    const r = new ModelTensorReader(m, order, { requests: 0, bytes: 0 }, 1 << 20);
    for (const name of order) expect((await r.next(name))[0]).toBe(Number(name.slice(1)));
    expect(r.plannedRequests).toBe(2); // t0-t3 and t10-t11
    expect(reads() - before).toBe(2);
  });

  it('keeps at most two blocks: a third evicts the least recently used, which is read again later', async () => {
    const { m, reads } = await model(3, 1000);
    const before = reads();
    // Blocks of one tensor each; t0 is used first and last, t1 twice.
    const order = ['t0', 't1', 't2', 't1', 't0'];
    const r = new ModelTensorReader(m, order, { requests: 0, bytes: 0 }, 1000);
    for (const name of order) await r.next(name);
    expect(reads() - before).toBe(4);
    // With room for three blocks nothing is read twice.
    const r3 = new ModelTensorReader(m, order, { requests: 0, bytes: 0 }, 1000, 3);
    const mid = reads();
    for (const name of order) await r3.next(name);
    expect(reads() - mid).toBe(3);
  });

  it('refuses out-of-order requests', async () => {
    const { m } = await model(2, 10);
    const r = new ModelTensorReader(m, ['t0', 't1'], { requests: 0, bytes: 0 }, 1 << 20);
    await expect(r.next('t1')).rejects.toThrow(/out of order/);
  });
});

describe('pooled reads', () => {
  it('reads big single tensors into reused buffers, given back on release', async () => {
    const { m } = await model(4, 20_000);
    const pool = new BufferPool();
    const order = ['t0', 't1', 't2', 't3'];
    // maxBlock = one tensor: every block is a single tensor, read into a pooled buffer.
    const r = new ModelTensorReader(m, order, { requests: 0, bytes: 0 }, 20_000, 2, pool);
    const a = await r.next('t0');
    expect(a[0]).toBe(0);
    r.release('t0');
    const b = await r.next('t1');
    expect(b.buffer).toBe(a.buffer); // the same memory, reused
    expect(b[0]).toBe(1);
    r.release('t1');
    expect(pool.spareBytes).toBe(20_000);
    expect((await r.next('t2'))[19_999]).toBe(2);
  });

  it('pools a block of several tensors, given back when the last of them is released', async () => {
    const { m } = await model(4, 20_000);
    const pool = new BufferPool();
    const order = ['t0', 't1', 't2', 't3'];
    const r = new ModelTensorReader(m, order, { requests: 0, bytes: 0 }, 1 << 20, 2, pool);
    expect(r.plannedRequests).toBe(1);
    for (const name of order.slice(0, 3)) {
      expect((await r.next(name))[0]).toBe(Number(name.slice(1)));
      r.release(name);
    }
    expect(pool.spareBytes).toBe(0); // t3 still lives in that block
    const last = await r.next('t3');
    expect(last[0]).toBe(3);
    r.release('t3');
    expect(pool.spareBytes).toBe(80_000);
  });

  it('skipped tensors count as released (resume)', async () => {
    const { m } = await model(2, 20_000);
    const pool = new BufferPool();
    const r = new ModelTensorReader(m, ['t0', 't1'], { requests: 0, bytes: 0 }, 1 << 20, 2, pool);
    r.skip('t0');
    expect((await r.next('t1'))[0]).toBe(1);
    r.release('t1');
    expect(pool.spareBytes).toBe(40_000);
  });

  it('tells read-ahead which pooled bytes a tensor would newly read, and takes them at once', async () => {
    const { m } = await model(4, 20_000);
    const pool = new BufferPool();
    const order = ['t0', 't1', 't2', 't3'];
    const r = new ModelTensorReader(m, order, { requests: 0, bytes: 0 }, 50_000, 2, pool);
    // Blocks: t0-t1 (40 kB) and t2-t3 (40 kB).
    expect(r.newPooledBytes('t0', 0)).toBe(40_000);
    expect(r.newPooledBytes('t2', 0)).toBe(0); // not the next tensor asked for
    const t0 = r.next('t0');
    expect(pool.heldBytes).toBe(40_000); // taken before the read finished
    expect(r.newPooledBytes('t1', 0)).toBe(0); // its block is being read
    const t1 = r.next('t1');
    expect(r.newPooledBytes('t2', 0)).toBe(40_000);
    expect(r.newPooledBytes('t3', 0)).toBe(0); // not what comes at that position
    expect([(await t0)[0], (await t1)[0]]).toEqual([0, 1]);
    r.release('t0');
    r.release('t1');
    expect(pool.spareBytes).toBe(40_000);
  });

  it('does not pool a block whose uses are apart (it could be evicted and read again)', async () => {
    const { m } = await model(12, 20_000);
    const pool = new BufferPool();
    const order = ['t0', 't11', 't1'];
    const r = new ModelTensorReader(m, order, { requests: 0, bytes: 0 }, 1 << 20, 2, pool);
    for (const name of order) {
      expect((await r.next(name))[0]).toBe(Number(name.slice(1)));
      r.release(name);
    }
    expect(pool.spareBytes).toBe(20_000); // t11's block only
  });
});

describe('BufferPool', () => {
  it('serves a small request from a big spare rather than allocate beside it', () => {
    const pool = new BufferPool();
    const big = pool.acquire(1000);
    pool.release(big);
    const small = pool.acquire(100);
    expect(small.byteLength).toBe(100);
    expect(small.buffer).toBe(big.buffer);
    expect(pool.spareBytes).toBe(0);
  });

  it('places several views side by side in one slab, aligned, and reuses the gaps', () => {
    const pool = new BufferPool();
    pool.release(pool.acquire(1000)); // one 1000-byte slab
    const a = pool.acquire(300);
    const b = pool.acquire(300);
    const c = pool.acquire(300);
    expect([a, b, c].every((v) => v.buffer === a.buffer)).toBe(true);
    expect([a.byteOffset, b.byteOffset, c.byteOffset]).toEqual([0, 320, 640]);
    a.fill(1);
    c.fill(3);
    b.fill(2);
    expect([a[299], b[0], b[299], c[0]]).toEqual([1, 2, 2, 3]); // no overlap
    const d = pool.acquire(400); // no gap left: a new slab
    expect(d.buffer).not.toBe(a.buffer);
    pool.release(b);
    expect(pool.acquire(300).byteOffset).toBe(320); // b's place again
    expect(pool.heldBytes).toBe(1400);
  });

  it('says whether views would fit in the slabs as they are, without taking them', () => {
    const pool = new BufferPool();
    pool.release(pool.acquire(1000));
    const a = pool.acquire(300); // [0, 300)
    expect(pool.fits([300, 300])).toBe(true); // at 320 and 640
    expect(pool.fits([300, 300, 300])).toBe(false); // the third needs a new slab
    expect(pool.fits([700])).toBe(false);
    expect(pool.fits([])).toBe(true);
    expect(pool.heldBytes).toBe(1000); // nothing taken
    expect(pool.acquire(300).byteOffset).toBe(320);
    pool.release(a);
    expect(pool.fits([300, 300])).toBe(true); // at 0 and 640
  });

  it('keeps at most maxFree unused slabs, dropping the smallest', () => {
    const pool = new BufferPool(1);
    const views = [100, 200, 300].map((n) => pool.acquire(n));
    for (const v of views) pool.release(v);
    expect(pool.spareBytes).toBe(300);
  });
});
