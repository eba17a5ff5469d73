/**
 * Every parameter of a method resolved for one tensor: global parameters against the output
 * tensor name, per-model parameters against each input's own tensor name (they differ in
 * frankenmerges), all at the layer's position t; then the method's cross-parameter checks.
 */
import { dtypeFromTorchName, rounderFor, type WritableDType } from '../io/dtypes.ts';
import type { MergeMethod, ParamValue, ResolvedParams } from '../methods/types.ts';
import { lookupParameter, type ValueOrigin } from './parameters.ts';
import type { PlannedInput } from './plan-types.ts';
import { RecipeError, type YamlPath } from './problems.ts';
import type { ParameterMap, Recipe } from './recipe.ts';

interface SliceLike {
  readonly parameters: ParameterMap | undefined;
  /** The module's parameters in a `modules:` recipe. */
  readonly moduleParameters?: ParameterMap | undefined;
  readonly path: YamlPath;
}

interface SourceLike {
  readonly src: { readonly parameters: ParameterMap | undefined; readonly path: YamlPath };
}

export interface ResolvedTensorParams {
  readonly global: ResolvedParams;
  readonly perModel: readonly ResolvedParams[];
  readonly origins: {
    readonly global: Readonly<Record<string, ValueOrigin>>;
    readonly perModel: readonly Readonly<Record<string, ValueOrigin>>[];
  };
}

function fail(path: YamlPath, message: string): never {
  throw new RecipeError([{ path, message, severity: 'error' }]);
}

/** The dtype the kernels compute in: `dtype`, or float32 when unset or forced by merge_studio. */
export function computeDtypeOf(recipe: Recipe): WritableDType {
  if (recipe.merge_studio?.compute_dtype === 'float32' || !recipe.dtype) return 'F32';
  return dtypeFromTorchName(recipe.dtype) ?? 'F32';
}

export function resolveParams(
  method: MergeMethod,
  recipe: Recipe,
  slice: SliceLike,
  name: string,
  t: number,
  inputs: readonly (PlannedInput & SourceLike)[],
  numel: number,
  computeDtype: WritableDType = 'F32',
): ResolvedTensorParams {
  const global: Record<string, ParamValue | undefined> = {};
  const gOrigin: Record<string, ValueOrigin> = {};
  for (const spec of method.params.filter((p) => p.scope === 'global')) {
    const r = lookupParameter(
      spec.name,
      { slice: slice.parameters, module: slice.moduleParameters, top: recipe.parameters },
      name,
      t,
    );
    if (r) {
      global[spec.name] = r.value as ParamValue;
      gOrigin[spec.name] = r.origin;
    } else if (spec.required) {
      fail(
        ['parameters', spec.name],
        `${method.name} needs ${spec.name} for ${name}, and no value or filter matches it`,
      );
    } else {
      global[spec.name] = spec.default;
      gOrigin[spec.name] = { level: 'default' };
    }
  }
  const perModel = inputs.map((x) => {
    const values: Record<string, ParamValue | undefined> = {};
    const origins: Record<string, ValueOrigin> = {};
    for (const spec of method.params.filter((p) => p.scope === 'model')) {
      const levels = {
        source: x.src.parameters,
        slice: slice.parameters,
        module: slice.moduleParameters,
        top: recipe.parameters,
      };
      const r = lookupParameter(spec.name, levels, x.tensor, t);
      if (r) {
        values[spec.name] = r.value as ParamValue;
        origins[spec.name] = r.origin;
      } else if (spec.required) {
        fail(x.src.path, `${x.model} has no ${spec.name} for ${x.tensor}: no value or filter matches it`);
      } else {
        values[spec.name] = spec.default;
        origins[spec.name] = { level: 'default' };
      }
    }
    return { values, origins };
  });
  const pm = perModel.map((p) => p.values);
  const problem = method.check?.(global, pm, numel, rounderFor(computeDtype));
  if (problem) fail(slice.path, `${name}: ${problem}`);
  return { global, perModel: pm, origins: { global: gOrigin, perModel: perModel.map((p) => p.origins) } };
}
