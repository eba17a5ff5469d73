/** Runs a method's kernel on small arrays with its defaults filled in (tests only). */
import { makeRng, streamKey } from '../rng.ts';
import { getMethod } from './registry.ts';
import { MERGEKIT_COMPAT, type Compat, type ParamValue } from './types.ts';

export interface KernelCase {
  readonly inputs: readonly number[][];
  readonly base?: readonly number[];
  readonly shape?: readonly number[];
  readonly global?: Readonly<Record<string, ParamValue>>;
  readonly perModel?: readonly Readonly<Record<string, ParamValue>>[];
  readonly seed?: number;
  readonly round?: (x: number) => number;
  readonly compat?: Compat;
}

export function run(method: string, c: KernelCase): { out: number[]; warnings: string[] } {
  const m = getMethod(method)!;
  const n = c.inputs[0]?.length ?? c.base!.length;
  const defaults = (scope: 'global' | 'model') =>
    Object.fromEntries(
      m.params.filter((p) => p.scope === scope && p.default !== undefined).map((p) => [p.name, p.default]),
    );
  const out = new Float32Array(n);
  const warnings: string[] = [];
  m.kernel({
    inputs: c.inputs.map((x) => Float32Array.from(x)),
    base: c.base && Float32Array.from(c.base),
    shape: c.shape ?? [n],
    global: { ...defaults('global'), ...c.global },
    perModel: c.inputs.map((_, i) => ({ ...defaults('model'), ...c.perModel?.[i] })),
    round: c.round ?? Math.fround,
    rng: (k) => makeRng(streamKey(c.seed ?? 0, 'test', k)),
    out,
    warn: (w) => warnings.push(w),
    compat: c.compat ?? MERGEKIT_COMPAT,
  });
  return { out: [...out], warnings };
}

export const close = (a: readonly number[], b: readonly number[], tol = 1e-6): boolean =>
  a.length === b.length && a.every((x, i) => Math.abs(x - b[i]!) <= tol * Math.max(1, Math.abs(b[i]!)));
