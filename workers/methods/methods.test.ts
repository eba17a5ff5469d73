import { describe, expect, it } from 'vitest';
import { roundToBf16 } from '../io/dtypes.ts';
import { METHODS } from './registry.ts';
import { close, run } from './test-helpers.ts';
import { MERGEKIT_COMPAT } from './types.ts';

const l1 = (a: number[]) => a.reduce((s, v) => s + Math.abs(v), 0);
const W = (...w: number[]) => w.map((weight) => ({ weight }));

describe('registry', () => {
  it('has all 20 mergekit methods, each with a description and a valid schema', () => {
    expect(METHODS.map((m) => m.name).sort()).toEqual(
      [
        'arcee_fusion',
        'breadcrumbs',
        'breadcrumbs_ties',
        'dare_linear',
        'dare_ties',
        'della',
        'della_linear',
        'karcher',
        'linear',
        'model_stock',
        'multislerp',
        'nearswap',
        'nuslerp',
        'passthrough',
        'ram',
        'ramplus_tl',
        'sce',
        'slerp',
        'task_arithmetic',
        'ties',
      ].sort(),
    );
    for (const m of METHODS) {
      expect(m.description.length).toBeGreaterThan(10);
      for (const p of m.params) {
        expect(p.description.length).toBeGreaterThan(5);
        if (p.default !== undefined) expect(typeof p.default).toBe(p.type);
      }
    }
  });
});

describe('linear', () => {
  it('normalised weighted average', () => {
    expect(
      run('linear', {
        inputs: [
          [1, 2],
          [3, 6],
        ],
        perModel: W(1, 3),
      }).out,
    ).toEqual([2.5, 5]);
  });
  it('without normalize, a plain weighted sum (task negation)', () => {
    expect(
      run('linear', {
        inputs: [
          [1, 2],
          [3, 6],
        ],
        perModel: W(1, -0.5),
        global: { normalize: false },
      }).out,
    ).toEqual([-0.5, -1]);
  });
  it('one model at weight 1 is the identity', () => {
    expect(run('linear', { inputs: [[0.1, -7, 3]], perModel: W(0.3) }).out).toEqual(
      [0.1, -7, 3].map(Math.fround),
    );
  });
  it('rejects weights summing to zero under normalize', () => {
    const m = METHODS.find((x) => x.name === 'linear')!;
    expect(m.check!({ normalize: true }, W(1, -1), 4)).toMatch(/sum to 0/);
  });
  it('emulates bf16 math when asked (weights rounded too)', () => {
    const { out } = run('linear', {
      inputs: [[1], [1]],
      perModel: W(0.3, 0.7),
      global: { normalize: false },
      round: roundToBf16,
    });
    expect(out[0]).toBe(roundToBf16(roundToBf16(0.3) + roundToBf16(0.7)));
  });
});

describe('slerp', () => {
  const a = [1, 0];
  const b = [0, 1];
  it('t=0 is the base and t=1 the other model', () => {
    expect(close(run('slerp', { base: a, inputs: [b], global: { t: 0 } }).out, a)).toBe(true);
    expect(close(run('slerp', { base: a, inputs: [b], global: { t: 1 } }).out, b)).toBe(true);
  });
  it('keeps unit norm between unit vectors (LERP dips)', () => {
    const { out } = run('slerp', { base: a, inputs: [b], global: { t: 0.5 } });
    expect(Math.hypot(out[0]!, out[1]!)).toBeCloseTo(1, 6);
    expect(out[0]).toBeCloseTo(Math.SQRT1_2, 6);
  });
  it('falls back to lerp for colinear tensors, on the unnormalised values', () => {
    const { out } = run('slerp', { base: [1, 1], inputs: [[2, 2]], global: { t: 0.25 } });
    expect(out).toEqual([1.25, 1.25]);
  });
  it('antiparallel also falls back to lerp (|cos| > 0.9995)', () => {
    const { out } = run('slerp', { base: [1, 0], inputs: [[-1, 0]], global: { t: 0.5 } });
    expect(out).toEqual([0, 0]);
  });
});

