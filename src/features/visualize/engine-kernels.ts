/**
 * The teaching views' only route to merge math: the engine's own method kernels, called with
 * the same KernelArgs the engine builds for a tensor (defaults from the method's schema, a
 * seeded stream per input keyed by seed, tensor name and input index, float32 rounding).
 * Nothing here computes a merge itself; the views read what the kernels return.
 *
 * Views compute in float32: a recipe with `dtype: bfloat16` rounds after every step in the
 * real merge, which changes the last bits but none of what the views show.
 */
import { getMethod } from '../../../workers/methods/registry.ts';
import { MERGEKIT_COMPAT, type ParamValue } from '../../../workers/methods/types.ts';
import { makeRng, streamKey } from '../../../workers/rng.ts';

export interface KernelCall {
  readonly method: string;
  /** The non-base inputs in recipe order. Copied: the kernels use their inputs as scratch. */
  readonly inputs: readonly Float32Array[];
  readonly base?: Float32Array | undefined;
  readonly shape?: readonly number[];
  readonly global?: Readonly<Record<string, ParamValue>>;
  readonly perModel?: readonly Readonly<Record<string, ParamValue>>[];
  /** The merge's seed and the output tensor's name: the same random stream as the engine's. */
  readonly seed?: number;
  readonly tensorName?: string;
}

export interface KernelResult {
  readonly out: Float32Array;
  readonly warnings: readonly string[];
}

export class UnknownMethodError extends Error {
  override readonly name: string = 'UnknownMethodError';
}

export function runKernel(c: KernelCall): KernelResult {
  const m = getMethod(c.method);
  if (!m) throw new UnknownMethodError(`the engine has no merge method named ${c.method}`);
  const n = c.inputs[0]?.length ?? c.base?.length ?? 0;
  const defaults = (scope: 'global' | 'model'): Record<string, ParamValue> =>
    Object.fromEntries(
      m.params.flatMap((p) => (p.scope === scope && p.default !== undefined ? [[p.name, p.default]] : [])),
    );
  const out = new Float32Array(n);
  const warnings: string[] = [];
  const seed = c.seed ?? 0;
  const tensor = c.tensorName ?? 'toy';
  m.kernel({
    inputs: c.inputs.map((x) => x.slice()),
    base: c.base,
    shape: c.shape ?? [n],
    global: { ...defaults('global'), ...c.global },
    perModel: c.inputs.map((_, k) => ({ ...defaults('model'), ...c.perModel?.[k] })),
    round: Math.fround,
    rng: (k) => makeRng(streamKey(seed, tensor, k)),
    out,
    warn: (w) => warnings.push(w),
    compat: MERGEKIT_COMPAT,
  });
  return { out, warnings };
}
