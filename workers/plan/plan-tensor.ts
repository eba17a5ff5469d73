/**
 * One output tensor planned: its inputs (a tied head read from the embeddings, rows gathered
 * for the output tokenizer), shapes rectified, every parameter resolved, the output dtype.
 * Shared by the planning of models:/slices: recipes (build-plan.ts) and of modules:
 * (plan-modules.ts).
 */
import { dtypeFromTorchName, isWritableDType, type WritableDType } from '../io/dtypes.ts';
import type { MergeMethod } from '../methods/types.ts';
import { isEmbedName, type ArchInfo, type ModelInfo } from './architecture.ts';
import type { PlannedInput, PlannedTensor, TensorVocab } from './plan-types.ts';
import { RecipeError, type YamlPath } from './problems.ts';
import type { ParameterMap, Recipe } from './recipe.ts';
import { cutToTokenizer, rectify } from './rectify.ts';
import { resolveParams } from './resolve-params.ts';
import { embeddingDefaults, type TokenizerPlan } from './tokenizer-plan.ts';

export interface ConcreteSource {
  readonly model: string;
  readonly start: number;
  readonly parameters: ParameterMap | undefined;
  readonly path: YamlPath;
}

export interface ConcreteSlice {
  readonly base: string | undefined;
  readonly parameters: ParameterMap | undefined;
  readonly sources: readonly ConcreteSource[];
  readonly length: number;
  readonly path: YamlPath;
}

export function planError(path: YamlPath, message: string): RecipeError {
  return new RecipeError([{ path, message, severity: 'error' }]);
}

export function unionNames(lists: readonly (readonly string[])[]): string[] {
  return [...new Set(lists.flat())].sort();
}

/** The name to read for `name` in `model`: itself, or the embeddings a tied head shares. */
export function tiedName(
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

export interface TensorContext {
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

export function planTensor(
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