describe('nuslerp', () => {
  it('t = w_b / (w_a + w_b) and per-row slerp', () => {
    const { out } = run('nuslerp', {
      inputs: [
        [1, 0, 0, 2],
        [0, 1, 0, 2],
      ],
      perModel: W(1, 1),
      global: { nuslerp_flatten: false },
      shape: [2, 2],
    });
    expect(out[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(out[1]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(out.slice(2)).toEqual([0, 2]); // colinear row: lerp
  });
  it('with a base, interpolates task vectors', () => {
    const { out } = run('nuslerp', {
      base: [1, 1],
      inputs: [
        [2, 1],
        [1, 2],
      ],
      perModel: W(3, 1),
    });
    const t = 0.25;
    const theta = Math.PI / 2;
    expect(out[0]).toBeCloseTo(1 + Math.sin((1 - t) * theta), 6);
    expect(out[1]).toBeCloseTo(1 + Math.sin(t * theta), 6);
  });
  it('row-wise works along the first axis', () => {
    const { out } = run('nuslerp', {
      inputs: [
        [1, 0, 0, 1],
        [0, 0, 1, 1],
      ],
      perModel: W(1, 1),
      global: { nuslerp_flatten: false, nuslerp_row_wise: true },
      shape: [2, 2],
    });
    expect(out[0]).toBeCloseTo(Math.SQRT1_2, 6); // column 0: (1,0) vs (0,1)
    expect(out[2]).toBeCloseTo(Math.SQRT1_2, 6);
    expect([out[1], out[3]]).toEqual([0, 1]); // column 1 colinear
  });
});

describe('multislerp and karcher', () => {
  it('multislerp of two orthogonal unit vectors at equal weights is the unit bisector', () => {
    const { out } = run('multislerp', {
      inputs: [
        [1, 0],
        [0, 1],
      ],
      perModel: W(1, 1),
    });
    expect(out[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(out[1]).toBeCloseTo(Math.SQRT1_2, 6);
  });
  it('multislerp refuses cancelling inputs of three models', () => {
    expect(() =>
      run('multislerp', {
        inputs: [
          [1, 0],
          [-1, 0],
          [0, 0],
        ],
        perModel: W(1, 1, 1),
      }),
    ).toThrow(/cancel/);
  });
  it('karcher mean of two directions is their bisector, scaled by the mean norm', () => {
    const { out } = run('karcher', {
      inputs: [
        [2, 0],
        [0, 4],
      ],
    });
    expect(out[0]).toBeCloseTo(3 * Math.SQRT1_2, 5);
    expect(out[1]).toBeCloseTo(3 * Math.SQRT1_2, 5);
  });
  it('karcher of identical inputs is the input', () => {
    expect(
      close(
        run('karcher', {
          inputs: [
            [1, 2, 3],
            [1, 2, 3],
          ],
        }).out,
        [1, 2, 3],
        1e-6,
      ),
    ).toBe(true);
  });
});

describe('task-vector family', () => {
  const base = [0, 0, 0, 0];
  it('task arithmetic adds weighted task vectors, lambda after', () => {
    const { out } = run('task_arithmetic', {
      base,
      inputs: [
        [1, 2, 3, 4],
        [1, 0, -1, 0],
      ],
      perModel: W(1, 0.5),
      global: { lambda: 2 },
    });
    expect(out).toEqual([3, 4, 5, 8]);
  });
  it('ties keeps exactly int(density*n) largest, elects signs, averages the agreeing', () => {
    const { out } = run('ties', {
      base,
      inputs: [
        [4, -3, 2, 1],
        [-1, 2, 3, 0.5],
      ],
      perModel: [
        { weight: 1, density: 0.5 },
        { weight: 1, density: 0.5 },
      ],
    });
    // Model 1 keeps 4, -3; model 2 keeps 2, 3. Element 1: -3 + 2 < 0 elects -, keeping -3.
    expect(out).toEqual([4, -3, 3, 0]);
  });
  it('ties with density 1 on one model is the identity', () => {
    const { out } = run('ties', { base: [1, 1], inputs: [[2, 0]], perModel: [{ weight: 1, density: 1 }] });
    expect(out).toEqual([2, 0]);
  });
  it('sign ties go to + and zero deltas drop out of the divisor', () => {
    const { out } = run('ties', { base: [0], inputs: [[1], [-1], [0]], perModel: W(1, 1, 1) });
    expect(out).toEqual([1]);
  });
  it('breadcrumbs drops the outliers and the smallest', () => {
    const inputs = [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]];
    const { out } = run('breadcrumbs', {
      base: new Array(10).fill(0),
      inputs,
      perModel: [{ weight: 1, density: 0.5, gamma: 0.1 }],
    });
    // keep 5, top 1, bottom 4: ascending ranks [4, 9) -> values 5..9.
    expect(out).toEqual([0, 0, 0, 0, 5, 6, 7, 8, 9, 0]);
  });
  it('breadcrumbs reproduces mergekit zeroing when no outlier is removed, unless fixed', () => {
    const c = {
      base: [0, 0, 0, 0],
      inputs: [[1, 2, 3, 4]],
      perModel: [{ weight: 1, density: 0.5, gamma: 0.1 }],
    };
    expect(run('breadcrumbs', c).out).toEqual([0, 0, 0, 0]);
    const fixed = { ...MERGEKIT_COMPAT, breadcrumbsEmptySlice: false };
    expect(run('breadcrumbs', { ...c, compat: fixed }).out).toEqual([0, 0, 3, 4]);
  });
  it('dare keeps about density of the entries and preserves the L1 norm exactly (rescale)', () => {
    const n = 20000;
    const x = Array.from({ length: n }, (_, i) => ((i % 7) - 3) / 10 + 0.05);
    const { out } = run('dare_linear', {
      base: new Array(n).fill(0),
      inputs: [x],
      perModel: [{ weight: 1, density: 0.3 }],
      seed: 7,
    });
    const kept = out.filter((v) => v !== 0).length / n;
    expect(kept).toBeGreaterThan(0.28);
    expect(kept).toBeLessThan(0.32);
    expect(l1(out) / l1(x)).toBeCloseTo(1, 4);
  });
  it('dare is reproducible with a seed and changes with another seed', () => {
    const c = {
      base: new Array(64).fill(0),
      inputs: [Array.from({ length: 64 }, (_, i) => i + 1)],
      perModel: [{ weight: 1, density: 0.5 }],
    };
    expect(run('dare_ties', { ...c, seed: 1 }).out).toEqual(run('dare_ties', { ...c, seed: 1 }).out);
    expect(run('dare_ties', { ...c, seed: 1 }).out).not.toEqual(run('dare_ties', { ...c, seed: 2 }).out);
  });
  it('della keeps larger magnitudes more often, with density on average', () => {
    const cols = 1000;
    const rows = 20;
    const x = Array.from({ length: rows * cols }, (_, i) => (i % cols) + 1);
    const { out } = run('della_linear', {
      base: new Array(rows * cols).fill(0),
      inputs: [x],
      perModel: [{ weight: 1, density: 0.5, epsilon: 0.3 }],
      global: { rescale: false },
      shape: [rows, cols],
    });
    let small = 0;
    let large = 0;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < 100; c++) small += out[r * cols + c] ? 1 : 0;
      for (let c = cols - 100; c < cols; c++) large += out[r * cols + c] ? 1 : 0;
    }
    expect(small / (rows * 100)).toBeCloseTo(0.23, 1); // p ~ 0.2..0.26
    expect(large / (rows * 100)).toBeCloseTo(0.77, 1);
  });
  it('della checks density ± epsilon', () => {
    const m = METHODS.find((x) => x.name === 'della')!;
    expect(m.check!({}, [{ weight: 1, density: 0.1, epsilon: 0.15 }], 100)).toMatch(/inside \(0, 1\)/);
  });
  it('ties refuses a density that keeps nothing (mergekit asserts)', () => {
    const m = METHODS.find((x) => x.name === 'ties')!;
    expect(m.check!({}, [{ weight: 1, density: 0.001 }], 128)).toMatch(/keeps no element/);
  });
});

describe('the other methods', () => {
  it('sce: unweighted election, mean-square weights', () => {
    const { out } = run('sce', {
      base: [0, 0],
      inputs: [
        [2, 0],
        [0, 1],
      ],
    });
    // w = [2, 0.5] / 2.5 -> [0.8, 0.2]; element 0: only model 1 agrees (+): 2; element 1: 1.
    expect(close(out, [2, 1])).toBe(true);
  });
  it('ram keeps unique changes and averages shared ones', () => {
    const { out } = run('ram', {
      base: [0, 0, 0],
      inputs: [
        [1, 2, 0],
        [3, 0, 0],
      ],
    });
    expect(out).toEqual([2, 2, 0]);
  });
  it('ramplus_tl boosts unique changes by the shared/unique ratio', () => {
    const { out } = run('ramplus_tl', {
      base: [0, 0],
      inputs: [
        [1, 2],
        [3, 0],
      ],
      global: { r: 0.5, alpha: 1 },
    });
    // model 1: shared 1, unique 1 -> lambda 1.5; element 1 unique from model 1: 2 * 1.5.
    expect(out).toEqual([2, 3]);
  });
  it('model_stock with orthogonal offsets moves to the base; colinear to the average', () => {
    expect(
      run('model_stock', {
        base: [0, 0],
        inputs: [
          [1, 0],
          [0, 1],
        ],
      }).out,
    ).toEqual([0, 0]);
    expect(
      close(
        run('model_stock', {
          base: [0, 0],
          inputs: [
            [1, 1],
            [2, 2],
          ],
        }).out,
        [1.5, 1.5],
      ),
    ).toBe(true);
  });
  it('nearswap swaps close values fully and keeps far ones near the base', () => {
    const { out } = run('nearswap', { base: [0, 0], inputs: [[0.001, 10]], global: { t: 0.01 } });
    expect(out[0]).toBeCloseTo(0.001, 9);
    expect(out[1]).toBeCloseTo(0.01, 6); // w = 0.01/10 -> 0.001 * 10
  });
  it('arcee_fusion keeps only outstanding changes', () => {
    const n = 100;
    const base = new Array(n).fill(0);
    const other = base.map((_, i) => (i === 7 ? 5 : 0.01 * (i % 10)));
    const { out } = run('arcee_fusion', { base, inputs: [other] });
    expect(out[7]).toBe(5);
    expect(out.filter((v) => v !== 0)).toEqual([5]);
  });
  it('passthrough copies, or scales', () => {
    expect(run('passthrough', { inputs: [[1, -2]] }).out).toEqual([1, -2]);
    expect(run('passthrough', { inputs: [[1, -2]], perModel: [{ scale: 0.5 }] }).out).toEqual([0.5, -1]);
  });
  it('no method makes NaN from ordinary inputs', () => {
    for (const m of METHODS) {
      const two = m.models.max === 1 ? 1 : 2;
      const inputs = Array.from({ length: two }, (_, k) => [0.5 + k, -0.25, 0.125 * k, 1]);
      const { out } = run(m.name, {
        inputs,
        base: [0.4, -0.2, 0.1, 0.9],
        perModel: inputs.map(() => ({ weight: 0.5, density: 0.7 })),
        global: { t: 0.3 },
        shape: [2, 2],
      });
      expect(out.every(Number.isFinite), m.name).toBe(true);
    }
  });
});
