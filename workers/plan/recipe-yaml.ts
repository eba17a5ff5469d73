/**
 * Recipes as mergekit YAML: parse with line-precise problems, and write back in mergekit's
 * layout (flow-style number lists, like mergekit's ConfigYamlDumper).
 *
 * mergekit reads recipes with PyYAML's safe_load, which is YAML 1.1: `yes`/`no`/`on`/`off` are
 * booleans and `<<` merge keys apply. We parse (and write) YAML 1.1 too, with PyYAML's
 * booleans: the yaml package's 1.1 schema also reads `y`/`n` as booleans (a model named `y`
 * would vanish), PyYAML does not.
 */
import {
  Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Node,
  type ScalarTag,
  type Tags,
} from 'yaml';
import { yamlSyntaxProblems } from './yaml-problems.ts';
import { RecipeError, type RecipeProblem, type YamlPath } from './problems.ts';
import type { Recipe } from './recipe.ts';
import { validateRecipe } from './validate-recipe.ts';

const PYYAML_TRUE = /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/;
const PYYAML_FALSE = /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/;

/** The YAML 1.1 schema with PyYAML's boolean spellings (resolver.py: no y/n). */
function pyyamlTags(tags: Tags): Tags {
  return tags.map((t) => {
    if (typeof t !== 'object' || t.tag !== 'tag:yaml.org,2002:bool' || !(t.test instanceof RegExp)) return t;
    const bool: ScalarTag = { ...(t as ScalarTag), test: t.identify?.(true) ? PYYAML_TRUE : PYYAML_FALSE };
    return bool;
  });
}

const YAML_OPTIONS = { version: '1.1', customTags: pyyamlTags } as const;
/** How recipes are parsed: YAML 1.1 as PyYAML reads it, errors as data (no code frames). */
export const YAML_PARSE_OPTIONS = { ...YAML_OPTIONS, prettyErrors: false } as const;

export interface ParsedRecipe {
  readonly recipe: Recipe | undefined;
  /** The recipe when only its method's rules fail (validate-recipe.ts); absent for bad shapes. */
  readonly shaped?: Recipe;
  readonly problems: readonly RecipeProblem[];
}

/** Parses and validates; never throws. Problems carry 1-based line and column. */
export function parseRecipeYaml(text: string): ParsedRecipe {
  const lc = new LineCounter();
  const doc = parseDocument(text, { ...YAML_PARSE_OPTIONS, lineCounter: lc, uniqueKeys: true });
  // Parsed again only on a syntax error, allowing duplicate keys, to name them and their path.
  return recipeFromDocument(doc, lc, () => parseDocument(text, { ...YAML_PARSE_OPTIONS, uniqueKeys: false }));
}

/**
 * Validates one parsed YAML document (of a single recipe, or one stage of a multi-stage file:
 * ./multi-recipe.ts). Lines come from `lc`, so they count from the start of the text it was
 * parsed from. `loose` gives the same document parsed with duplicate keys allowed.
 */
export function recipeFromDocument(
  doc: Document.Parsed,
  lc: LineCounter,
  loose: () => Document,
): ParsedRecipe {
  if (doc.errors.length > 0) {
    return {
      recipe: undefined,
      problems: yamlSyntaxProblems(doc.errors, loose().contents, (offset) => lc.linePos(offset)),
    };
  }
  const { recipe, shaped, problems } = validateRecipe(doc.toJS({ maxAliasCount: 100 }));
  return {
    recipe,
    ...(shaped && { shaped }),
    problems: problems.map((p) => {
      const pos = positionOf(doc.contents, p.path, lc);
      return pos ? { ...p, ...pos } : p;
    }),
  };
}

/** Parses and validates, throwing a RecipeError listing every problem. */
export function loadRecipe(
  text: string,
  file?: string,
): { recipe: Recipe; warnings: readonly RecipeProblem[] } {
  const { recipe, problems } = parseRecipeYaml(text);
  if (!recipe) throw new RecipeError(problems, file);
  return { recipe, warnings: problems.filter((p) => p.severity === 'warning') };
}

/** The deepest node on `path` that exists, as 1-based line/col of its start (or of its key). */
export function positionOf(
  root: unknown,
  path: YamlPath,
  lc: LineCounter,
): { line: number; col: number } | undefined {
  let node = root as Node | null | undefined;
  let best: number | undefined = node?.range?.[0];
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => (it.key as { value?: unknown } | null)?.value === key);
      if (!pair) break;
      const k = pair.key as Node | null;
      best = (pair.value as Node | null)?.range?.[0] ?? k?.range?.[0] ?? best;
      // Point at the key for a key-level problem (unknown key), at the value otherwise.
      if (key === path[path.length - 1] && k?.range) best = k.range[0];
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key] as Node | undefined;
      if (!item) break;
      best = item.range?.[0] ?? best;
      node = item;
    } else break;
  }
  return best === undefined ? undefined : lc.linePos(best);
}

/** Key order for writing: what a reader wants first. */
const ORDER = [
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
];
/** merge_studio's keys in one order, whether the block came from YAML or from the studio's edits. */
const STUDIO_ORDER = ['seed', 'compute_dtype', 'fix', 'consensus', 'rescale_norm', 'topk_scope', 'weights'];

/** The keys of `order` that `obj` has, in that order. */
function inOrder(obj: object, order: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of order) {
    const v = (obj as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

export function recipeToYaml(recipe: Recipe): string {
  const ordered = inOrder(recipe, ORDER);
  if (recipe.merge_studio) ordered['merge_studio'] = inOrder(recipe.merge_studio, STUDIO_ORDER);
  // YAML 1.1, so that strings PyYAML would read as booleans ("on", "yes") are quoted. A value
  // shared by two places (the same array object) is written twice, never as an &anchor/*alias:
  // mergekit's examples have none, and an alias is confusing to read and edit.
  const doc = new Document(ordered, { ...YAML_OPTIONS, aliasDuplicateObjects: false });
  // Number lists (gradients, layer ranges) on one line, as mergekit writes them.
  visit(doc, {
    Seq(_, node) {
      if (node.items.every((i) => isScalar(i) && typeof i.value === 'number')) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
