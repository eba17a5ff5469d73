/**
 * Structural validation of a recipe (no models needed): the shape of the YAML, known keys,
 * the method, its parameters, the number of models, base model rules. Everything here fails
 * before any byte of a model is read; checks that need tensor names and shapes run in the
 * planner, still before any tensor data.
 */
import { getMethod, METHOD_NAMES } from '../methods/registry.ts';
import type { MergeMethod } from '../methods/types.ts';
import { type RecipeProblem, suggest, type YamlPath } from './problems.ts';
import {
  COMPUTE_DTYPES,
  FIXES,
  type InputModel,
  type InputSlice,
  type OutputSlice,
  type ParameterMap,
  type Recipe,
  type StudioOptions,
  type TorchDType,
} from './recipe.ts';
import { validateParameterMap } from './validate-params.ts';
import { checkMethodRules } from './validate-rules.ts';

const TOP_KEYS = [
  'merge_method',
  'base_model',
  'models',
  'slices',
  'parameters',
  'dtype',
  'out_dtype',
  'tokenizer_source',
  'merge_studio',
] as const;
const UNSUPPORTED: Readonly<Record<string, string>> = {
  modules: 'multi-module (vision-language) configs are not supported yet; use models: or slices:',
  tokenizer:
    'tokenizer merging is not supported yet; remove it to copy the base model’s tokenizer (all models must share the vocabulary)',
  chat_template: 'chat_template is not supported yet; remove it to keep the base model’s template',
};

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export interface ValidationResult {
  readonly recipe: Recipe | undefined;
  readonly problems: readonly RecipeProblem[];
}

export function validateRecipe(raw: unknown): ValidationResult {
  const problems: RecipeProblem[] = [];
  const report = (path: YamlPath, message: string, severity: 'error' | 'warning' = 'error'): void => {
    problems.push({ path, message, severity });
  };
  const recipe = checkRecipe(raw, report);
  if (recipe) checkMethodRules(recipe, getMethod(recipe.merge_method)!, report);
  const ok = !problems.some((p) => p.severity === 'error');
  return { recipe: ok ? recipe : undefined, problems };
}

type Report = (path: YamlPath, message: string, severity?: 'error' | 'warning') => void;

function checkKeys(
  obj: Record<string, unknown>,
  path: YamlPath,
  allowed: readonly string[],
  report: Report,
): void {
  for (const k of Object.keys(obj)) {
    if (allowed.includes(k)) continue;
    if (path.length === 0 && UNSUPPORTED[k]) {
      report([k], UNSUPPORTED[k]);
      continue;
    }
    const hint = suggest(k, allowed);
    report(
      [...path, k],
      `unknown key '${k}'${hint ? ` (did you mean '${hint}'?)` : ''}; mergekit would ignore it silently`,
    );
  }
}

function modelRef(raw: unknown, path: YamlPath, report: Report): string | undefined {
  if (typeof raw !== 'string' || raw.trim() === '') {
    report(
      path,
      isObj(raw) ? 'write the model as a string: org/name or org/name@revision' : 'a model name is required',
    );
    return undefined;
  }
  if (raw.includes('+')) {
    report(path, `'${raw}' applies a LoRA adapter (base+lora), which is not supported yet`);
    return undefined;
  }
  return raw;
}

function dtypeOf(raw: unknown, path: YamlPath, report: Report): TorchDType | undefined {
  if (raw === undefined || raw === null) return undefined;
  const s = typeof raw === 'string' && raw.startsWith('torch.') ? raw.slice(6) : raw;
  if (typeof s === 'string' && (COMPUTE_DTYPES as readonly string[]).includes(s)) return s as TorchDType;
  report(path, `dtype must be one of ${COMPUTE_DTYPES.join(', ')}, not ${JSON.stringify(raw)}`);
  return undefined;
}

function checkRecipe(raw: unknown, report: Report): Recipe | undefined {
  if (!isObj(raw)) {
    report([], 'a recipe is a YAML mapping with at least merge_method and models (or slices)');
    return undefined;
  }
  checkKeys(raw, [], TOP_KEYS, report);
  const name = raw['merge_method'];
  if (typeof name !== 'string') {
    report(['merge_method'], `merge_method is required: one of ${METHOD_NAMES.join(', ')}`);
    return undefined;
  }
  const method = getMethod(name);
  if (!method) {
    const hint = suggest(name, METHOD_NAMES);
    report(['merge_method'], `unknown merge_method '${name}'${hint ? ` (did you mean '${hint}'?)` : ''}`);
    return undefined;
  }
  const hasModels = raw['models'] !== undefined && raw['models'] !== null;
  const hasSlices = raw['slices'] !== undefined && raw['slices'] !== null;
  if (hasModels === hasSlices && !('modules' in raw)) {
    report([], 'give exactly one of models: or slices:');
  }
  const base =
    raw['base_model'] === undefined || raw['base_model'] === null
      ? undefined
      : modelRef(raw['base_model'], ['base_model'], report);
  const models = hasModels ? checkModels(raw['models'], method, report) : undefined;
  const slices = hasSlices ? checkSlices(raw['slices'], method, report) : undefined;
  const parameters = validateParameterMap(raw['parameters'], ['parameters'], 'top', method, report);
  const dtype = dtypeOf(raw['dtype'], ['dtype'], report);
  const outDtype = dtypeOf(raw['out_dtype'], ['out_dtype'], report);
  const tok = raw['tokenizer_source'];
  if (tok !== undefined && tok !== null && tok !== 'base') {
    report(
      ['tokenizer_source'],
      `tokenizer_source: ${JSON.stringify(tok)} is not supported yet (only base); remove it to use the base model’s tokenizer`,
    );
  }
  const studio = checkStudio(raw['merge_studio'], report);
  return {
    merge_method: name,
    ...(base !== undefined && { base_model: base }),
    ...(models && { models }),
    ...(slices && { slices }),
    ...(parameters && { parameters }),
    ...(dtype && { dtype }),
    ...(outDtype && { out_dtype: outDtype }),
    ...(tok === 'base' && { tokenizer_source: 'base' }),
    ...(studio && { merge_studio: studio }),
  };
}

