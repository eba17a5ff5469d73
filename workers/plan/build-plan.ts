/**
 * Recipe + model tables -> the merge plan, as mergekit's MergePlanner does it: embeddings from
 * the first slice's sources, each output slice's layers (source layers paired by offset, so
 * layers can be merged across indices), then the final norm and head from the last slice's
 * sources. Every parameter is resolved here, per tensor and per model, and every problem that
 * can be found without tensor data is raised here.
 */
import { dtypeFromTorchName, isWritableDType, type WritableDType } from '../io/dtypes.ts';
import { getMethod } from '../methods/registry.ts';
import { MERGEKIT_COMPAT, type MergeMethod } from '../methods/types.ts';
import {
  inferArchitecture,
  isEmbedName,
  layerTensorName,
  type ArchInfo,
  type ModelInfo,
} from './architecture.ts';
import { outputConfig } from './output-config.ts';
import type { MergePlan, PlannedInput, PlannedTensor, TensorVocab } from './plan-types.ts';
import { RecipeError, type YamlPath } from './problems.ts';
import type { ParameterMap, Recipe } from './recipe.ts';
import { cutToTokenizer, rectify } from './rectify.ts';
import { computeDtypeOf, resolveParams } from './resolve-params.ts';
import { embeddingDefaults, planTokenizer, type TokenizerPlan } from './tokenizer-plan.ts';
import { planTokenizerFiles } from './tokenizer-files-plan.ts';
import { ruleSlices } from './validate-rules.ts';

export interface PlanOptions {
  /** Used when the recipe has no merge_studio.seed. */
  readonly seed?: number;
}

interface ConcreteSource {
  readonly model: string;
  readonly start: number;
  readonly parameters: ParameterMap | undefined;
  readonly path: YamlPath;
}

interface ConcreteSlice {
  readonly base: string | undefined;
  readonly parameters: ParameterMap | undefined;
  readonly sources: readonly ConcreteSource[];
  readonly length: number;
  readonly path: YamlPath;
}

export function buildPlan(
  recipe: Recipe,
  models: ReadonlyMap<string, ModelInfo>,
  options: PlanOptions = {},
): MergePlan {
  const method = getMethod(recipe.merge_method);
  if (!method)
    throw new RecipeError([{ path: ['merge_method'], message: 'unknown method', severity: 'error' }]);
  const info = (id: string): ModelInfo => {
    const m = models.get(id);
    if (!m) throw new Error(`model ${id} was not loaded`);
    return m;
  };
  const archs = new Map<string, ArchInfo>();
  const arch = (id: string): ArchInfo => {
    let a = archs.get(id);
    if (!a) archs.set(id, (a = inferArchitecture(info(id))));
    return a;
  };
  const slices = concreteSlices(recipe, arch);
  const donor = recipe.base_model ?? slices[0]!.sources[0]!.model;
  const warnings = new Set<string>();
  const tensors: PlannedTensor[] = [];
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
  tensors.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const fixes = recipe.merge_studio?.fix ?? [];
  if (ctx.missingTokens.size > 0) {
    warnings.add(
      `${ctx.missingTokens.size} token(s) of the output tokenizer are in no model (the first: id ${[...ctx.missingTokens].reduce((a, b) => Math.min(a, b))}); their embedding rows are zeros, as in mergekit`,
    );
  }
  const config = outputConfig(info(donor).config, recipe, outLayer, tensors, warnings, tokenizer?.rows);
  const tokenizerFiles = planTokenizerFiles(recipe, tokenizer, donor, models, warnings);
  return {
    recipe,
    method: method.name,
    tensors,
    computeDtype: ctx.computeDtype,
    numLayers: outLayer,
    donor,
    config,
    warnings: [...warnings],
    seed: recipe.merge_studio?.seed ?? options.seed ?? 0,
    compat: {
      breadcrumbsEmptySlice: !fixes.includes('breadcrumbs_empty_slice'),
      consensus: recipe.merge_studio?.consensus ?? MERGEKIT_COMPAT.consensus,
      rescaleNorm: recipe.merge_studio?.rescale_norm ?? MERGEKIT_COMPAT.rescaleNorm,
      topkScope: recipe.merge_studio?.topk_scope ?? MERGEKIT_COMPAT.topkScope,
    },
    ...(tokenizerFiles && { tokenizerFiles }),
  };
}

