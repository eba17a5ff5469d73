/**
 * A `modules:` recipe planned as mergekit's MergePlanner plans one: each module on its own,
 * its models: as one slice over the module's layers (base appended), its slices' layer ranges
 * counted in the module's layers; the module's tensors outside its layers from the first
 * slice's sources (before) and the last slice's (after), at position 0; each layer at its
 * position in its slice. Every module of the model must be listed: mergekit writes a model
 * without the modules a recipe leaves out.
 */
import type { PlannedTensor } from './plan-types.ts';
import { layerCountKeys, modelModules, moduleNamed, type ModelModule } from './modules.ts';
import {
  planError,
  planTensor,
  tiedName,
  unionNames,
  type ConcreteSlice,
  type ConcreteSource,
  type TensorContext,
} from './plan-tensor.ts';
import type { Recipe } from './recipe.ts';
import { ruleSlices, type RuleSlice } from './validate-rules.ts';

export interface PlannedModules {
  readonly tensors: PlannedTensor[];
  /** The language model's output layer count (the layers that config.json's count means). */
  readonly numLayers: number;
  /** config.json keys to set: a vision tower whose layer count the slices changed. */
  readonly configPatches: readonly { readonly path: readonly string[]; readonly value: number }[];
}

export function planModules(ctx: TensorContext, recipe: Recipe, donor: string): PlannedModules {
  const cache = new Map<string, ReadonlyMap<string, ModelModule>>();
  const modulesOf = (id: string): ReadonlyMap<string, ModelModule> => {
    let m = cache.get(id);
    if (!m) cache.set(id, (m = modelModules(id, ctx.arch(id))));
    return m;
  };
  const have = modulesOf(donor);
  const listed = new Map<string, string>();
  for (const name of Object.keys(recipe.modules!)) {
    const m = moduleNamed(have, name);
    if (!m) {
      throw planError(
        ['modules', name],
        `${donor} has no module ${name}: its modules are ${[...have.keys()].join(', ')}`,
      );
    }
    // Llama 4's vision_model is mergekit's name for what the others call vision_tower.
    const twice = listed.get(m.name);
    if (twice !== undefined) {
      throw planError(
        ['modules', name],
        `${name} and ${twice} are the same module of ${donor} (${m.name}): give it once`,
      );
    }
    listed.set(m.name, name);
  }
  for (const name of have.keys()) {
    if (listed.has(name)) continue;
    throw planError(
      ['modules'],
      `${donor}'s module ${name} is not under modules:, so the merged model would have no ${name} (mergekit writes it without): ` +
        `add ${name} with its models or slices (its modules are ${[...have.keys()].join(', ')})`,
    );
  }
  const rules = ruleSlices(recipe);
  const tensors: PlannedTensor[] = [];
  const configPatches: { path: readonly string[]; value: number }[] = [];
  let numLayers = 0;
  const mainPrefix = ctx.arch(donor).layerPrefix;
  for (const [moduleName, recipeName] of listed) {
    const moduleOf = (id: string, path: RuleSlice['path']): ModelModule => {
      const m = moduleNamed(modulesOf(id), moduleName);
      if (!m) throw planError(path, `${id} has no module ${moduleName} (${donor} has)`);
      return m;
    };
    const slices = concrete(recipe, recipeName, rules, moduleOf);
    const out = planModule(
      ctx,
      slices,
      moduleOf,
      tensors,
      have.get(moduleName)!.stack?.prefix === mainPrefix,
    );
    const inCount = have.get(moduleName)!.stack?.numLayers ?? 0;
    if (have.get(moduleName)!.stack?.prefix === mainPrefix) numLayers = out;
    else if (out !== inCount) {
      const config = ctx.info(donor).config;
      const key = layerCountKeys(moduleName).find(([a, b]) => {
        const sub = config[a!];
        return (
          typeof sub === 'object' && sub !== null && typeof (sub as Record<string, unknown>)[b!] === 'number'
        );
      });
      if (!key) {
        throw planError(
          ['modules', recipeName],
          `the slices give ${moduleName} ${out} layers where ${donor} has ${inCount}, and its config.json has no count of them to change: keep its ${inCount} layers`,
        );
      }
      configPatches.push({ path: key, value: out });
    }
  }
  return { tensors, numLayers, configPatches };
}

/** The module's slices with their sources' first layers and lengths, checked. */
function concrete(
  recipe: Recipe,
  recipeName: string,
  rules: readonly RuleSlice[],
  moduleOf: (id: string, path: RuleSlice['path']) => ModelModule,
): ConcreteSlice[] {
  const def = recipe.modules![recipeName]!;
  return rules
    .filter((r) => r.module === recipeName)
    .map((s, i) => {
      const sources = s.sources.map((src, j): ConcreteSource & { end: number } => {
        const n = moduleOf(src.model, src.path).stack?.numLayers ?? 0;
        const [start, end] = def.slices ? def.slices[i]!.sources[j]!.layer_range : [0, n];
        if (end > n) {
          throw planError(
            [...src.path, 'layer_range'],
            `${src.model}'s ${recipeName} has ${n} layers; layer_range ends at ${end}`,
          );
        }
        return { model: src.model, start, end, parameters: src.parameters, path: src.path };
      });
      const lengths = new Set(sources.map((x) => x.end - x.start));
      if (lengths.size > 1) {
        throw planError(
          s.path,
          `the models' ${recipeName} have different layer counts (${[...lengths].join(', ')}); use slices: to pair layers`,
        );
      }
      return {
        base: s.base,
        parameters: s.parameters,
        ...(s.moduleParameters && { moduleParameters: s.moduleParameters }),
        sources: sources.map(({ end: _end, ...x }) => x),
        length: [...lengths][0]!,
        path: s.path,
      };
    });
}

/** Plans one module's tensors into `tensors`; returns its output layer count. */
function planModule(
  ctx: TensorContext,
  slices: readonly ConcreteSlice[],
  moduleOf: (id: string, path: RuleSlice['path']) => ModelModule,
  tensors: PlannedTensor[],
  isMain: boolean,
): number {
  const { arch, info } = ctx;
  const first = slices[0]!;
  const last = slices[slices.length - 1]!;
  const edge = (slice: ConcreteSlice, which: 'pre' | 'post') => {
    for (const name of unionNames(slice.sources.map((s) => moduleOf(s.model, s.path)[which]))) {
      const inNames = slice.sources.map((s) => tiedName(s.model, name, arch, info));
      tensors.push(planTensor(ctx, slice, name, which, 0, undefined, inNames));
    }
  };
  edge(first, 'pre');
  let outLayer = 0;
  for (const slice of slices) {
    for (let k = 0; k < slice.length; k++) {
      const t = slice.length > 1 ? k / (slice.length - 1) : 1;
      const lead = slice.sources[0]!;
      const leadStack = moduleOf(lead.model, lead.path).stack!;
      for (const suffix of leadStack.layerSuffixes[lead.start + k]!) {
        const inNames = slice.sources.map((s) => {
          const n = `${moduleOf(s.model, s.path).stack!.prefix}${s.start + k}.${suffix}`;
          if (!info(s.model).tensors.has(n)) {
            throw planError(s.path, `tensor ${n} is required but not present in model ${s.model}`);
          }
          return n;
        });
        const name = `${leadStack.prefix}${outLayer}.${suffix}`;
        tensors.push(planTensor(ctx, slice, name, 'layer', t, isMain ? outLayer : undefined, inNames));
      }
      outLayer++;
    }
  }
  edge(last, 'post');
  return outLayer;
}
