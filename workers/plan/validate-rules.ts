/**
 * The rules a method places on a recipe: a base model where one is needed, how many models,
 * required parameters present for every model that needs them. mergekit discovers most of
 * these mid-merge ("Missing required parameter weight for ..."), after downloading models.
 */
import { rounderFor } from '../io/dtypes.ts';
import { weightSumVanishes } from '../methods/linear.ts';
import type { MergeMethod } from '../methods/types.ts';
import type { YamlPath } from './problems.ts';
import type { ParameterMap, Recipe } from './recipe.ts';
import { computeDtypeOf } from './resolve-params.ts';

type Report = (path: YamlPath, message: string, severity?: 'error' | 'warning') => void;

/** A slice's sources as the planner will see them, with their YAML paths. */
export interface RuleSource {
  readonly model: string;
  readonly parameters: ParameterMap | undefined;
  readonly path: YamlPath;
  /** Added by mergekit because base_model was not listed under models:. */
  readonly implicit?: boolean;
}

export interface RuleSlice {
  readonly path: YamlPath;
  readonly base: string | undefined;
  readonly parameters: ParameterMap | undefined;
  readonly sources: readonly RuleSource[];
}

/** models: becomes one slice, with the base appended when not listed (as mergekit does). */
export function ruleSlices(r: Recipe): RuleSlice[] {
  if (r.models) {
    const sources: RuleSource[] = r.models.map((m, i) => ({
      model: m.model,
      parameters: m.parameters,
      path: ['models', i],
    }));
    if (r.base_model && !r.models.some((m) => m.model === r.base_model)) {
      sources.push({ model: r.base_model, parameters: undefined, path: ['base_model'], implicit: true });
    }
    return [{ path: ['models'], base: r.base_model, parameters: undefined, sources }];
  }
  return (r.slices ?? []).map((s, i) => ({
    path: ['slices', i],
    base: s.base_model ?? r.base_model,
    parameters: s.parameters,
    sources: s.sources.map((src, j) => ({
      model: src.model,
      parameters: src.parameters,
      path: ['slices', i, 'sources', j],
    })),
  }));
}

function has(name: string, ...maps: (ParameterMap | undefined)[]): boolean {
  return maps.some((m) => m !== undefined && Object.hasOwn(m, name));
}

/** The scalar value of a parameter when every level that sets it uses a plain scalar. */
function scalarOf(name: string, ...maps: (ParameterMap | undefined)[]): number | boolean | undefined {
  for (const m of maps) {
    if (m && Object.hasOwn(m, name)) {
      const v = m[name];
      return typeof v === 'number' || typeof v === 'boolean' ? v : undefined;
    }
  }
  return undefined;
}

export function checkMethodRules(r: Recipe, method: MergeMethod, report: Report): void {
  const besides = method.base === 'input' ? '' : ' besides the base';
  for (const slice of ruleSlices(r)) {
    const usesBase = method.base !== 'input';
    if (method.base === 'required' && !slice.base) {
      report(['base_model'], `${method.name} needs base_model: the model the others were fine-tuned from`);
    }
    if (usesBase && slice.base && r.slices && !slice.sources.some((s) => s.model === slice.base)) {
      report([...slice.path, 'sources'], `the base model ${slice.base} must be one of this slice's sources`);
    }
    const merged = usesBase ? slice.sources.filter((s) => s.model !== slice.base) : slice.sources;
    const { min, max } = method.models;
    if (merged.length < min || (max !== undefined && merged.length > max)) {
      const need =
        max === min ? `exactly ${min}` : max === undefined ? `at least ${min}` : `${min} to ${max}`;
      const what = `${min === 1 && (max === min || max === undefined) ? 'model' : 'models'}${besides}`;
      const extra =
        method.name === 'nuslerp' && slice.base && merged.length === 1
          ? ' (its base_model must be a third model, not one of the two being merged)'
          : method.name === 'passthrough'
            ? ' per slice: stack models with one source per slice'
            : '';
      report(slice.path, `${method.name} takes ${need} ${what}, got ${merged.length}${extra}`);
    }
    // Only models: syntax adds the base as an input (mergekit's normalize_config); with slices
    // a base_model that is not a source only picks the config donor.
    if (method.base === 'input' && slice.base && method.name !== 'passthrough' && r.models) {
      report(['base_model'], `${method.name} has no base: base_model is merged as one more input`, 'warning');
    }
    for (const spec of method.params) {
      if (!spec.required) continue;
      if (spec.scope === 'global') {
        if (!has(spec.name, slice.parameters, r.parameters)) {
          report(['parameters'], `${method.name} needs ${spec.name}: ${spec.description}`);
        }
        continue;
      }
      for (const src of merged) {
        if (has(spec.name, src.parameters, slice.parameters, r.parameters)) continue;
        report(
          src.implicit ? ['base_model'] : src.path,
          src.implicit
            ? `${method.name} merges base_model ${src.model} as one more input, which needs a ${spec.name}: give a top-level ${spec.name} or remove base_model`
            : `${src.model} has no ${spec.name}: set parameters.${spec.name} on it (or a top-level ${spec.name})`,
        );
      }
    }
    checkScalars(method, slice, merged, r, report);
  }
}

/** Cross-parameter checks that can be done now when the values are plain scalars. */
function checkScalars(
  method: MergeMethod,
  slice: RuleSlice,
  merged: readonly RuleSource[],
  r: Recipe,
  report: Report,
): void {
  const top = r.parameters;
  if (method.name === 'linear' && scalarOf('normalize', slice.parameters, top) !== false) {
    const ws = merged.map((s) => scalarOf('weight', s.parameters, slice.parameters, top));
    // As the kernel forms the sum: weights rounded to the compute dtype (0.1 + 0.2 - 0.3 and,
    // in bf16, 1 - 1.001 are 0 there).
    if (
      ws.every((w) => typeof w === 'number') &&
      weightSumVanishes(ws as number[], rounderFor(computeDtypeOf(r)))
    ) {
      report(
        slice.path,
        'the weights sum to 0 (in the compute dtype) with normalize on, which divides by zero; set normalize: false',
      );
    }
  }
  if (method.name === 'della' || method.name === 'della_linear') {
    for (const s of merged) {
      const d = scalarOf('density', s.parameters, slice.parameters, top) ?? 1;
      const e = scalarOf('epsilon', s.parameters, slice.parameters, top) ?? 0.15;
      if (typeof d === 'number' && typeof e === 'number' && d > 0 && d < 1 && (d - e <= 0 || d + e >= 1)) {
        report(s.path, `density ± epsilon must lie inside (0, 1): density ${d}, epsilon ${e}`);
      }
    }
  }
}