function planError(path: YamlPath, message: string): RecipeError {
  return new RecipeError([{ path, message, severity: 'error' }]);
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
          'slices: pick layers of one stack only; merge it with models: (mergekit needs its modules: syntax here, which is not supported yet)',
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

function unionNames(lists: readonly (readonly string[])[]): string[] {
  return [...new Set(lists.flat())].sort();
}

/** The name to read for `name` in `model`: itself, or the embeddings a tied head shares. */
function tiedName(
  model: string,
  name: string,
  arch: (id: string) => ArchInfo,
  info: (id: string) => ModelInfo,
): string {
  if (info(model).tensors.has(name)) return name;
  if (/(^|\.)(lm_head|embed_out)\.weight$/.test(name)) {
    const embed = arch(model).pre.find((p) => isEmbedName(p));
    if (embed) return embed;
  }
  throw planError([], `tensor ${name} is required but not present in model ${model}`);
}

interface TensorContext {
  readonly recipe: Recipe;
  readonly method: MergeMethod;
  readonly info: (id: string) => ModelInfo;
  readonly arch: (id: string) => ArchInfo;
  readonly warnings: Set<string>;
  readonly computeDtype: WritableDType;
  /** tokenizer_source / tokenizer: the embeddings' rows for the output tokenizer (tokenizer-plan.ts). */
  readonly tokenizer: TokenizerPlan | undefined;
  /** Rows for tokens no model has, over every tensor (for one warning). */
  readonly missingTokens: Set<number>;
}

function strip({ src: _src, ...rest }: PlannedInput & { src?: ConcreteSource }): PlannedInput {
  return rest;
}

function planTensor(
  ctx: TensorContext,
  slice: ConcreteSlice,
  name: string,
  section: PlannedTensor['section'],
  t: number,
  layer: number | undefined,
  inNames: readonly string[],
): PlannedTensor {
  const { method, recipe } = ctx;
  const usesBase = method.base !== 'input';
  const isEmbed = isEmbedName(name);
  const all = slice.sources.map((s, j): PlannedInput & { src: ConcreteSource } => {
    const meta = ctx.info(s.model).tensors.get(inNames[j]!)!;
    return { model: s.model, tensor: inNames[j]!, dtype: meta.dtype, shape: meta.shape, src: s };
  });
  const vocab = isEmbed && ctx.tokenizer ? forTokenizer(ctx, name, all, slice.base) : undefined;
  if (vocab) all.splice(0, all.length, ...vocab.inputs);
  const baseIdx = usesBase && slice.base !== undefined ? all.findIndex((x) => x.model === slice.base) : -1;
  const base = baseIdx >= 0 ? all[baseIdx] : undefined;
  let inputs = all.filter((_, j) => j !== baseIdx);
  const fixed = rectify(method, name, isEmbed, base, inputs, ctx.warnings);
  inputs = fixed.inputs as typeof inputs;
  const params = resolveParams(method, recipe, slice, name, t, inputs, fixed.numel, ctx.computeDtype);
  const weights = studioWeights(recipe, method, inputs);
  const ref = base ?? inputs[0]!;
  const outDtype = recipe.out_dtype ?? recipe.dtype;
  const dtype: WritableDType = outDtype
    ? dtypeFromTorchName(outDtype)!
    : isWritableDType(ref.dtype)
      ? ref.dtype
      : 'F32';
  return {
    name,
    shape: fixed.shape,
    dtype,
    section,
    ...(layer !== undefined && { layer }),
    t,
    ...(fixed.base && { base: strip(fixed.base) }),
    inputs: inputs.map(strip),
    global: params.global,
    perModel: params.perModel,
    origins: params.origins,
    ...(weights && { weights }),
    elementwise: method.elementwise(params.global, params.perModel) && !fixed.cropped,
    isEmbed,
    ...(vocab?.vocab && { vocab: vocab.vocab }),
  };
}

/**
 * merge_studio.weights of a tensor's inputs (a model not named: 1) for the methods that take
 * them; undefined when the method takes none or they are all equal, which is the unweighted
 * merge (so equal weights give mergekit's bytes).
 */
function studioWeights(
  recipe: Recipe,
  method: MergeMethod,
  inputs: readonly PlannedInput[],
): number[] | undefined {
  const map = recipe.merge_studio?.weights;
  if (!map || !method.studioOptions?.includes('weights')) return undefined;
  const w = inputs.map((x) => (Object.hasOwn(map, x.model) ? map[x.model]! : 1));
  return w.every((v) => v === w[0]) ? undefined : w;
}

/**
 * An embedding-like tensor's inputs for the output tokenizer: cut to its length when every
 * model has every token at its own id, else rebuilt row by row (PlannedInput.reindex).
 */
function forTokenizer<T extends PlannedInput>(
  ctx: TensorContext,
  name: string,
  all: readonly T[],
  base: string | undefined,
): { inputs: T[]; vocab?: TensorVocab } {
  const plan = ctx.tokenizer!;
  const twoD = all.every((x) => x.shape.length === 2);
  if (!twoD) return { inputs: [...all] };
  if (plan.identity) return { inputs: all.map((x) => cutToTokenizer(name, x, plan.size)) };
  const cols = new Set(all.map((x) => x.shape[1]));
  if (cols.size > 1) {
    throw planError(
      [],
      `${name}: the models' embeddings differ in width (${all.map((x) => `${x.model} ${x.shape[1]}`).join(', ')}), so their rows cannot be merged token by token (mergekit: "Embedding sizes must match")`,
    );
  }
  const models = all.map((x) => x.model);
  const defaults = embeddingDefaults(plan, models, base, ctx.missingTokens);
  const stored = new Map(all.map((x) => [x.model, x.shape[0]!]));
  const check = (model: string, row: number): void => {
    const have = stored.get(model);
    if (have === undefined) {
      throw planError(
        ['tokenizer', 'tokens'],
        `${name}: a token's row is to come from ${model}, which this tensor is not merged from (${models.join(', ')})`,
      );
    }
    if (row >= have) {
      throw planError(
        [],
        `${name}: ${model} has ${have} rows, but its tokenizer puts a token at row ${row} (mergekit fails on it); use a model whose embeddings cover its tokenizer`,
      );
    }
  };
  for (const x of all) {
    const own = plan.ownRows.get(x.model)!;
    let top = -1;
    for (const r of own) top = Math.max(top, r);
    if (top >= 0) check(x.model, top);
  }
  for (const d of defaults) for (const f of d.from) check(f.model, f.row);
  return {
    inputs: all.map((x) => ({ ...x, reindex: { rows: plan.ownRows.get(x.model)!, padded: plan.rows } })),
    vocab: { size: plan.size, defaults },
  };
}
