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
  /** Written as models: (the base merged as one more input where the method has no base). */
  readonly fromModels: boolean;
  /** The module of a `modules:` recipe it belongs to, and that module's parameters. */
  readonly module?: string;
  readonly moduleParameters?: ParameterMap;
}

/**
 * models: becomes one slice, with the base appended when not listed (as mergekit does); a
 * `modules:` recipe gives each module's slices (its models: as one slice, the same way).
 */
export function ruleSlices(r: Recipe): RuleSlice[] {
  if (r.modules) {
    return Object.entries(r.modules).flatMap(([name, m]) =>
      slicesOf(r.base_model, m.models, m.slices, ['modules', name]).map((s) => ({
        ...s,
        module: name,
        ...(m.parameters && { moduleParameters: m.parameters }),
      })),
    );
  }
  return slicesOf(r.base_model, r.models, r.slices, []);
}

function slicesOf(
  base: string | undefined,
  models: Recipe['models'],
  slices: Recipe['slices'],
  at: YamlPath,
): RuleSlice[] {
  if (models) {
    const sources: RuleSource[] = models.map((m, i) => ({
      model: m.model,
      parameters: m.parameters,
      path: [...at, 'models', i],
    }));
    if (base && !models.some((m) => m.model === base)) {
      sources.push({ model: base, parameters: undefined, path: ['base_model'], implicit: true });
    }
    return [{ path: [...at, 'models'], base, parameters: undefined, sources, fromModels: true }];
  }
  return (slices ?? []).map((s, i) => ({
    path: [...at, 'slices', i],
    base: s.base_model ?? base,
    parameters: s.parameters,
    fromModels: false,
    sources: s.sources.map((src, j) => ({
      model: src.model,
      parameters: src.parameters,
      path: [...at, 'slices', i, 'sources', j],
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
    if (usesBase && slice.base && !slice.fromModels && !slice.sources.some((s) => s.model === slice.base)) {
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
    if (method.base === 'input' && slice.base && method.name !== 'passthrough' && slice.fromModels) {
      report(['base_model'], `${method.name} has no base: base_model is merged as one more input`, 'warning');
    }
    for (const spec of method.params) {
      if (!spec.required) continue;
      if (spec.scope === 'global') {
        if (!has(spec.name, slice.parameters, slice.moduleParameters, r.parameters)) {
          report(['parameters'], `${method.name} needs ${spec.name}: ${spec.description}`);
        }
        continue;
      }
      for (const src of merged) {
        if (has(spec.name, src.parameters, slice.parameters, slice.moduleParameters, r.parameters)) continue;
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
  const mod = slice.moduleParameters;
  if (method.name === 'linear' && scalarOf('normalize', slice.parameters, mod, top) !== false) {
    const ws = merged.map((s) => scalarOf('weight', s.parameters, slice.parameters, mod, top));
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
      const d = scalarOf('density', s.parameters, slice.parameters, mod, top) ?? 1;
      const e = scalarOf('epsilon', s.parameters, slice.parameters, mod, top) ?? 0.15;
      if (typeof d === 'number' && typeof e === 'number' && d > 0 && d < 1 && (d - e <= 0 || d + e >= 1)) {
        report(s.path, `density ± epsilon must lie inside (0, 1): density ${d}, epsilon ${e}`);
      }
    }
  }
}
