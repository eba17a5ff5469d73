/**
 * mergekit-legacy: the command line of mergekit's first scripts (`--merge M --density D
 * --weight W --method ties --base-model B`) as a recipe (mergekit/scripts/legacy.py).
 *
 * As there: the base model is appended to the models when not merged itself; one density or
 * weight applies to every model (the base too), else they go to the models in order; SLERP
 * takes exactly one weight, as `t`; `normalize` is on unless --no-normalize.
 * Where we differ:
 * - --naive-count selects sign election by count (`merge_studio: {consensus: count}`). mergekit
 *   passes it as a `consensus_method` parameter that no method reads, so it changes nothing.
 * - Without --weight, every model gets weight 1, as mergekit's help says (its code sets none, so
 *   ties and the other methods that require a weight fail there).
 * - More densities or weights than models is an error (mergekit: IndexError), and so is a
 *   count that fits neither every model nor the merged ones.
 */
import { getMethod } from '../methods/registry.ts';
import type { InputModel, ParameterMap, Recipe } from '../plan/recipe.ts';
import { GeneratorError } from './errors.ts';

export interface LegacyOptions {
  readonly merge: readonly string[];
  readonly density?: readonly number[];
  readonly weight?: readonly number[];
  readonly method?: string;
  readonly baseModel?: string | undefined;
  /** Default true. */
  readonly normalize?: boolean;
  readonly int8Mask?: boolean;
  readonly bf16?: boolean;
  readonly naiveCount?: boolean;
}

/** One value per model, from one value (all) or one per model (the first ones). */
function perModel(name: string, values: readonly number[], models: number, merged: number): number[] {
  if (values.length === 1) return new Array<number>(models).fill(values[0]!);
  if (values.length > models || (values.length !== models && values.length !== merged)) {
    throw new GeneratorError(
      `${values.length} values of --${name} for ${merged} merged model${merged === 1 ? '' : 's'}${
        models > merged ? ' and the base' : ''
      }: give one for all, or one per model in order`,
    );
  }
  return [...values];
}

export function legacyRecipe(o: LegacyOptions): Recipe {
  if (o.merge.length === 0)
    throw new GeneratorError('give the models to merge with --merge (once per model)');
  const method = o.method ?? 'ties';
  const ids = [...o.merge];
  if (o.baseModel && !ids.includes(o.baseModel)) ids.push(o.baseModel);
  const params: Record<string, number>[] = ids.map(() => ({}));
  const set = (name: string, values: readonly number[]) =>
    perModel(name, values, ids.length, o.merge.length).forEach((v, i) => (params[i]![name] = v));
  if (o.density && o.density.length > 0) set('density', o.density);
  const top: Record<string, number | boolean> = {};
  const weights = o.weight ?? [];
  if (method === 'slerp') {
    if (weights.length !== 1)
      throw new GeneratorError(`slerp takes exactly one --weight (its t), not ${weights.length}`);
    top['t'] = weights[0]!;
  } else if (weights.length > 0) {
    set('weight', weights);
  } else if (
    getMethod(method)?.params.some((p) => p.name === 'weight' && p.scope === 'model' && p.required)
  ) {
    // "default 1.0 for all models if not specified", says mergekit's help; its code sets none,
    // and the methods that require a weight then fail.
    set('weight', [1]);
  }
  // mergekit sets normalize for every method and the ones without it ignore it; ours refuse
  // parameters a method does not take, so it is set only where it means something.
  const takes = (name: string) =>
    getMethod(method)?.params.some((p) => p.name === name && p.scope === 'global');
  if (o.int8Mask) {
    if (!takes('int8_mask')) throw new GeneratorError(`--int8-mask: ${method} has no int8_mask parameter`);
    top['int8_mask'] = true;
  }
  if (takes('normalize')) top['normalize'] = o.normalize ?? true;
  else if (o.normalize === false)
    throw new GeneratorError(`--no-normalize: ${method} has no normalize parameter`);
  const models: InputModel[] = ids.map((model, i) =>
    Object.keys(params[i]!).length > 0 ? { model, parameters: params[i] as ParameterMap } : { model },
  );
  return {
    merge_method: method,
    ...(o.baseModel && { base_model: o.baseModel }),
    models,
    ...(Object.keys(top).length > 0 && { parameters: top }),
    ...(o.bf16 && { dtype: 'bfloat16' as const }),
    ...(o.naiveCount && { merge_studio: { consensus: 'count' as const } }),
  };
}