function checkModels(raw: unknown, method: MergeMethod, report: Report): InputModel[] | undefined {
  if (Array.isArray(raw) && raw.length === 0) {
    report(['models'], 'add at least one model');
    return undefined;
  }
  if (!Array.isArray(raw)) {
    report(['models'], 'models must be a list of {model, parameters}');
    return undefined;
  }
  return raw.flatMap((item, i): InputModel[] => {
    const path = ['models', i];
    if (typeof item === 'string') {
      report(path, `write "- model: ${item}" (each entry is a mapping)`);
      return [];
    }
    if (!isObj(item)) {
      report(path, 'each entry of models is a mapping {model, parameters}');
      return [];
    }
    checkKeys(item, path, ['model', 'parameters'], report);
    const model = modelRef(item['model'], [...path, 'model'], report);
    const params = validateParameterMap(
      item['parameters'],
      [...path, 'parameters'],
      'source',
      method,
      report,
    );
    return model ? [{ model, ...(params && { parameters: params }) }] : [];
  });
}

function checkSlices(raw: unknown, method: MergeMethod, report: Report): OutputSlice[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) {
    report(['slices'], 'slices must be a non-empty list of {sources, ...}');
    return undefined;
  }
  return raw.flatMap((item, i): OutputSlice[] => {
    const path = ['slices', i];
    if (!isObj(item)) {
      report(path, 'each slice is a mapping with sources');
      return [];
    }
    checkKeys(item, path, ['sources', 'base_model', 'parameters', 'residual_weight'], report);
    const sourcesRaw = item['sources'];
    if (!Array.isArray(sourcesRaw) || sourcesRaw.length === 0) {
      report([...path, 'sources'], 'a slice needs a non-empty list of sources');
      return [];
    }
    const sources = sourcesRaw.flatMap((s, j) => checkSource(s, [...path, 'sources', j], method, report));
    const lengths = new Set(sources.map((s) => s.layer_range[1] - s.layer_range[0]));
    if (lengths.size > 1) {
      report(
        [...path, 'sources'],
        `all sources of a slice must span the same number of layers (got ${[...lengths].join(', ')})`,
      );
    }
    const base =
      item['base_model'] === undefined || item['base_model'] === null
        ? undefined
        : modelRef(item['base_model'], [...path, 'base_model'], report);
    const params = validateParameterMap(item['parameters'], [...path, 'parameters'], 'slice', method, report);
    return [
      { sources, ...(base !== undefined && { base_model: base }), ...(params && { parameters: params }) },
    ];
  });
}

function checkSource(raw: unknown, path: YamlPath, method: MergeMethod, report: Report): InputSlice[] {
  if (!isObj(raw)) {
    report(path, 'each source is a mapping {model, layer_range, parameters}');
    return [];
  }
  checkKeys(raw, path, ['model', 'layer_range', 'parameters'], report);
  const model = modelRef(raw['model'], [...path, 'model'], report);
  const lr = raw['layer_range'];
  let range: [number, number] | undefined;
  if (
    Array.isArray(lr) &&
    lr.length === 2 &&
    lr.every((x) => Number.isInteger(x) && (x as number) >= 0) &&
    (lr[0] as number) <= (lr[1] as number)
  ) {
    range = [lr[0] as number, lr[1] as number];
  } else {
    report([...path, 'layer_range'], 'layer_range must be [start, end] with 0 ≤ start ≤ end (end excluded)');
  }
  const params = validateParameterMap(raw['parameters'], [...path, 'parameters'], 'source', method, report);
  return model && range ? [{ model, layer_range: range, ...(params && { parameters: params }) }] : [];
}

function checkStudio(raw: unknown, report: Report): StudioOptions | undefined {
  if (raw === undefined || raw === null) return undefined;
  const path = ['merge_studio'];
  if (!isObj(raw)) {
    report(path, 'merge_studio must be a mapping (seed, compute_dtype, fix)');
    return undefined;
  }
  checkKeys(raw, path, ['seed', 'compute_dtype', 'fix'], report);
  const out: { seed?: number; compute_dtype?: 'float32'; fix?: (typeof FIXES)[number][] } = {};
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
  return out;
}

export type { ParameterMap };
