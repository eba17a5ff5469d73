/**
 * mergekit-pytorch's config: a recipe that merges bare checkpoints tensor by tensor, by name.
 * It has merge_method, models, base_model, parameters and dtype (and our merge_studio block);
 * what needs a transformers model (slices, modules, tokenizer, chat template, out_dtype) is
 * refused with its line, where mergekit-pytorch drops it silently.
 */
import { LineCounter, parseDocument } from 'yaml';
import { RecipeError, type RecipeProblem } from '../plan/problems.ts';
import type { Recipe } from '../plan/recipe.ts';
import { loadRecipe, positionOf, YAML_PARSE_OPTIONS } from '../plan/recipe-yaml.ts';

const RAW_KEYS = new Set(['merge_method', 'models', 'base_model', 'parameters', 'dtype', 'merge_studio']);

export function loadRawRecipe(
  text: string,
  file?: string,
): { recipe: Recipe; warnings: readonly RecipeProblem[] } {
  const loaded = loadRecipe(text, file);
  const lc = new LineCounter();
  const doc = parseDocument(text, { ...YAML_PARSE_OPTIONS, lineCounter: lc });
  const problems: RecipeProblem[] = Object.keys(loaded.recipe)
    .filter((k) => !RAW_KEYS.has(k))
    .map((k) => ({
      path: [k],
      message:
        k === 'slices' || k === 'modules'
          ? `a pytorch merge has no ${k}: it merges every tensor by name (list the checkpoints under models:)`
          : `a pytorch merge writes tensors only (no config or tokenizer), so ${k} does not apply`,
      severity: 'error' as const,
      ...positionOf(doc.contents, [k], lc),
    }));
  if (!loaded.recipe.models)
    problems.push({
      path: ['models'],
      message: 'a pytorch merge needs models: (the checkpoints to merge)',
      severity: 'error',
    });
  if (problems.length > 0) throw new RecipeError(problems, file);
  return loaded;
}
