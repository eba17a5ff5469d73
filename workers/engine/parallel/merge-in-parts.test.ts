/**
 * A tensor merged in parts on several lanes gives the single-lane merge's bytes: for every
 * family member that splits, with ties at the cuts that straddle the parts (so each part's
 * tie counters must start where the parts before it left off), parts of unequal size, a
 * length that is no multiple of the part alignment, and through a writer that receives the
 * pieces out of order. Members whose statistics are float64 sums (rescale, DELLA) stay whole.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuBackend } from '../../backends/cpu/cpu-backend.ts';
import { encodeFromF32, type WritableDType } from '../../io/dtypes.ts';
import type { LaneFile, LaneFileOpener } from '../../io/lane-file.ts';
import { nodeLaneFiles, openFsLaneFile } from '../../io/node/fs-lane-file.ts';
import { MERGEKIT_COMPAT, type Compat, type ParamValue } from '../../methods/types.ts';
import type { PlannedTensor } from '../../plan/plan-types.ts';
import { mix32 } from '../../rng.ts';
import { MergeCancelled } from '../cancel.ts';
import { computeTensor, type ComputeContext } from '../compute-tensor.ts';
import { plannedLayerTensor } from '../test-helpers.ts';
import { canMergeInParts, PARTS_MIN_ELEMENTS } from './merge-in-parts.ts';
import { splitWeighted } from './split-parts.ts';
import { inProcessLane, laneInThisRealm, PartStopped, runPart, type ComputeLane } from './part-job.ts';

const ROWS = 1031;
const COLS = 2053; // 2,116,643 elements: just above the parts threshold, no multiple of 64K
const N = ROWS * COLS;

/**
 * Values on a coarse grid around a base, so |delta| has few distinct values: ties at every cut.
 * `offset` moves every delta off the grid (by 2^-20: low bits in every key).
 */
function bytesOf(
  seed: number,
  dtype: WritableDType,
  around?: Float32Array,
  offset = 0,
): [Uint8Array, Float32Array] {
  const f = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    const h = mix32(i ^ mix32(seed));
    f[i] = (around ? around[i]! + offset : 0) + (((h % 9) - 4) / 64) * (around ? 1 : 4);
  }
  return [encodeFromF32(f, dtype), f];
}

interface Inputs {
  readonly dtype: 'BF16' | 'F32';
  readonly baseBytes: Uint8Array;
  readonly inputs: Uint8Array[];
}

function inputsOf(dtype: 'BF16' | 'F32', offset: number): Inputs {
  const [baseBytes, baseValues] = bytesOf(1, dtype);
  return { dtype, baseBytes, inputs: [2, 3, 4].map((s) => bytesOf(s, dtype, baseValues, offset)[0]) };
}

/** BF16 deltas: every key's low bits 0, so the magnitude cuts skip their low-bits pass. */
const GRID = inputsOf('BF16', 0);
/** Float32 deltas off the grid (still tied): the cuts need the low-bits pass. */
const OFF_GRID = inputsOf('F32', 2 ** -20);
const { baseBytes, inputs } = GRID;

