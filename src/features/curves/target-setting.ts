/**
 * Which ParameterSetting the curve editor edits for a target, and what applies where it sets
 * nothing, following the planner's precedence (a model's own value, then the top level, then
 * the method's default). Targets that cannot be curves (a switch, a parameter the method lost,
 * a model no longer in the merge) get a sentence instead.
 */
import type { MergeMethod, ParamSpec } from '../../../workers/methods/types.ts';
import type { ParameterSetting, Recipe } from '../../../workers/plan/recipe.ts';
import { limitsOf } from './curve-model.ts';
import type { CurveTargetRef } from './tensor-groups.ts';

export interface TargetSetting {
  readonly spec: ParamSpec;
  /** The value set at the edited level, if any. */
  readonly own: ParameterSetting | undefined;
  /** What tensors get when this level sets nothing for them (next level), if anything. */
  readonly inherited: ParameterSetting | undefined;
  /** The edited level, in words. */
  readonly where: string;
  /** Where the editor starts: own, else inherited, else the default, else mid-range. */
  readonly start: ParameterSetting;
  /** What tensors matched by no curve get, in words. */
  readonly inheritedText: string;
}

export function targetSetting(
  recipe: Recipe,
  method: MergeMethod,
  target: CurveTargetRef,
): TargetSetting | { readonly problem: string } {
  const spec = method.params.find((p) => p.name === target.name);
  if (!spec) return { problem: `${method.prettyName} has no parameter ${target.name}.` };
  if (spec.type !== 'number')
    return { problem: `${target.name} is a switch: it is on or off, with no per-layer curve.` };
  let own: ParameterSetting | undefined;
  let inherited: ParameterSetting | undefined;
  let where: string;
  if (target.model === undefined) {
    own = recipe.parameters?.[target.name];
    where = `parameters.${target.name} at the top level (every model${recipe.slices ? ', every slice' : ''})`;
  } else {
    if (recipe.slices) {
      return {
        problem: `This recipe uses slices: ${target.name} of ${target.model} is set on each slice’s sources, in the slices editor or the YAML.`,
      };
    }
    const m = recipe.models?.find((x) => x.model === target.model);
    if (!m) return { problem: `${target.model} is no longer in the merge.` };
    own = m.parameters?.[target.name];
    inherited = recipe.parameters?.[target.name];
    where = `${target.name} of ${target.model}`;
  }
  const l = limitsOf(spec);
  const fallback = typeof spec.default === 'number' ? spec.default : undefined;
  const start = own ?? inherited ?? fallback ?? (l.low + l.high) / 2;
  const inheritedText =
    inherited !== undefined
      ? `the top-level ${target.name}`
      : fallback !== undefined
        ? `the default, ${fallback}`
        : spec.required
          ? 'no value (an error: add a curve for other tensors)'
          : 'no value';
  return { spec, own, inherited, where, start, inheritedText };
}

/** The model whose layer count the curve is drawn over: the base, else the first one named. */
export function layerModel(recipe: Recipe): string | undefined {
  return recipe.base_model ?? recipe.models?.[0]?.model ?? recipe.slices?.[0]?.sources[0]?.model;
}
