/**
 * Rows rebuilt for an output tokenizer, read in chunks of any size: own rows by the token map,
 * default rows (copy, average rounded per add, zeros, forced), padding with the mean row.
 */
import { describe, expect, it } from 'vitest';
import type { PlannedTensor } from '../plan/plan-types.ts';
import { reindexedSource } from './reindexed-source.ts';

const COLS = 3;
const f32 = (rows: number[][]): Uint8Array => new Uint8Array(new Float32Array(rows.flat()).buffer);
const A = [
  [1, 2, 3],
  [4, 5, 6],
  [7, 8, 9],
];
const B = [
  [10, 20, 30],
  [40, 50, 60],
];
const input = (model: string, rows: number[][], map: number[]) => ({
  model,
  tensor: 'model.embed_tokens.weight',
  dtype: 'F32' as const,
  shape: [rows.length, COLS],
  reindex: { rows: Int32Array.from(map), padded: 6 },
});

// Output tokens 0..4 (padded to 6 rows). a has tokens 0, 1, 2 at rows 0, 1, 2; b has 1 at its
// row 1 and 3 at its row 0. Token 2: only a (copy); 3: only b (copy); 4: no model (zeros);
// token 0, forced to b's row 0.
const t: PlannedTensor = {
  name: 'model.embed_tokens.weight',
  shape: [6, COLS],
  dtype: 'F32',
  section: 'pre',
  t: 0,
  inputs: [input('a', A, [0, 1, 2, -1, -1]), input('b', B, [-1, 1, -1, 0, -1])],
  global: {},
  perModel: [{}, {}],
  origins: { global: {}, perModel: [{}, {}] },
  elementwise: true,
  isEmbed: true,
  vocab: {
    size: 5,
    defaults: [
      { id: 0, force: true, from: [{ model: 'b', row: 0 }] },
      { id: 2, force: false, from: [{ model: 'a', row: 2 }] },
      {
        id: 3,
        force: false,
        from: [
          { model: 'a', row: 1 },
          { model: 'b', row: 1 },
        ],
      },
      { id: 4, force: false, from: [] },
    ],
  },
};

const WANT_A = [
  [10, 20, 30], // forced
  [4, 5, 6],
  [7, 8, 9],
  [22, 27.5, 33], // (a1 + b1) / 2
  [0, 0, 0],
];
const mean = (rows: number[][]): number[] =>
  [0, 1, 2].map((c) => Math.fround(rows.reduce((s, r) => s + r[c]!, 0) / rows.length));
const WANT_B = [
  [10, 20, 30],
  [40, 50, 60],
  [7, 8, 9], // a's row 2
  [10, 20, 30], // its own row 0
  [0, 0, 0],
];

describe('reindexedSource', () => {
  it('rebuilds every row by the token map and the defaults, padding with the mean row', () => {
    const src = reindexedSource(t, undefined, [f32(A), f32(B)], 'F32');
    for (const [k, want] of [
      [0, WANT_A],
      [1, WANT_B],
    ] as const) {
      const whole = new Float32Array(18);
      src.read(k, 0, whole);
      const m = mean(want);
      expect([...whole]).toEqual([...want.flat(), ...m]);
      // any chunking gives the same values
      for (const size of [1, 2, 4, 7]) {
        const parts: number[] = [];
        for (let s = 0; s < 18; s += size) {
          const out = new Float32Array(Math.min(size, 18 - s));
          src.read(k, s, out);
          parts.push(...out);
        }
        expect(parts).toEqual([...whole]);
      }
    }
  });

  it('rounds the average at each add in bf16 compute', () => {
    const x = Math.fround(1 + 2 ** -8); // not a bf16 value: rounds to 1 on decode
    const a = [[x, 256, 1]];
    const b = [[1, 1, 1]];
    const tiny: PlannedTensor = {
      ...t,
      shape: [1, COLS],
      inputs: [input('a', a, [-1]), input('b', b, [-1])].map((i) => ({
        ...i,
        reindex: { ...i.reindex, padded: 1 },
      })),
      vocab: {
        size: 1,
        defaults: [
          {
            id: 0,
            force: false,
            from: [
              { model: 'a', row: 0 },
              { model: 'b', row: 0 },
            ],
          },
        ],
      },
    };
    const out = new Float32Array(3);
    reindexedSource(tiny, undefined, [f32(a), f32(b)], 'BF16').read(0, 0, out);
    // 256 + 1 = 257 rounds to 256 in bf16, then / 2 = 128
    expect([...out]).toEqual([1, 128, 1]);
  });
});
