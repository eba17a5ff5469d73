/**
 * Parameter resolution, exactly as mergekit's ConfigReader: a value can be a scalar, a
 * gradient over the layers, or a list of filtered values (first plain-substring match wins);
 * it is looked up at the source, then the output slice, then the top level, and a level whose
 * filters match nothing falls through to the next.
 */
import type { ParameterMap, ParameterSetting, Scalar, ScalarOrGradient } from './recipe.ts';

/** Where a resolved value came from: shown in the UI next to each tensor. */
export interface ValueOrigin {
  readonly level: 'source' | 'slice' | 'module' | 'top' | 'default';
  /** The filter that matched ('*' or absent for a catch-all). */
  readonly filter?: string;
  readonly gradient?: boolean;
}

export function isConditionalList(
  s: ParameterSetting,
): s is readonly { filter?: string; value: ScalarOrGradient }[] {
  return Array.isArray(s) && s.length > 0 && s.every((e) => typeof e === 'object' && e !== null);
}

/**
 * A gradient [v0 .. vK-1] at position t in [0, 1]: piecewise linear with anchors spread
 * evenly (index p = t (K - 1)); a list of non-numbers is stepped (v[floor(p)]), as mergekit's
 * evaluate_setting does. Validation lets through only boolean lists whose anchors are all
 * equal (mergekit reads YAML booleans as floats and fails between different ones).
 */
export function evaluateGradient(values: readonly Scalar[], t: number): Scalar {
  const p = t * (values.length - 1);
  const i0 = Math.trunc(p);
  if (!values.every((v) => typeof v === 'number')) return values[i0]!;
  const i1 = Math.min(values.length - 1, i0 + 1);
  const frac = p - i0;
  return (1 - frac) * (values[i0] as number) + frac * (values[i1] as number);
}

export function evaluateSetting(
  setting: ParameterSetting,
  tensorName: string,
  t: number,
): { value: Scalar; filter?: string; gradient: boolean } | undefined {
  if (!Array.isArray(setting)) return { value: setting as Scalar, gradient: false };
  if (isConditionalList(setting)) {
    for (const c of setting) {
      if (c.filter === undefined || c.filter === '*' || tensorName.includes(c.filter)) {
        const inner = evaluateSetting(c.value, tensorName, t);
        return inner && (c.filter === undefined ? inner : { ...inner, filter: c.filter });
      }
    }
    return undefined;
  }
  return { value: evaluateGradient(setting as readonly Scalar[], t), gradient: true };
}

export interface LookupLevels {
  /** The source's own parameters (per-model parameters only). */
  readonly source?: ParameterMap | undefined;
  readonly slice?: ParameterMap | undefined;
  /** A `modules:` recipe's module parameters, between the slice's and the recipe's (mergekit's ConfigReader). */
  readonly module?: ParameterMap | undefined;
  readonly top?: ParameterMap | undefined;
}

export function lookupParameter(
  name: string,
  levels: LookupLevels,
  tensorName: string,
  t: number,
): { value: Scalar; origin: ValueOrigin } | undefined {
  for (const level of ['source', 'slice', 'module', 'top'] as const) {
    const map = levels[level];
    if (!map || !Object.hasOwn(map, name)) continue;
    const r = evaluateSetting(map[name]!, tensorName, t);
    if (r !== undefined) {
      const origin: ValueOrigin = {
        level,
        gradient: r.gradient,
        ...(r.filter !== undefined && { filter: r.filter }),
      };
      return { value: r.value, origin };
    }
  }
  return undefined;
}
