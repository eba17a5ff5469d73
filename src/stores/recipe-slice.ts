/** The recipe being built, and the YAML text when the user is editing it by hand. */
import type { StateCreator } from 'zustand';
import type { RecipeProblem } from '../../workers/plan/problems.ts';
import type {
  ParameterSetting,
  Recipe,
  TorchDType,
  OutputSlice,
  InputModel,
} from '../../workers/plan/recipe.ts';
import { parseRecipeYaml } from '../../workers/plan/recipe-yaml.ts';
import * as edit from './recipe-edits.ts';
import type { StudioState } from './store.ts';

export interface RecipeSlice {
  readonly recipe: Recipe;
  /** YAML typed by the user that does not validate yet (the recipe keeps its last good value). */
  readonly yamlDraft: string | undefined;
  readonly yamlProblems: readonly RecipeProblem[];
  setRecipe(r: Recipe): void;
  setMethod(name: string): void;
  addModel(id: string): void;
  removeModel(id: string): void;
  moveModel(id: string, delta: -1 | 1): void;
  setBase(id: string | undefined): void;
  setGlobalParam(name: string, value: ParameterSetting | undefined): void;
  setModelParam(id: string, name: string, value: ParameterSetting | undefined): void;
  setDtype(key: 'dtype' | 'out_dtype', value: TorchDType | undefined): void;
  setSlices(slices: readonly OutputSlice[] | undefined, modelsIfNone?: readonly InputModel[]): void;
  /** Imports YAML: a valid recipe replaces the current one; an invalid one is kept as a draft. */
  editYaml(text: string): boolean;
  discardYamlDraft(): void;
}

export const createRecipeSlice: StateCreator<StudioState, [], [], RecipeSlice> = (set) => {
  const apply = (f: (r: Recipe) => Recipe) =>
    set((s) => ({ recipe: f(s.recipe), yamlDraft: undefined, yamlProblems: [] }));
  return {
    recipe: edit.EMPTY_RECIPE,
    yamlDraft: undefined,
    yamlProblems: [],
    setRecipe: (r) => apply(() => r),
    setMethod: (name) => apply((r) => edit.setMethod(r, name)),
    addModel: (id) => apply((r) => edit.addModel(r, id)),
    removeModel: (id) => apply((r) => edit.removeModel(r, id)),
    moveModel: (id, d) => apply((r) => edit.moveModel(r, id, d)),
    setBase: (id) => apply((r) => edit.setBase(r, id)),
    setGlobalParam: (n, v) => apply((r) => edit.setGlobalParam(r, n, v)),
    setModelParam: (id, n, v) => apply((r) => edit.setModelParam(r, id, n, v)),
    setDtype: (k, v) => apply((r) => edit.setDtype(r, k, v)),
    setSlices: (s, m) => apply((r) => edit.setSlices(r, s, m)),
    editYaml: (text) => {
      const { recipe, problems } = parseRecipeYaml(text);
      if (recipe) {
        set({ recipe, yamlDraft: undefined, yamlProblems: problems });
        return true;
      }
      set({ yamlDraft: text, yamlProblems: problems });
      return false;
    },
    discardYamlDraft: () => set({ yamlDraft: undefined, yamlProblems: [] }),
  };
};
