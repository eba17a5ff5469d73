/**
 * A tensor merged in parts on several lanes gives the single-lane merge's bytes: for every
 * family member that splits, with ties at the cuts that straddle the parts (so each part's
 * tie counters must start where the parts before it left off), parts of unequal size, a
 * length that is no multiple of the part alignment, and through a writer that receives the
 * pieces out of order. Members whose statistics are float64 sums (rescale, DELLA) stay whole.
 */
import { describe, expect, it } from 'vitest';
import { cpuBackend } from '../../backends/cpu/cpu-backend.ts';
import { encodeFromF32, type WritableDType } from '../../io/dtypes.ts';
import { MERGEKIT_COMPAT, type ParamValue } from '../../methods/types.ts';
import type { PlannedTensor } from '../../plan/plan-types.ts';
import { mix32 } from '../../rng.ts';
import { computeTensor, type ComputeContext } from '../compute-tensor.ts';
import { plannedLayerTensor } from '../test-helpers.ts';
import { canMergeInParts, PARTS_MIN_ELEMENTS, splitRange } from './merge-in-parts.ts';
import { inProcessLane, runPart, type ComputeLane } from './part-job.ts';

const ROWS = 1031;
const COLS = 2053; // 2,116,643 elements: just above the parts threshold, no multiple of 64K
const N = ROWS * COLS;

/** Values on a coarse grid around a base, so |delta| has few distinct values: ties at every cut. */
function bytesOf(seed: number, around?: Float32Array): [Uint8Array, Float32Array] {
  const f = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    const h = mix32(i ^ mix32(seed));
    f[i] = (around ? around[i]! : 0) + (((h % 9) - 4) / 64) * (around ? 1 : 4);
  }
  return [encodeFromF32(f, 'BF16'), f];
}

const [baseBytes, baseValues] = bytesOf(1);
const inputs = [2, 3, 4].map((s) => bytesOf(s, baseValues)[0]);

function plan(method: string, overrides: Record<string, ParamValue> = {}): PlannedTensor {
  return plannedLayerTensor(method, [ROWS, COLS], ['BF16', 'BF16', 'BF16'], (name, _scope, k) => {
    if (name in overrides) return overrides[name];
    if (name === 'weight') return [0.5, 0.3, -0.2][k]!;
    if (name === 'density') return [0.4, 0.55, 0.7][k]!;
    if (name === 'gamma') return 0.05;
    return name === 'lambda' ? 0.9 : undefined;
  });
}

/** A lane that counts its parts, to see the tensor really went to the lanes. */
function countingLane(counter: { parts: number }): ComputeLane {
  return {
    run: (job, hooks) => {
      counter.parts++;
      return runPart(job, hooks);
    },
  };
}

async function merge(
  t: PlannedTensor,
  method: string,
  lanes?: readonly ComputeLane[],
  write?: ComputeContext['write'],
  writeShared = false,
): Promise<{ bytes: Uint8Array; sumSq: number; warnings: string[] }> {
  const warnings: string[] = [];
  const r = await computeTensor(t, method, baseBytes, [...inputs], {
    backend: cpuBackend,
    computeDtype: 'F32',
    seed: 7,
    compat: MERGEKIT_COMPAT,
    warn: (w) => warnings.push(w),
    ...(write && { write, writeShared }),
    ...(lanes && { lanes: { lanes, needShared: false } }),
  });
  return { bytes: r.bytes!, sumSq: r.sumSq, warnings };
}

describe('splitRange', () => {
  it('covers [0, n) with aligned, non-empty parts', () => {
    for (const [n, k] of [
      [N, 3],
      [N, 16],
      [4096 * 2 + 5, 7],
      [100, 4],
    ] as const) {
      const parts = splitRange(n, k);
      expect(parts[0]!.lo).toBe(0);
      expect(parts.at(-1)!.hi).toBe(n);
      parts.forEach((p, i) => {
        expect(p.hi).toBeGreaterThan(p.lo);
        expect(p.lo % 4096).toBe(0);
        if (i > 0) expect(p.lo).toBe(parts[i - 1]!.hi);
      });
      expect(parts.length).toBeLessThanOrEqual(k);
    }
  });
});

