/**
 * Recipe + model tables -> the merge plan, as mergekit's MergePlanner does it: embeddings from
 * the first slice's sources, each output slice's layers (source layers paired by offset, so
 * layers can be merged across indices), then the final norm and head from the last slice's
 * sources. Every parameter is resolved here, per tensor and per model, and every problem that
 * can be found without tensor data is raised here.
 */
import { getMethod } from '../methods/registry.ts';
import { MERGEKIT_COMPAT, type Compat, type MergeMethod } from '../methods/types.ts';
import { inferArchitecture, layerTensorName, type ArchInfo, type ModelInfo } from './architecture.ts';
import { outputConfig } from './output-config.ts';
import type { MergePlan, PlannedTensor } from './plan-types.ts';
import {
  planError,
  planTensor,
  tiedName,
  unionNames,
  type ConcreteSlice,
  type ConcreteSource,
  type TensorContext,
} from './plan-tensor.ts';
import { RecipeError } from './problems.ts';
import type { Recipe } from './recipe.ts';
import { computeDtypeOf } from './resolve-params.ts';
import { planTokenizer } from './tokenizer-plan.ts';
import { planTokenizerFiles } from './tokenizer-files-plan.ts';
import { planModules, type PlannedModules } from './plan-modules.ts';
import { ruleSlices } from './validate-rules.ts';

export interface PlanOptions {
  /** Used when the recipe has no merge_studio.seed. */
  readonly seed?: number;
}

export function buildPlan(
  recipe: Recipe,
  models: ReadonlyMap<string, ModelInfo>,
  options: PlanOptions = {},
): MergePlan {
  const { method, info } = methodAndModels(recipe, models);
  const archs = new Map<string, ArchInfo>();
  const arch = (id: string): ArchInfo => {
    let a = archs.get(id);
    if (!a) archs.set(id, (a = inferArchitecture(info(id))));
    return a;
  };
  const warnings = new Set<string>();
  const tokenizer = planTokenizer(recipe, models, warnings);
  const ctx: TensorContext = {
    recipe,
    method,
    info,
    arch,
    warnings,
    computeDtype: computeDtypeOf(recipe),
    tokenizer,
    missingTokens: new Set(),
  };
  let planned: { tensors: PlannedTensor[]; numLayers: number; donor: string };
  let patches: PlannedModules['configPatches'] = [];
  if (recipe.modules) {
    const donor = recipe.base_model ?? ruleSlices(recipe)[0]!.sources[0]!.model;
    const m = planModules(ctx, recipe, donor);
    planned = { tensors: m.tensors, numLayers: m.numLayers, donor };
    patches = m.configPatches;
  } else {
    planned = planSlices(ctx, concreteSlices(recipe, arch), recipe.base_model);
  }
  const { tensors, numLayers, donor } = planned;
  tensors.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (ctx.missingTokens.size > 0) {
    warnings.add(
      `${ctx.missingTokens.size} token(s) of the output tokenizer are in no model (the first: id ${[...ctx.missingTokens].reduce((a, b) => Math.min(a, b))}); their embedding rows are zeros, as in mergekit`,
    );
  }
  const config = outputConfig(
    info(donor).config,
    recipe,
    numLayers,
    tensors,
    warnings,
    tokenizer?.rows,
    arch(donor).numLayers,
  );
  for (const { path, value } of patches) (config[path[0]!] as Record<string, unknown>)[path[1]!] = value;
  const tokenizerFiles = planTokenizerFiles(recipe, tokenizer, donor, models, warnings);
  return {
    recipe,
    method: method.name,
    tensors,
    computeDtype: ctx.computeDtype,
    numLayers,
    donor,
    config,
    warnings: [...warnings],
    seed: recipe.merge_studio?.seed ?? options.seed ?? 0,
    compat: compatOf(recipe),
    ...(tokenizerFiles && { tokenizerFiles }),
  };
}

/** The recipe's method, and the models' tables by id (a plan of a model not loaded is a bug). */
export function methodAndModels(
  recipe: Recipe,
  models: ReadonlyMap<string, ModelInfo>,
): { method: MergeMethod; info: (id: string) => ModelInfo } {
  const method = getMethod(recipe.merge_method);
  if (!method)
    throw new RecipeError([{ path: ['merge_method'], message: 'unknown method', severity: 'error' }]);
  const info = (id: string): ModelInfo => {
    const m = models.get(id);
    if (!m) throw new Error(`model ${id} was not loaded`);
    return m;
  };
  return { method, info };
}

/** mergekit's quirks, or the merge_studio block's fixes and options. */
export function compatOf(recipe: Recipe): Compat {
  const fixes = recipe.merge_studio?.fix ?? [];
  return {
    breadcrumbsEmptySlice: !fixes.includes('breadcrumbs_empty_slice'),
    consensus: recipe.merge_studio?.consensus ?? MERGEKIT_COMPAT.consensus,
    rescaleNorm: recipe.merge_studio?.rescale_norm ?? MERGEKIT_COMPAT.rescaleNorm,
    topkScope: recipe.merge_studio?.topk_scope ?? MERGEKIT_COMPAT.topkScope,
  };
}