function plan(method: string, overrides: Record<string, ParamValue> = {}, data = GRID): PlannedTensor {
  const dtypes = [data.dtype, data.dtype, data.dtype];
  return plannedLayerTensor(method, [ROWS, COLS], dtypes, (name, _scope, k) => {
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
  data = GRID,
  laneFile?: ComputeContext['laneFile'],
  laneWrites?: 'auto' | 'always' | 'never',
  coordinatorShare?: number,
): Promise<{ bytes: Uint8Array; sumSq: number; warnings: string[]; wroteDirectly: boolean | undefined }> {
  const warnings: string[] = [];
  const r = await computeTensor(t, method, data.baseBytes, [...data.inputs], {
    backend: cpuBackend,
    computeDtype: 'F32',
    seed: 7,
    compat: MERGEKIT_COMPAT,
    warn: (w) => warnings.push(w),
    ...(write && { write, writeShared }),
    ...(lanes && {
      lanes: {
        lanes,
        needShared: false,
        ...(laneWrites && { laneWrites }),
        ...(coordinatorShare && { coordinatorShare }),
      },
    }),
    ...(laneFile && { laneFile }),
  });
  return { bytes: r.bytes!, sumSq: r.sumSq, warnings, wroteDirectly: r.inParts?.wroteDirectly };
}

/** A file with 100 bytes before the tensor, as a shard's header would be. */
const AT = 100;
async function withFile<T>(f: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lane-file-'));
  try {
    const file = path.join(dir, 'model.safetensors.partial');
    await writeFile(file, new Uint8Array(AT + N * 2).fill(0xee));
    return await f(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
const noPieces = (): Promise<void> => Promise.reject(new Error('a piece went to the coordinator'));
/** The coordinator's writes into the file, noting the pieces' offsets. */
const coordinatorWrite =
  (file: string, pieces: number[]) =>
  (offset: number, bytes: Uint8Array): Promise<void> => {
    pieces.push(offset);
    const f = openFsLaneFile(file);
    f.write(AT + offset, bytes);
    f.close();
    return Promise.resolve();
  };

/** Files whose close throws; their writes too with `failWrites`. */
const closing =
  (failWrites: boolean): LaneFileOpener =>
  () =>
    Promise.resolve({
      write: () => {
        if (failWrites) throw new Error('disk full');
      },
      close: () => {
        throw new Error('close failed');
      },
    });
/** Two lanes in this realm opening files with `o`. */
const twoLanes = (o: LaneFileOpener): ComputeLane[] => [0, 1].map(() => laneInThisRealm(o));

describe('splitWeighted', () => {
  it('covers [0, n) with aligned, non-empty parts', () => {
    for (const [n, k] of [
      [N, 3],
      [N, 16],
      [4096 * 2 + 5, 7],
      [100, 4],
    ] as const) {
      const parts = splitWeighted(n, new Array<number>(k).fill(1)).map((p) => p.part);
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

  it('sizes the parts in proportion to the weights, and names each part its weight', () => {
    const parts = splitWeighted(4096 * 700, [1, 1, 1, 0.5]);
    expect(parts.map((p) => p.owner)).toEqual([0, 1, 2, 3]);
    expect(parts.map((p) => (p.part.hi - p.part.lo) / 4096)).toEqual([200, 200, 200, 100]);
    // Few blocks: the parts that come out empty are left out, and the others keep their owners.
    const few = splitWeighted(4096 * 2, [1, 1, 1, 0.5]);
    expect(few.map((p) => p.owner)).toEqual([0, 2]);
    expect(few.map((p) => p.part)).toEqual([
      { lo: 0, hi: 4096 },
      { lo: 4096, hi: 8192 },
    ]);
  });
});

/** A compute context with these lanes (and a cancel, and a writer). */
const ctxFor = (lanes: readonly ComputeLane[], signal?: AbortSignal, write?: ComputeContext['write']) => ({
  backend: cpuBackend,
  computeDtype: 'F32' as const,
  seed: 7,
  compat: MERGEKIT_COMPAT,
  warn: () => undefined,
  ...(write && { write }),
  ...(signal && { signal }),
  lanes: { lanes, needShared: false },
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

  for (const [name, data, passes] of [
    ['BF16 deltas: the cuts found in pass 0', GRID, [0]],
    ['float32 deltas: the cuts found in pass 1', OFF_GRID, [0, 1]],
  ] as const) {
    for (const method of ['ties', 'breadcrumbs_ties']) {
      it(`${method}, ${name}: the same bytes on 1 and 3 lanes`, async () => {
        const t = plan(method, {}, data);
        const whole = await merge(t, method, undefined, undefined, false, data);
        for (const count of [1, 3]) {
          const synced = new Set<number>();
          const lanes = Array.from({ length: count }, () => ({
            run: (job: Parameters<ComputeLane['run']>[0], hooks: Parameters<ComputeLane['run']>[1]) =>
              runPart(job, { ...hooks, synced: (pass, h) => (synced.add(pass), hooks.synced(pass, h)) }),
          }));
          const parted = await merge(t, method, lanes, undefined, false, data);
          expect([...synced].sort()).toEqual(passes);
          expect(Buffer.from(parted.bytes).equals(Buffer.from(whole.bytes))).toBe(true);
        }
      });
    }
  }

  it.each([
    ['pass 0', GRID],
    ['pass 1', OFF_GRID],
  ] as const)('ties at the cut really straddle the parts (found in %s: a hard case)', async (_, data) => {
    // With the tie counters of each part starting from the whole cut's, the bytes would differ.
    const t = plan('ties', {}, data);
    const whole = await merge(t, 'ties', undefined, undefined, false, data);
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
    const wrong = await merge(t, 'ties', lanes, undefined, false, data);
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

  describe('stopping early', () => {
    it('a cancel at a barrier stops every part and the tensor with MergeCancelled, writing nothing', async () => {
      const t = plan('ties');
      const controller = new AbortController();
      let pieces = 0;
      const lanes = [0, 1, 2].map((i): ComputeLane => ({
        run: (job, hooks) =>
          runPart(job, {
            ...hooks,
            synced: (pass, h) => {
              if (i === 1) controller.abort(); // the user cancels while part 1 reports
              return hooks.synced(pass, h);
            },
          }),
      }));
      const merging = computeTensor(
        t,
        'ties',
        GRID.baseBytes,
        [...GRID.inputs],
        ctxFor(lanes, controller.signal, () => void pieces++),
      );
      await expect(merging).rejects.toBeInstanceOf(MergeCancelled);
      expect(pieces).toBe(0);
    });

    it('a part stops at its next chunk once the tensor has failed elsewhere; the first error is the one reported', async () => {
      const t = plan('ties');
      let chunks = 0;
      let part1Chunks = 0;
      let part1Error: unknown;
      const disk = new Error('disk full');
      const lanes: ComputeLane[] = [
        // Part 0 fails a few chunks into its first pass (as a write failing would).
        {
          run: (job, hooks) =>
            runPart(job, hooks, undefined, () => {
              if (++chunks === 4) throw disk;
              return undefined;
            }),
        },
        // Part 1 goes on chunk by chunk, giving the event loop turns (~16 chunks a pass).
        {
          run: (job, hooks) =>
            runPart(job, hooks, undefined, () => {
              part1Chunks++;
              return new Promise((resolve) => setImmediate(resolve));
            }).catch((e: unknown) => {
              part1Error = e;
              throw e;
            }),
        },
      ];
      const merging = computeTensor(t, 'ties', GRID.baseBytes, [...GRID.inputs], ctxFor(lanes));
      await expect(merging).rejects.toBe(disk);
      // It stopped at its next chunk, not at the end of its pass (the barrier) or of its part.
      expect(part1Error).toBeInstanceOf(PartStopped);
      expect(part1Chunks).toBeLessThanOrEqual(2);
    });
  });

  describe('the coordinator merging a share itself (coordinatorShare)', () => {
    for (const method of ['ties', 'dare_ties', 'task_arithmetic']) {
      it(`${method}: the same bytes with 1 and 2 lanes beside it`, async () => {
        const t = plan(method, method === 'dare_ties' ? { rescale: false } : {});
        const whole = await merge(t, method);
        for (const count of [1, 2]) {
          let onLanes = 0;
          const lanes = Array.from({ length: count }, (): ComputeLane => ({
            run: (job, hooks) => ((onLanes += job.part.hi - job.part.lo), runPart(job, hooks)),
          }));
          const parted = await merge(t, method, lanes, undefined, false, GRID, undefined, undefined, 0.5);
          // The last part, half a lane's, ran here, on no lane.
          expect(N - onLanes).toBe(N - splitWeighted(N, [...lanes.map(() => 1), 0.5]).at(-1)!.part.lo);
          expect(Buffer.from(parted.bytes).equals(Buffer.from(whole.bytes))).toBe(true);
          expect(parted.sumSq).toBeCloseTo(whole.sumSq, 6);
        }
      });
    }

    it('writes its own part through the writer while the lanes write theirs into the file', async () => {
      const t = plan('ties');
      const whole = await merge(t, 'ties');
      await withFile(async (file) => {
        const pieces: number[] = [];
        const lanes = [0, 1].map(() => laneInThisRealm(nodeLaneFiles));
        const laneFile = { file: { kind: 'fs' as const, path: file }, at: AT };
        const share = 0.5;
        const r = await merge(
          t,
          'ties',
          lanes,
          coordinatorWrite(file, pieces),
          false,
          GRID,
          laneFile,
          'auto',
          share,
        );
        expect(r.wroteDirectly).toBe(true); // every lane's part
        const own = splitWeighted(N, [1, 1, share]).at(-1)!.part;
        expect(pieces).toEqual([own.lo * 2]); // one piece (under 8 MB): the coordinator's part
        expect((await readFile(file)).subarray(AT).equals(Buffer.from(whole.bytes))).toBe(true);
      });
    });

    it("gives the event loop turns while it merges (the merge worker's reads go on)", async () => {
      const t = plan('ties');
      const whole = await merge(t, 'ties');
      let turns = 0;
      const turn = (): Promise<void> | undefined => {
        turns++;
        return turns % 2 === 0 ? new Promise((resolve) => setImmediate(resolve)) : undefined;
      };
      const lane: ComputeLane = { run: (job, hooks) => runPart(job, hooks, undefined, turn) };
      const parted = await merge(t, 'ties', [lane]);
      expect(Buffer.from(parted.bytes).equals(Buffer.from(whole.bytes))).toBe(true);
      // One call per chunk of every pass over the part (64K-element chunks).
      expect(turns).toBeGreaterThanOrEqual(2 * Math.ceil(N / 65536));
    });
  });

  describe('lanes that open the output file themselves', () => {
    it('write their parts there, and send the coordinator no piece', async () => {
      const t = plan('ties');
      const whole = await merge(t, 'ties');
      await withFile(async (file) => {
        const lanes = [0, 1, 2].map(() => laneInThisRealm(nodeLaneFiles));
        const r = await merge(t, 'ties', lanes, noPieces, true, GRID, {
          file: { kind: 'fs', path: file },
          at: AT,
        });
        expect(r.wroteDirectly).toBe(true);
        const bytes = await readFile(file);
        expect(bytes.subarray(0, AT).every((b) => b === 0xee)).toBe(true); // nothing before the tensor
        expect(bytes.subarray(AT).equals(Buffer.from(whole.bytes))).toBe(true);
      });
    });

    it('by default only from two lanes on: one lane sends its pieces to the coordinator, which has time to spare', async () => {
      const t = plan('ties');
      const whole = await merge(t, 'ties');
      await withFile(async (file) => {
        const laneFile = { file: { kind: 'fs' as const, path: file }, at: AT };
        const pieces: number[] = [];
        const write = coordinatorWrite(file, pieces);
        const one = [laneInThisRealm(nodeLaneFiles)];
        const three = [0, 1, 2].map(() => laneInThisRealm(nodeLaneFiles));
        expect((await merge(t, 'ties', one, write, true, GRID, laneFile)).wroteDirectly).toBe(false);
        expect(pieces).toHaveLength(1);
        expect((await merge(t, 'ties', one, noPieces, true, GRID, laneFile, 'always')).wroteDirectly).toBe(
          true,
        );
        expect((await merge(t, 'ties', three, write, true, GRID, laneFile, 'never')).wroteDirectly).toBe(
          false,
        );
        expect(pieces).toHaveLength(4);
        expect((await readFile(file)).subarray(AT).equals(Buffer.from(whole.bytes))).toBe(true);
      });
    });

    it('a lane that cannot open the file sends its pieces instead', async () => {
      const t = plan('ties');
      const whole = await merge(t, 'ties');
      await withFile(async (file) => {
        const pieces: number[] = [];
        const write = coordinatorWrite(file, pieces);
        const lanes = [laneInThisRealm(nodeLaneFiles), inProcessLane, laneInThisRealm(nodeLaneFiles)];
        const r = await merge(t, 'ties', lanes, write, true, GRID, {
          file: { kind: 'fs', path: file },
          at: AT,
        });
        expect(r.wroteDirectly).toBe(false);
        expect(pieces).toHaveLength(1); // the middle part's
        expect((await readFile(file)).subarray(AT).equals(Buffer.from(whole.bytes))).toBe(true);
      });
    });

    it('a failed write fails the tensor, and every lane closes its file', async () => {
      const t = plan('ties');
      const opened: LaneFile[] = [];
      let closed = 0;
      let writes = 0;
      const failing: LaneFileOpener = () => {
        const f: LaneFile = {
          write: () => {
            if (++writes === 2) throw new Error('disk full');
          },
          close: () => void closed++,
        };
        opened.push(f);
        return Promise.resolve(f);
      };
      const lanes = [0, 1, 2].map(() => laneInThisRealm(failing));
      await expect(
        merge(t, 'ties', lanes, noPieces, true, GRID, { file: { kind: 'opfs', path: ['x'] }, at: 0 }),
      ).rejects.toThrow('disk full');
      expect(opened).toHaveLength(3);
      expect(closed).toBe(3);
    });

    it('a file that fails to close fails the tensor; after a failed write, the write is the reason', async () => {
      const t = plan('ties');
      const at = { file: { kind: 'opfs' as const, path: ['x'] }, at: 0 };
      await expect(merge(t, 'ties', twoLanes(closing(false)), noPieces, true, GRID, at)).rejects.toThrow(
        'close failed',
      );
      await expect(merge(t, 'ties', twoLanes(closing(true)), noPieces, true, GRID, at)).rejects.toThrow(
        'disk full',
      );
    });

    it('a file that cannot be opened fails the tensor with the reason', async () => {
      const t = plan('ties');
      const lanes = [0, 1].map(() => laneInThisRealm(() => Promise.reject(new Error('quota exceeded'))));
      await expect(
        merge(t, 'ties', lanes, noPieces, true, GRID, { file: { kind: 'opfs', path: ['x'] }, at: 0 }),
      ).rejects.toThrow('quota exceeded');
    });
  });

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
    // One barrier (the cuts are found in pass 0) x three models x two merges per part.
    expect(buffers[0]!.length).toBeGreaterThanOrEqual(6);
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

  it('a failed write of a piece fails the tensor', async () => {
    const t = plan('ties');
    let writes = 0;
    const write = (): Promise<void> =>
      ++writes === 2 ? Promise.reject(new Error('disk full')) : new Promise((r) => setTimeout(r, 1));
    await expect(merge(t, 'ties', [inProcessLane, inProcessLane], write)).rejects.toThrow('disk full');
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
    // merge_studio options: 1 / density needs no sums, count consensus splits by element
    const withNorm = (rescaleNorm: Compat['rescaleNorm']) => ({
      ...ctx,
      compat: { ...MERGEKIT_COMPAT, rescaleNorm },
    });
    expect(ok('dare_ties', {}, withNorm('inverse_density'))).toBe(true);
    expect(ok('ties', { rescale: true }, withNorm('inverse_density'))).toBe(true);
    expect(ok('dare_ties', {}, withNorm('l2'))).toBe(false);
    expect(ok('dare_ties', {}, withNorm('linf'))).toBe(false);
    expect(ok('ties', {}, { ...ctx, compat: { ...MERGEKIT_COMPAT, consensus: 'count' } })).toBe(true);
    // magnitude cuts by row: no statistics, unless a rescale measures norms
    const byRow = { ...ctx, compat: { ...MERGEKIT_COMPAT, topkScope: 'row' as const } };
    expect(ok('ties', {}, byRow)).toBe(true);
    expect(ok('breadcrumbs', {}, byRow)).toBe(true);
    expect(ok('ties', { rescale: true }, byRow)).toBe(false);
    expect(
      ok(
        'ties',
        { rescale: true },
        { ...byRow, compat: { ...byRow.compat, rescaleNorm: 'inverse_density' } },
      ),
    ).toBe(true);
  });

  describe('with merge_studio options', () => {
    const optionCases: [string, Record<string, ParamValue>, Compat][] = [
      ['ties', {}, { ...MERGEKIT_COMPAT, consensus: 'count' }],
      ['breadcrumbs_ties', { rescale: true }, { ...MERGEKIT_COMPAT, rescaleNorm: 'inverse_density' }],
      ['dare_ties', {}, { ...MERGEKIT_COMPAT, consensus: 'count', rescaleNorm: 'inverse_density' }],
    ];
    for (const [method, overrides, compat] of optionCases) {
      it(`${method} ${JSON.stringify(compat)}: the same bytes on 1 and 3 lanes`, async () => {
        const t = plan(method, overrides);
        const run = async (lanes?: ComputeLane[]) => {
          const ctx = {
            backend: cpuBackend,
            computeDtype: 'F32' as const,
            seed: 7,
            compat,
            warn: () => undefined,
          };
          const r = await computeTensor(
            t,
            method,
            baseBytes,
            [...inputs],
            lanes ? { ...ctx, lanes: { lanes, needShared: false } } : ctx,
          );
          return { bytes: r.bytes!, inParts: r.inParts !== undefined };
        };
        const whole = await run();
        expect(whole.inParts).toBe(false);
        const plain = await merge(t, method);
        expect(Buffer.from(plain.bytes).equals(Buffer.from(whole.bytes))).toBe(false); // the option counts
        for (const count of [1, 3]) {
          const parted = await run(Array.from({ length: count }, () => inProcessLane));
          expect(parted.inParts).toBe(true);
          expect(Buffer.from(parted.bytes).equals(Buffer.from(whole.bytes))).toBe(true);
        }
      });
    }
  });

  describe('with topk_scope row', () => {
    // 2,150,400 elements in rows of 1536: parts start on multiples of lcm(4096, 1536) = 12288
    const R = 1400;
    const C = 1536;
    const byRow: Compat = { ...MERGEKIT_COMPAT, topkScope: 'row' };
    const values = (seed: number, around?: Float32Array): Float32Array =>
      Float32Array.from({ length: R * C }, (_, i) => {
        const h = mix32(i ^ mix32(seed));
        return (around ? around[i]! : 0) + (((h % 9) - 4) / 64) * (around ? 1 : 4);
      });
    const base = values(1);
    const rowBase = encodeFromF32(base, 'BF16');
    const rowInputs = [2, 3, 4].map((s) => encodeFromF32(values(s, base), 'BF16'));
    const rowPlan = (method: string): PlannedTensor =>
      plannedLayerTensor(method, [R, C], ['BF16', 'BF16', 'BF16'], (name, _scope, k) => {
        if (name === 'weight') return [0.5, 0.3, -0.2][k]!;
        if (name === 'density') return [0.4, 0.55, 0.7][k]!;
        return name === 'gamma' ? 0.05 : undefined;
      });

    it('splitWeighted starts every part on a multiple of the alignment asked', () => {
      const parts = splitWeighted(R * C, [1, 1, 1], 12288).map((p) => p.part);
      expect(parts).toHaveLength(3);
      for (const p of parts) expect(p.lo % 12288).toBe(0);
      expect(parts.at(-1)!.hi).toBe(R * C);
    });

    for (const method of ['ties', 'breadcrumbs_ties']) {
      it(`${method}: parts of whole rows, the same bytes on 1 and 3 lanes`, async () => {
        const t = rowPlan(method);
        const run = async (lanes?: ComputeLane[]) => {
          const ctx = {
            backend: cpuBackend,
            computeDtype: 'F32' as const,
            seed: 7,
            compat: byRow,
            warn: () => undefined,
          };
          const r = await computeTensor(
            t,
            method,
            rowBase,
            [...rowInputs],
            lanes ? { ...ctx, lanes: { lanes, needShared: false } } : ctx,
          );
          return r.bytes!;
        };
        const whole = await run();
        const tensor = await computeTensor(t, method, rowBase, [...rowInputs], {
          backend: cpuBackend,
          computeDtype: 'F32',
          seed: 7,
          compat: MERGEKIT_COMPAT,
          warn: () => undefined,
        });
        expect(Buffer.from(tensor.bytes!).equals(Buffer.from(whole))).toBe(false); // the scope counts
        for (const count of [1, 3]) {
          const counter = { parts: 0 };
          const parted = await run(Array.from({ length: count }, () => countingLane(counter)));
          expect(counter.parts).toBe(count);
          expect(Buffer.from(parted).equals(Buffer.from(whole))).toBe(true);
        }
      });
    }
  });
});
