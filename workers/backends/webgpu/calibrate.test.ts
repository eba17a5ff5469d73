import { describe, expect, it } from 'vitest';
import { METHODS } from '../../methods/registry.ts';
import { probeArgs, probeFor, probeInputs } from './calibrate.ts';

describe('calibration probes', () => {
  it.each(METHODS.map((m) => m.name))('%s: its probe is a valid merge the CPU kernel runs', (name) => {
    const p = { ...probeFor(name), elements: 4096 };
    const m = METHODS.find((x) => x.name === name)!;
    expect(p.method).toBe(name);
    expect(p.models).toBeGreaterThanOrEqual(m.models.min);
    if (m.models.max !== undefined) expect(p.models).toBeLessThanOrEqual(m.models.max);
    const { base, data } = probeInputs(p);
    const args = probeArgs(p, data, base);
    for (const spec of m.params.filter((s) => s.required)) {
      const given = spec.scope === 'global' ? args.global[spec.name] : args.perModel[0]![spec.name];
      expect(given, spec.name).toBeDefined();
    }
    m.kernel(args);
    expect(args.out.every(Number.isFinite)).toBe(true);
  });

  it('an unknown method falls back to the TIES probe', () => {
    expect(probeFor('no_such_method').method).toBe('ties');
  });
});
