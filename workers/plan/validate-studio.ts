/**
 * The recipe's `merge_studio:` block, Merge Studio's own options (mergekit's YAML loader drops
 * the key): seed, compute_dtype, fix, the options mergekit has inside but does not expose,
 * consensus and rescale_norm, and two it lacks: topk_scope and weights. Unknown keys and
 * values are errors with a suggestion; an option that changes nothing for the recipe's method
 * (or while `rescale` is off, or a weight for a model the method does not weigh) is a warning.
 */
import { METHOD_NAMES, getMethod } from '../methods/registry.ts';
import {
  CONSENSUS_METHODS,
  RESCALE_NORMS,
  TOPK_SCOPES,
  type MergeMethod,
  type StudioOptionName,
} from '../methods/types.ts';
import { suggest, type YamlPath } from './problems.ts';
import {
  FIXES,
  referencedModels,
  type ParameterMap,
  type ParameterSetting,
  type Recipe,
  type StudioOptions,
} from './recipe.ts';
import { checkKeys, isObj, type Report } from './validate-common.ts';
import { ruleSlices } from './validate-rules.ts';

const KEYS = ['seed', 'compute_dtype', 'fix', 'consensus', 'rescale_norm', 'topk_scope', 'weights'] as const;

/** Other names people give the values (in the papers, in other tools), for the suggestion. */
const ALIASES: Readonly<Partial<Record<StudioOptionName, Readonly<Record<string, string>>>>> = {
  consensus: { vote: 'count', votes: 'count', magnitude: 'sum', mass: 'sum' },
  rescale_norm: {
    '1': 'l1',
    '2': 'l2',
    inf: 'linf',
    infinity: 'linf',
    max: 'linf',
    l_inf: 'linf',
    '1/p': 'inverse_density',
    '1/density': 'inverse_density',
    inverse: 'inverse_density',
    dare: 'inverse_density',
  },
  topk_scope: {
    per_tensor: 'tensor',
    tensorwise: 'tensor',
    tensor_wise: 'tensor',
    matrix: 'tensor',
    rows: 'row',
    per_row: 'row',
    rowwise: 'row',
    row_wise: 'row',
    filter_wise: 'row',
  },
};

/** What people call one cut over the whole model (the TIES paper's top-k). */
const GLOBAL_NAMES = ['global', 'model', 'whole_model', 'all'];

/**
 * Why `global` is refused: one cut over every task vector of a model needs each tensor of each
 * model read in full (the histograms of its |delta|) before the first tensor can be merged, so
 * a merge would read, and from the Hub download, every model two or three times where it now
 * reads it once, tensor by tensor; and density, which a recipe may vary by layer and filter,
 * would have to be one number.
 */
const NO_GLOBAL =
  "topk_scope global (one cut over the whole model, as in the TIES paper) is not offered: Merge Studio merges tensor by tensor as it reads them, and one cut over the model would need every tensor of every model read before the first is merged (each model read, or downloaded, two or three times over) and one density for all tensors; use 'tensor' (mergekit) or 'row'";

/** One of `allowed` (a string of the list), or a problem with a suggestion. */
function oneOf<T extends string>(
  raw: unknown,
  key: StudioOptionName,
  allowed: readonly T[],
  report: Report,
): T | undefined {
  if (typeof raw === 'string' && (allowed as readonly string[]).includes(raw)) return raw as T;
  const text = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : undefined;
  const hint =
    text === undefined ? undefined : (ALIASES[key]?.[text.toLowerCase()] ?? suggest(text, allowed));
  const list = allowed.length === 2 ? allowed.join(' or ') : `one of ${allowed.join(', ')}`;
  const shown = typeof raw === 'string' ? `'${raw}'` : JSON.stringify(raw);
  report(
    ['merge_studio', key],
    `${key} must be ${list}, not ${shown}${hint ? ` (did you mean '${hint}'?)` : ''}`,
  );
  return undefined;
}

/** The block's shape and values (no method needed). */
export function checkStudio(raw: unknown, report: Report): StudioOptions | undefined {
  if (raw === undefined || raw === null) return undefined;
  const path = ['merge_studio'];
  if (!isObj(raw)) {
    report(path, `merge_studio must be a mapping (${KEYS.join(', ')})`);
    return undefined;
  }
  checkKeys(raw, path, KEYS, report);
  const out: { -readonly [K in keyof StudioOptions]: StudioOptions[K] } = {};
  const seed = raw['seed'];
  if (seed !== undefined) {
    if (Number.isInteger(seed) && (seed as number) >= 0 && (seed as number) < 2 ** 32)
      out.seed = seed as number;
    else report([...path, 'seed'], 'seed must be a whole number from 0 to 4294967295');
  }
  const cd = raw['compute_dtype'];
  if (cd !== undefined) {
    if (cd === 'float32') out.compute_dtype = 'float32';
    else
      report(
        [...path, 'compute_dtype'],
        'compute_dtype can only be float32 (math in float32 whatever dtype says)',
      );
  }
  const fix = raw['fix'];
  if (fix !== undefined) {
    if (Array.isArray(fix) && fix.every((f) => (FIXES as readonly unknown[]).includes(f))) {
      out.fix = fix as (typeof FIXES)[number][];
    } else report([...path, 'fix'], `fix must be a list of: ${FIXES.join(', ')}`);
  }
  if (raw['consensus'] !== undefined) {
    const c = oneOf(raw['consensus'], 'consensus', CONSENSUS_METHODS, report);
    if (c) out.consensus = c;
  }
  if (raw['rescale_norm'] !== undefined) {
    const r = oneOf(raw['rescale_norm'], 'rescale_norm', RESCALE_NORMS, report);
    if (r) out.rescale_norm = r;
  }
  const scope = raw['topk_scope'];
  if (typeof scope === 'string' && GLOBAL_NAMES.includes(scope.toLowerCase())) {
    report([...path, 'topk_scope'], NO_GLOBAL);
  } else if (scope !== undefined) {
    const t = oneOf(scope, 'topk_scope', TOPK_SCOPES, report);
    if (t) out.topk_scope = t;
  }
  if (raw['weights'] !== undefined) {
    const w = checkWeights(raw['weights'], [...path, 'weights'], report);
    if (w) out.weights = w;
  }
  return out;
}

