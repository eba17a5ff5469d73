/**
 * The plan of a pytorch merge (mergekit-pytorch): every tensor name of the checkpoints, merged
 * from the models that have it, with the method's parameters resolved against its name at
 * t = 0 (there are no layers: a gradient gives its first value, filters still match by name).
 * A tensor missing from some models is an error naming them, unless `tensors` says to merge
 * what is there (`union`) or to leave such tensors out (`intersection`).
 */
import type { ArchInfo, ModelInfo } from '../plan/architecture.ts';
import { compatOf, methodAndModels } from '../plan/build-plan.ts';
import { planError, planTensor, type ConcreteSlice, type TensorContext } from '../plan/plan-tensor.ts';
import type { MergePlan, PlannedTensor } from '../plan/plan-types.ts';
import type { Recipe } from '../plan/recipe.ts';
import { computeDtypeOf } from '../plan/resolve-params.ts';
import { ruleSlices } from '../plan/validate-rules.ts';

export type RawTensorSet = 'all' | 'union' | 'intersection';

export interface RawPlanOptions {
  readonly tensors?: RawTensorSet;
  /** Used when the recipe has no merge_studio.seed. */
  readonly seed?: number;
}

export function buildRawPlan(
  recipe: Recipe,
  models: ReadonlyMap<string, ModelInfo>,
  options: RawPlanOptions = {},
): MergePlan {
  const { method, info } = methodAndModels(recipe, models);
  const warnings = new Set<string>();
  const ctx: TensorContext = {
    recipe,
    method,
    info,
    arch: (): ArchInfo => {
      throw new Error('a pytorch merge has no architecture');
    },
    warnings,
    computeDtype: computeDtypeOf(recipe),
    tokenizer: undefined,
    missingTokens: new Set(),
  };
  const slice = ruleSlices(recipe)[0]!;
  const base = recipe.base_model;
  const sources = slice.sources.map((s) => ({
    model: s.model,
    start: 0,
    parameters: s.parameters,
    path: s.path,
  }));
  const names = [...new Set(sources.flatMap((s) => [...info(s.model).tensors.keys()]))].sort();
  const mode = options.tensors ?? 'all';
  const tensors: PlannedTensor[] = [];
  let skipped = 0;
  for (const name of names) {
    const have = sources.filter((s) => info(s.model).tensors.has(name));
    if (have.length < sources.length) {
      const missing = sources.filter((s) => !have.includes(s)).map((s) => s.model);
      if (mode === 'intersection') {
        skipped++;
        continue;
      }
      if (mode === 'all') {
        throw planError(
          [],
          `tensor ${name} is in ${have.map((s) => s.model).join(', ')} but not in ${missing.join(', ')}: ` +
            'merge only the tensors every model has (--tensor-intersection) or each from the models that have it (--tensor-union)',
        );
      }
      if (base !== undefined && method.base === 'required' && missing.includes(base)) {
        throw planError(
          ['base_model'],
          `tensor ${name} is not in the base model ${base}, which ${method.name} needs for every tensor: use --tensor-intersection`,
        );
      }
    }
    const shapes = new Set(have.map((s) => info(s.model).tensors.get(name)!.shape.join('x')));
    if (shapes.size > 1) {
      throw planError(
        [],
        `tensor ${name} has different shapes: ${have.map((s) => `${s.model} [${info(s.model).tensors.get(name)!.shape.join(', ')}]`).join(', ')}`,
      );
    }
    const part: ConcreteSlice = { base, parameters: undefined, sources: have, length: 1, path: slice.path };
    tensors.push(
      planTensor(
        ctx,
        part,
        name,
        'pre',
        0,
        undefined,
        have.map(() => name),
      ),
    );
  }
  if (skipped > 0)
    warnings.add(`${skipped} tensor(s) not in every model were left out (--tensor-intersection)`);
  if (tensors.length === 0) throw planError(['models'], 'the models have no tensor in common');
  return {
    recipe,
    method: method.name,
    tensors,
    computeDtype: ctx.computeDtype,
    numLayers: 0,
    donor: sources[0]!.model,
    config: {},
    warnings: [...warnings],
    seed: recipe.merge_studio?.seed ?? options.seed ?? 0,
    compat: compatOf(recipe),
  };
}
