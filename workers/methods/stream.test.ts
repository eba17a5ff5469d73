import { describe, expect, it } from 'vitest';
import { roundToBf16 } from '../io/dtypes.ts';
import { makeRng, mix32, streamKey } from '../rng.ts';
import { getMethod } from './registry.ts';
import { arraySource, runStream as drain } from './stream.ts';
import { MERGEKIT_COMPAT } from './types.ts';

const FAMILY = [
  'task_arithmetic',
  'ties',
  'dare_ties',
  'dare_linear',
  'breadcrumbs',
  'breadcrumbs_ties',
  'della',
  'della_linear',
];
const rows = 50;
const cols = 100;
const n = rows * cols;
const noise = (seed: number, scale: number) =>
  Float32Array.from({ length: n }, (_, i) => (((mix32(i ^ mix32(seed)) % 2001) - 1000) / 1000) * scale);

function runStream(name: string, chunk: number, round = Math.fround): Float32Array {
  const m = getMethod(name)!;
  const base = noise(1, 0.05);
  // Bf16-like values: many exact ties at the cut-offs.
  const inputs = [2, 3, 4].map((s) => noise(s, 0.01).map((v, i) => Math.round((base[i]! + v) * 512) / 512));
  const out = new Float32Array(n);
  const global = Object.fromEntries(
    m.params.filter((p) => p.scope === 'global').map((p) => [p.name, p.default]),
  );
  drain(m.stream!, {
    src: arraySource(inputs, base, n),
    chunk,
    emit: (start, v) => out.set(v, start),
    shape: [rows, cols],
    global: { ...global, rescale: true },
    perModel: [0.3, 0.5, 0.7].map((density, k) => ({
      weight: 0.4 + 0.1 * k,
      density,
      gamma: 0.02,
      epsilon: 0.2,
    })),
    round,
    rng: (k) => makeRng(streamKey(7, 'w', k)),
    warn: () => undefined,
    compat: MERGEKIT_COMPAT,
  });
  return out;
}

describe('streaming task-vector family', () => {
  for (const name of FAMILY) {
    it(`${name}: the same bytes whatever the chunking`, () => {
      const whole = runStream(name, n);
      expect(runStream(name, 64)).toEqual(whole);
      expect(runStream(name, 333)).toEqual(whole);
      expect(whole.some((v) => Number.isNaN(v))).toBe(false);
      // a real merge ran: nearly every output element is off zero (the base is rarely 0)
      expect(whole.filter((v) => v !== 0).length).toBeGreaterThan(0.99 * n);
    });
  }
  it('also when emulating bf16 arithmetic', () => {
    expect(runStream('ties', 100, roundToBf16)).toEqual(runStream('ties', n, roundToBf16));
  });
});
