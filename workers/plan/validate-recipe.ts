/**
 * Structural validation of a recipe (no models needed): the shape of the YAML, known keys,
 * the method, its parameters, the number of models, base model rules. Everything here fails
 * before any byte of a model is read; checks that need tensor names and shapes run in the
 * planner, still before any tensor data.
 */
import { getMethod, METHOD_NAMES } from '../methods/registry.ts';
import { type RecipeProblem, suggest, type YamlPath } from './problems.ts';
import type { ParameterMap, Recipe } from './recipe.ts';
import {
  checkKeys,
  FIELD_REQUIRED,
  isObj,
  isSet,
  modelRef,
  torchDtype,
  type Report,
} from './validate-common.ts';
import { checkModels, checkModules, checkSlices } from './validate-inputs.ts';
import { validateParameterMap } from './validate-params.ts';
import { checkMethodRules } from './validate-rules.ts';
import { checkStudio, checkStudioForMethod } from './validate-studio.ts';
import { checkChatTemplate, checkTokenizer } from './validate-tokenizer.ts';

const TOP_KEYS = [
  'merge_method',
  'base_model',
  'models',
  'slices',
  'modules',
  'parameters',
  'dtype',
  'out_dtype',
  'tokenizer_source',
  'tokenizer',
  'chat_template',
  'merge_studio',
] as const;
const UNSUPPORTED: Readonly<Record<string, string>> = {
  // mergekit-yaml ignores it; in a mergekit-multi file it names a stage (./multi-recipe.ts).
  name: "'name' names a stage of a multi-stage merge (mergekit-multi), not a single recipe: run a file of named stages (separated by ---) with merge-studio multi FILE --intermediate-dir DIR, or remove 'name' to merge this recipe alone",
};
const ONE_OF = "Exactly one of 'models', 'slices', or 'modules' must be present";

export interface ValidationResult {
  readonly recipe: Recipe | undefined;
  /**
   * The recipe when its shape is right (known keys, types, method, parameter values) even if it
   * breaks its method's rules (model count, base, required parameters): the studio's controls
   * hold such work-in-progress recipes, so a link or a reload can restore one.
   */
  readonly shaped?: Recipe;
  readonly problems: readonly RecipeProblem[];
}

export function validateRecipe(raw: unknown): ValidationResult {
  const problems: RecipeProblem[] = [];
  const report = (path: YamlPath, message: string, severity: 'error' | 'warning' = 'error'): void => {
    problems.push({ path, message, severity });
  };
  const hasErrors = (): boolean => problems.some((p) => p.severity === 'error');
  const recipe = checkRecipe(raw, report);
  // The method's rules on a recipe with errors would see the invalid values as missing.
  const shaped = recipe && !hasErrors() ? recipe : undefined;
  if (shaped) checkMethodRules(shaped, getMethod(shaped.merge_method)!, report);
  return { recipe: hasErrors() ? undefined : recipe, ...(shaped && { shaped }), problems };
}

/** A list given and not empty: mergekit counts models/slices by truthiness, so [] is absent. */
const given = (x: unknown): boolean => isSet(x) && !(Array.isArray(x) && x.length === 0);

function checkRecipe(raw: unknown, report: Report): Recipe | undefined {
  if (!isObj(raw)) {
    report([], 'a recipe is a YAML mapping with at least merge_method and models (or slices)');
    return undefined;
  }
  const hasModels = given(raw['models']);
  const hasSlices = given(raw['slices']);
  // modules: {} is absent too (an empty dict is falsy in mergekit's check).
  const hasModules =
    given(raw['modules']) && !(isObj(raw['modules']) && Object.keys(raw['modules']).length === 0);
  const required = {
    merge_method: FIELD_REQUIRED,
    ...(!hasModels && !hasSlices && !hasModules && { models: ONE_OF, slices: ONE_OF, modules: ONE_OF }),
  };
  checkKeys(raw, [], TOP_KEYS, report, required, UNSUPPORTED);
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
  const count = [hasModels, hasSlices, hasModules].filter(Boolean).length;
  if (count > 1)
    report([], `give one of models:, slices: or modules:, not ${count === 3 ? 'all three' : 'two'}`);
  else if (count === 0) {
    if (Array.isArray(raw['models'])) report(['models'], 'add at least one model');
    else if (Array.isArray(raw['slices'])) report(['slices'], 'add at least one slice');
    else if (isObj(raw['modules'])) report(['modules'], 'add at least one module');
    else
      report(
        [],
        'give exactly one of models: or slices: (or modules:, per module of a vision-language model)',
      );
  }
  const base = isSet(raw['base_model']) ? modelRef(raw['base_model'], ['base_model'], report) : undefined;
  const models = hasModels ? checkModels(raw['models'], method, report) : undefined;
  const slices = hasSlices ? checkSlices(raw['slices'], method, report) : undefined;
  const modules = hasModules ? checkModules(raw['modules'], method, report) : undefined;
  const parameters = validateParameterMap(raw['parameters'], ['parameters'], 'top', method, report);
  const dtype = torchDtype(raw['dtype'], ['dtype'], report);
  const outDtype = torchDtype(raw['out_dtype'], ['out_dtype'], report);
  const tokenizer = checkTokenizer(raw, report);
  const chatTemplate = checkChatTemplate(raw['chat_template'], report);
  const studio = checkStudio(raw['merge_studio'], report);
  const recipe: Recipe = {
    merge_method: name,
    ...(base !== undefined && { base_model: base }),
    ...(models && { models }),
    ...(slices && { slices }),
    ...(modules && { modules }),
    ...(parameters && { parameters }),
    ...(dtype && { dtype }),
    ...(outDtype && { out_dtype: outDtype }),
    ...tokenizer,
    ...(chatTemplate !== undefined && { chat_template: chatTemplate }),
    ...(studio && { merge_studio: studio }),
  };
  checkStudioForMethod(recipe, method, report);
  return recipe;
}

export type { ParameterMap };