/** A models: or slices: recipe: embeddings, every slice's layers, then norm and head. */
function planSlices(
  ctx: TensorContext,
  slices: readonly ConcreteSlice[],
  base: string | undefined,
): { tensors: PlannedTensor[]; numLayers: number; donor: string } {
  const { arch, info } = ctx;
  const donor = base ?? slices[0]!.sources[0]!.model;
  const tensors: PlannedTensor[] = [];

  const first = slices[0]!;
  const last = slices[slices.length - 1]!;
  for (const name of unionNames(first.sources.map((s) => arch(s.model).pre))) {
    tensors.push(
      planTensor(
        ctx,
        first,
        name,
        'pre',
        0,
        undefined,
        first.sources.map((s) => tiedName(s.model, name, arch, info)),
      ),
    );
  }
  let outLayer = 0;
  for (const slice of slices) {
    for (let k = 0; k < slice.length; k++) {
      const t = slice.length > 1 ? k / (slice.length - 1) : 1;
      const lead = slice.sources[0]!;
      for (const suffix of arch(lead.model).layerSuffixes[lead.start + k]!) {
        const outName = layerTensorName(arch(lead.model), outLayer, suffix);
        const inNames = slice.sources.map((s) => {
          const n = layerTensorName(arch(s.model), s.start + k, suffix);
          if (!info(s.model).tensors.has(n)) {
            throw planError(
              s.path,
              `tensor ${n} is required but not present in model ${s.model} (is it the same architecture?)`,
            );
          }
          return n;
        });
        tensors.push(planTensor(ctx, slice, outName, 'layer', t, outLayer, inNames));
      }
      outLayer++;
    }
  }
  // The other stacks of a multi-module model (a vision tower), each layer with its position in
  // its own stack, as mergekit plans each module of `models:` (concreteSlices allows no slices).
  for (const [i, stack] of arch(first.sources[0]!.model).stacks.entries()) {
    if (i === 0) continue;
    for (let k = 0; k < stack.numLayers; k++) {
      const t = stack.numLayers > 1 ? k / (stack.numLayers - 1) : 1;
      for (const suffix of stack.layerSuffixes[k]!) {
        const name = `${stack.prefix}${k}.${suffix}`;
        for (const s of first.sources) {
          if (!info(s.model).tensors.has(name)) {
            throw planError(s.path, `tensor ${name} is required but not present in model ${s.model}`);
          }
        }
        tensors.push(
          planTensor(
            ctx,
            first,
            name,
            'layer',
            t,
            undefined,
            first.sources.map(() => name),
          ),
        );
      }
    }
  }
  for (const name of unionNames(last.sources.map((s) => arch(s.model).post))) {
    tensors.push(
      planTensor(
        ctx,
        last,
        name,
        'post',
        0,
        undefined,
        last.sources.map((s) => tiedName(s.model, name, arch, info)),
      ),
    );
  }
  return { tensors, numLayers: outLayer, donor };
}

/** models: as one slice over every layer (base appended when not listed); layer ranges checked. */
function concreteSlices(recipe: Recipe, arch: (id: string) => ArchInfo): ConcreteSlice[] {
  const rule = ruleSlices(recipe);
  checkStacks(recipe, rule, arch);
  return rule.map((s, i) => {
    const ranges = recipe.slices
      ? recipe.slices[i]!.sources.map((src) => src.layer_range)
      : s.sources.map((src) => [0, arch(src.model).numLayers] as const);
    const sources = s.sources.map((src, j): ConcreteSource => {
      const [start, end] = ranges[j]!;
      const n = arch(src.model).numLayers;
      if (end > n)
        throw planError(
          [...src.path, 'layer_range'],
          `${src.model} has ${n} layers; layer_range ends at ${end}`,
        );
      return { model: src.model, start, parameters: src.parameters, path: src.path };
    });
    const lengths = new Set(ranges.map(([a, b]) => b - a));
    if (lengths.size > 1) {
      throw planError(
        s.path,
        `the models have different layer counts (${[...lengths].join(', ')}); use slices: to pair layers`,
      );
    }
    return { base: s.base, parameters: s.parameters, sources, length: [...lengths][0]!, path: s.path };
  });
}

/**
 * Multi-module models (more than one layer stack): merged with `models:`, every input with the
 * same stacks. mergekit, too, needs its `modules:` syntax (not supported here) for slices.
 */
function checkStacks(
  recipe: Recipe,
  rule: ReturnType<typeof ruleSlices>,
  arch: (id: string) => ArchInfo,
): void {
  const shape = (id: string): string =>
    arch(id)
      .stacks.map((s) => `${s.prefix} ${s.numLayers}`)
      .join(', ');
  for (const slice of rule) {
    const multi = slice.sources.find((s) => arch(s.model).stacks.length > 1);
    if (!multi) continue;
    if (recipe.slices) {
      throw planError(
        multi.path,
        `${multi.model} has several layer stacks (${shape(multi.model)}): a vision-language or other multi-module model. ` +
          'slices: pick layers of one stack only; merge it with models:, or give each module its own slices under modules: (as mergekit needs)',
      );
    }
    for (const src of slice.sources) {
      if (shape(src.model) !== shape(multi.model)) {
        throw planError(
          src.path,
          `${src.model}'s layer stacks (${shape(src.model)}) differ from ${multi.model}'s (${shape(multi.model)}): the models must have the same architecture`,
        );
      }
    }
  }
}
