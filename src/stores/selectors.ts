/** Narrow, pure selectors (memoised where they build new objects). */
import { getMethod } from '../../workers/methods/registry.ts';
import type { MergeMethod } from '../../workers/methods/types.ts';
import { referencedModels, type Recipe } from '../../workers/plan/recipe.ts';
import { recipeToYaml } from '../../workers/plan/recipe-yaml.ts';
import { validateRecipe } from '../../workers/plan/validate-recipe.ts';
import type { RecipeProblem } from '../../workers/plan/problems.ts';
import { memo } from './memo.ts';
import type { StudioState } from './store.ts';

export const selectRecipe = (s: StudioState): Recipe => s.recipe;
export const selectMethod = (s: StudioState): MergeMethod => getMethod(s.recipe.merge_method)!;

const yamlOf = memo((r: Recipe) => recipeToYaml(r));
export const selectRecipeYaml = (s: StudioState): string => yamlOf(s.recipe);

const problemsOf = memo((r: Recipe): readonly RecipeProblem[] => validateRecipe(r).problems);
/**
 * What is wrong with the recipe the YAML editor shows (missing models, parameters...): while
 * the editor holds a draft that does not validate, the draft's problems, so that Merge, Analyse
 * and the like stay blocked until the draft is fixed or discarded, never running the last valid
 * recipe the user no longer sees.
 */
export const selectRecipeProblems = (s: StudioState): readonly RecipeProblem[] =>
  s.yamlDraft !== undefined ? s.yamlProblems : problemsOf(s.recipe);

const modelsOf = memo((r: Recipe): readonly string[] => referencedModels(r));
export const selectModelIds = (s: StudioState): readonly string[] => modelsOf(s.recipe);

/**
 * Models of the recipe that were local folders before a reload and have not been opened again:
 * their files did not survive it, and a merge would look them up on the hub instead.
 */
export const selectFoldersToReopen = (s: StudioState): readonly string[] =>
  // A `base+adapter` model is read from two places: either part may be a lost folder.
  [...new Set(selectModelIds(s).flatMap((id) => splitRef(id)))].filter(
    (id) => s.lostLocalFolders.includes(id) && !Object.hasOwn(s.localFolders, id),
  );

/** A model id's parts: `base+adapter` gives both, any other id itself. */
function splitRef(id: string): string[] {
  const parts = id.split('+');
  return parts.length === 2 && parts[0] !== '' && parts[1] !== '' ? parts : [id];
}

/** Why Merge cannot start now, beyond the recipe's own problems; undefined when it can. */
export const selectFoldersBlock = (s: StudioState): string | undefined => {
  const lost = selectFoldersToReopen(s);
  return lost.length === 0
    ? undefined
    : `Open the folder of ${lost.join(', ')} again first: a local folder's files are not kept across a reload.`;
};
