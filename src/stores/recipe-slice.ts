/** The recipe being built, and the YAML text when the user is editing it by hand. */
import type { StateCreator } from 'zustand';
import type { RecipeProblem } from '../../workers/plan/problems.ts';
import type {
  ParameterSetting,
  Recipe,
  StudioOptions,
  TorchDType,
  OutputSlice,
  InputModel,
  TokenizerSourceName,
} from '../../workers/plan/recipe.ts';
import { getMethod } from '../../workers/methods/registry.ts';
import { parseRecipeYaml } from '../../workers/plan/recipe-yaml.ts';
import * as edit from './recipe-edits.ts';
import { renameModel, renameStash } from './rename-model.ts';
import { setStudioOption, type EditableStudioOption } from './studio-edits.ts';
import * as tokenizerEdit from './tokenizer-edits.ts';
import type { StudioState } from './store.ts';

export interface RecipeSlice {
  readonly recipe: Recipe;
  /** YAML typed by the user that does not validate yet (the recipe keeps its last good value). */
  readonly yamlDraft: string | undefined;
  readonly yamlProblems: readonly RecipeProblem[];
  /** Parameters the last method switches set aside, restored by a switch to a method taking them. */
  readonly paramStash: edit.ParamStash;
  /** What the last method switch set aside, for the user; undefined when it dropped nothing. */
  readonly methodNotice: string | undefined;
  /** Why the recipe in the page's link could not be loaded (shown with the YAML). */
  readonly linkError: string | undefined;
  setRecipe(r: Recipe): void;
  setMethod(name: string): void;
  addModel(id: string): void;
  removeModel(id: string): void;
  moveModel(id: string, delta: -1 | 1): void;
  /**
   * Calls model `from` `to` everywhere in the recipe (a LoRA adapter applied or removed: `base`
   * and `base+adapter`), its parameters, set-aside parameters and curve kept; nothing happens
   * when `to` is in the recipe already.
   */
  renameModel(from: string, to: string): void;
  setBase(id: string | undefined): void;
  setGlobalParam(name: string, value: ParameterSetting | undefined): void;
  setModelParam(id: string, name: string, value: ParameterSetting | undefined): void;
  setDtype(key: 'dtype' | 'out_dtype', value: TorchDType | undefined): void;
  setSlices(slices: readonly OutputSlice[] | undefined, modelsIfNone?: readonly InputModel[]): void;
  /** `base`, `union` or a model; undefined: the base model's files, rows merged by id. */
  setTokenizerSource(source: TokenizerSourceName | undefined): void;
  setPadToMultipleOf(n: number | undefined): void;
  setChatTemplate(template: string | undefined): void;
  /** Sets a merge_studio option (consensus, rescale_norm, topk_scope, weights); undefined removes it (mergekit's value). */
  setStudioOption<K extends EditableStudioOption>(key: K, value: StudioOptions[K] | undefined): void;
  /**
   * Imports YAML: a valid recipe replaces the current one, and so does one that only breaks its
   * method's rules (the controls hold such recipes too; returns false). YAML of another shape is
   * kept as a draft with its problems, the recipe staying as it was.
   */
  editYaml(text: string): boolean;
  discardYamlDraft(): void;
  setLinkError(message: string | undefined): void;
}

/** "density of b, weight of b and t" */
function listed(xs: readonly string[]): string {
  return xs.length < 2 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}

const prettyName = (m: string): string => getMethod(m)?.prettyName ?? m;

function switchNotice(from: string, to: string, dropped: readonly string[]): string | undefined {
  if (dropped.length === 0) return undefined;
  return (
    `${prettyName(to)} does not take ${listed(dropped)}, so ${dropped.length === 1 ? 'it was' : 'they were'} ` +
    `set aside: switch back to ${prettyName(from)} (or to a method that takes them) to get them back.`
  );
}

/** A draft always blocks merging: its problems hold at least one error. */
const DRAFT_ERROR: RecipeProblem = {
  path: [],
  message: 'the YAML does not make a recipe yet: fix it or discard the edits',
  severity: 'error',
};

// Any edit that changes the method (the picker, the teaching views' "Switch the recipe")
// stashes what the new method does not take, and says so.
const commit = (s: StudioState, next: Recipe): Partial<StudioState> => {
  const base = { recipe: next, yamlDraft: undefined, yamlProblems: [] };
  if (next.merge_method === s.recipe.merge_method)
    return { ...base, paramStash: edit.pruneStash(next, s.paramStash) };
  const { stash, dropped } = edit.stashDropped(s.recipe, next, s.paramStash);
  return {
    ...base,
    paramStash: stash,
    methodNotice: switchNotice(s.recipe.merge_method, next.merge_method, dropped),
  };
};

export const createRecipeSlice: StateCreator<StudioState, [], [], RecipeSlice> = (set) => {
  const apply = (f: (r: Recipe) => Recipe) => set((s) => commit(s, f(s.recipe)));
  return {
    recipe: edit.EMPTY_RECIPE,
    yamlDraft: undefined,
    yamlProblems: [],
    paramStash: {},
    methodNotice: undefined,
    linkError: undefined,
    setRecipe: (r) => apply(() => r),
    setMethod: (name) => set((s) => commit(s, edit.setMethod(s.recipe, name, s.paramStash))),
    addModel: (id) => apply((r) => edit.addModel(r, id)),
    removeModel: (id) => apply((r) => edit.removeModel(r, id)),
    moveModel: (id, d) => apply((r) => edit.moveModel(r, id, d)),
    renameModel: (from, to) =>
      set((s) => {
        const next = renameModel(s.recipe, from, to);
        if (next === s.recipe) return {};
        const curve = s.curveTarget?.model === from ? { curveTarget: { ...s.curveTarget, model: to } } : {};
        return { ...commit({ ...s, paramStash: renameStash(s.paramStash, from, to) }, next), ...curve };
      }),
    setBase: (id) => apply((r) => edit.setBase(r, id)),
    setGlobalParam: (n, v) => apply((r) => edit.setGlobalParam(r, n, v)),
    setModelParam: (id, n, v) => apply((r) => edit.setModelParam(r, id, n, v)),
    setDtype: (k, v) => apply((r) => edit.setDtype(r, k, v)),
    setSlices: (s, m) => apply((r) => edit.setSlices(r, s, m)),
    setTokenizerSource: (src) => apply((r) => tokenizerEdit.setTokenizerSource(r, src)),
    setPadToMultipleOf: (n) => apply((r) => tokenizerEdit.setPadToMultipleOf(r, n)),
    setChatTemplate: (t) => apply((r) => tokenizerEdit.setChatTemplate(r, t)),
    setStudioOption: (key, value) => apply((r) => setStudioOption(r, key, value)),
    editYaml: (text) => {
      const { recipe, shaped, problems } = parseRecipeYaml(text);
      const loaded = recipe ?? shaped;
      if (loaded) {
        // A recipe from text starts afresh: nothing set aside applies to it.
        set({
          recipe: loaded,
          yamlDraft: undefined,
          yamlProblems: problems,
          paramStash: {},
          methodNotice: undefined,
        });
        return recipe !== undefined;
      }
      const errors = problems.some((p) => p.severity === 'error') ? problems : [...problems, DRAFT_ERROR];
      set({ yamlDraft: text, yamlProblems: errors });
      return false;
    },
    discardYamlDraft: () => set({ yamlDraft: undefined, yamlProblems: [] }),
    setLinkError: (linkError) => set({ linkError }),
  };
};