/** A mapping of model name to a positive number (which models, checkStudioForMethod says). */
function checkWeights(
  raw: unknown,
  path: YamlPath,
  report: Report,
): Readonly<Record<string, number>> | undefined {
  if (!isObj(raw)) {
    report(path, 'weights must be a mapping of model: weight (org/a: 2)');
    return undefined;
  }
  const out: Record<string, number> = {};
  let ok = true;
  for (const [model, w] of Object.entries(raw)) {
    if (typeof w === 'number' && Number.isFinite(w) && w > 0) out[model] = w;
    else {
      ok = false;
      report([...path, model], `the weight of ${model} must be a number above 0, not ${JSON.stringify(w)}`);
    }
  }
  return ok ? out : undefined;
}

/** The methods that take an option, for the warnings. */
const takers = (option: StudioOptionName): string =>
  METHOD_NAMES.filter((n) => getMethod(n)?.studioOptions?.includes(option)).join(', ');

const rescaleIn = (p: ParameterMap | undefined): ParameterSetting | undefined =>
  p && Object.hasOwn(p, 'rescale') ? p['rescale'] : undefined;

/**
 * Whether `rescale` is off for every tensor: the value each slice uses (its own, else the top
 * level's, else the method's default) plainly false. A gradient or a filter list may turn it
 * on somewhere: not off.
 */
function rescaleOff(r: Recipe, method: MergeMethod): boolean {
  const top = rescaleIn(r.parameters) ?? method.params.find((p) => p.name === 'rescale')?.default;
  const used = ruleSlices(r).map((s) => rescaleIn(s.parameters) ?? rescaleIn(s.moduleParameters) ?? top);
  return used.every((v) => v === false);
}

/** Warnings for options that change nothing for this recipe's method. */
export function checkStudioForMethod(r: Recipe, method: MergeMethod, report: Report): void {
  const s = r.merge_studio;
  if (!s) return;
  const takes = method.studioOptions ?? [];
  if (s.topk_scope !== undefined && !takes.includes('topk_scope')) {
    report(
      ['merge_studio', 'topk_scope'],
      `${method.name} keeps no top-k by magnitude, so topk_scope changes nothing; it applies to ${takers('topk_scope')}`,
      'warning',
    );
  }
  if (s.weights !== undefined) checkWeightsForMethod(r, s.weights, method, report);
  if (s.consensus !== undefined && !takes.includes('consensus')) {
    report(
      ['merge_studio', 'consensus'],
      `${method.name} elects no sign, so consensus changes nothing; it applies to ${takers('consensus')}`,
      'warning',
    );
  }
  if (s.rescale_norm === undefined) return;
  if (!takes.includes('rescale_norm')) {
    report(
      ['merge_studio', 'rescale_norm'],
      `${method.name} does not rescale, so rescale_norm changes nothing; it applies to ${takers('rescale_norm')}, with rescale: true`,
      'warning',
    );
  } else if (rescaleOff(r, method)) {
    report(
      ['merge_studio', 'rescale_norm'],
      'rescale is off, so rescale_norm changes nothing: set parameters: {rescale: true}',
      'warning',
    );
  }
}

/**
 * The models merge_studio.weights weigh for `method`: each slice's sources (for `models:`,
 * the models and the base appended to them), less the slice's base where the method merges
 * toward it, as the planner makes the kernel's inputs.
 */
export function weighedModels(r: Recipe, method: MergeMethod): string[] {
  const out = new Set<string>();
  for (const slice of ruleSlices(r))
    for (const src of slice.sources)
      if (method.base === 'input' || src.model !== slice.base) out.add(src.model);
  return [...out];
}

/**
 * Weights where the method takes none (with the per-model `weight` parameter to use instead,
 * where the method has one), and weights of models the method does not weigh: not in the
 * recipe (a misspelling, or a model removed since), or only a base it merges toward.
 */
function checkWeightsForMethod(
  r: Recipe,
  weights: Readonly<Record<string, number>>,
  method: MergeMethod,
  report: Report,
): void {
  const path = ['merge_studio', 'weights'];
  if (!(method.studioOptions ?? []).includes('weights')) {
    const own = method.params.some((p) => p.name === 'weight' && p.scope === 'model');
    report(
      path,
      `${method.name} takes no merge_studio.weights, so they change nothing; they apply to ${takers('weights')}${
        own ? `; give ${method.name}'s models parameters: {weight: ...} instead` : ''
      }`,
      'warning',
    );
    return;
  }
  const models = referencedModels(r);
  const weighed = weighedModels(r, method);
  for (const model of Object.keys(weights)) {
    if (weighed.includes(model)) continue;
    const hint = models.includes(model) ? undefined : suggest(model, weighed);
    report(
      [...path, model],
      models.includes(model)
        ? `${model} is only the base here, which ${method.name} does not average: its weight changes nothing`
        : `${model} is not a model of this recipe, so its weight changes nothing${hint ? ` (did you mean '${hint}'?)` : ''}`,
      'warning',
    );
  }
}