describe('merging a tensor in parts', () => {
  expect(N).toBeGreaterThan(PARTS_MIN_ELEMENTS);
  const cases: [string, Record<string, ParamValue>][] = [
    ['ties', {}],
    ['breadcrumbs', {}],
    ['breadcrumbs_ties', {}],
    ['task_arithmetic', {}],
    ['dare_ties', { rescale: false }],
    ['dare_linear', { rescale: false }],
  ];
  for (const [method, overrides] of cases) {
    it(`${method} ${JSON.stringify(overrides)}: the same bytes on 1, 2, 3 and 5 lanes`, async () => {
      const t = plan(method, overrides);
      const whole = await merge(t, method);
      for (const count of [1, 2, 3, 5]) {
        const counter = { parts: 0 };
        const lanes = Array.from({ length: count }, () => countingLane(counter));
        const parted = await merge(t, method, lanes);
        expect(counter.parts).toBe(count);
        expect(Buffer.from(parted.bytes).equals(Buffer.from(whole.bytes))).toBe(true);
        expect(parted.sumSq).toBeCloseTo(whole.sumSq, 6);
        expect(parted.warnings).toEqual(whole.warnings);
      }
    });
  }

  it('ties at the cut really straddle the parts (the test data is a hard case)', async () => {
    // With the tie counters of each part starting from the whole cut's, the bytes would differ.
    const t = plan('ties');
    const whole = await merge(t, 'ties');
    let zeroedTies = 0;
    const lanes = [0, 1, 2].map(() => ({
      run: (job: Parameters<ComputeLane['run']>[0], hooks: Parameters<ComputeLane['run']>[1]) =>
        runPart(job, {
          ...hooks,
          tiesBefore: async () => {
            const before = await hooks.tiesBefore();
            zeroedTies += before.flat().reduce((a, b) => a + b, 0);
            return before.map((cuts) => cuts.map(() => 0));
          },
        }),
    }));
    const wrong = await merge(t, 'ties', lanes);
    expect(zeroedTies).toBeGreaterThan(0);
    expect(Buffer.from(wrong.bytes).equals(Buffer.from(whole.bytes))).toBe(false);
  });

  for (const direct of [false, true]) {
    it(`writes the pieces at their offsets through a writer that settles late (${direct ? "the lanes' views" : 'copies'})`, async () => {
      const t = plan('ties');
      const whole = await merge(t, 'ties');
      const file = new Uint8Array(whole.bytes.byteLength);
      const offsets: number[] = [];
      // Reads the piece only when it settles: a lane must not reuse it before.
      const write = (offset: number, bytes: Uint8Array): Promise<void> => {
        offsets.push(offset);
        return new Promise((resolve) => setTimeout(() => (file.set(bytes, offset), resolve()), 1));
      };
      await merge(t, 'ties', [inProcessLane, inProcessLane, inProcessLane], write, direct);
      expect(Buffer.from(file).equals(Buffer.from(whole.bytes))).toBe(true);
      expect(new Set(offsets).size).toBe(3); // one piece per part (each under 8 MB)
    });
  }

  it('hands its histograms over in shared memory, reused by the parts that follow', async () => {
    // Posted as ordinary arrays, every barrier's histograms were copied into the message and
    // left for the collector (tens of MB with two lanes in Chromium).
    const t = plan('ties');
    const whole = await merge(t, 'ties');
    const buffers: ArrayBufferLike[][] = [[], []];
    const lanes = [0, 1].map((i) => ({
      run: (job: Parameters<ComputeLane['run']>[0], hooks: Parameters<ComputeLane['run']>[1]) =>
        runPart(job, {
          ...hooks,
          synced: (pass, histograms) => {
            for (const h of histograms.flat()) {
              expect(h.buffer).toBeInstanceOf(SharedArrayBuffer);
              buffers[i]!.push(h.buffer);
            }
            return hooks.synced(pass, histograms);
          },
        }),
    }));
    for (let merges = 0; merges < 2; merges++) {
      const parted = await merge(t, 'ties', lanes);
      expect(Buffer.from(parted.bytes).equals(Buffer.from(whole.bytes))).toBe(true);
    }
    // Two barriers x three models x two merges per part.
    expect(buffers[0]!.length).toBeGreaterThanOrEqual(12);
    // The two parts run at once, so they never share a slab; the second merge reuses both.
    expect(new Set([...buffers[0]!, ...buffers[1]!]).size).toBe(2);
  });

  it('a failing lane fails the tensor, and no lane is left waiting', async () => {
    const t = plan('ties');
    const failing: ComputeLane = {
      run: (job, hooks) => runPart(job, { ...hooks, synced: () => Promise.reject(new Error('lane lost')) }),
    };
    await expect(merge(t, 'ties', [inProcessLane, failing, inProcessLane])).rejects.toThrow('lane lost');
  });

  it('a lane that fails before the others reach a barrier does not leave them waiting', async () => {
    const t = plan('ties');
    const broken: ComputeLane = { run: () => Promise.reject(new Error('lane did not start')) };
    const late: ComputeLane = {
      run: (job, hooks) => new Promise((r) => setTimeout(r, 50)).then(() => runPart(job, hooks)),
    };
    await expect(merge(t, 'ties', [inProcessLane, broken, late])).rejects.toThrow('lane did not start');
  });

  it('keeps on the merge worker what does not split exactly', () => {
    const ctx = {
      lanes: [inProcessLane],
      computeDtype: 'F32' as WritableDType,
      seed: 1,
      compat: MERGEKIT_COMPAT,
      warn: () => undefined,
      needShared: false,
    };
    const ok = (method: string, o: Record<string, ParamValue> = {}, c = ctx): boolean =>
      canMergeInParts(plan(method, o), method, baseBytes, inputs, c);
    expect(ok('ties')).toBe(true);
    expect(ok('dare_ties')).toBe(false); // rescale: float64 sums
    expect(ok('ties', { rescale: true })).toBe(false);
    expect(ok('della', { rescale: false })).toBe(false);
    expect(ok('ties', {}, { ...ctx, computeDtype: 'BF16' })).toBe(false);
    expect(ok('ties', {}, { ...ctx, lanes: [] })).toBe(false);
    expect(ok('ties', {}, { ...ctx, needShared: true })).toBe(false); // plain ArrayBuffers
    expect(ok('slerp')).toBe(false);
  });
});
