/**
 * Multi-stage merges as mergekit-multi reads them (mergekit/scripts/multimerge.py): one YAML file
 * of recipes separated by `---`, each with a top-level `name:`, except at most one: the final
 * merge, written to the command's --out. A model reference whose model part (before `+` and
 * `@`) is another stage's name reads that stage's output, the folder `<intermediate dir>/<name>`,
 * and the stages run in an order where each comes after the stages it reads: the file's order
 * where it is free, the final merge last. Pure (no IO): cli/commands/multi.ts runs the stages.
 *
 * Stricter than mergekit, in the spirit of ./problems.ts, every problem with its line in the
 * whole file: names must be usable as a folder and inside a reference (no / \ @ +), a stage may
 * not read itself, a cycle is named. Only model places are rewritten (./model-references.ts):
 * mergekit rewrites any string equal to a stage's name, so a stage named `base` would also
 * capture `tokenizer_source: base`.
 */
import { isMap, LineCounter, parseAllDocuments, type Document } from 'yaml';
import { modelReferences, renameModels } from './model-references.ts';
import { RecipeError, type RecipeProblem, type YamlPath } from './problems.ts';
import type { Recipe } from './recipe.ts';
import { positionOf, recipeFromDocument, YAML_PARSE_OPTIONS } from './recipe-yaml.ts';

export interface MultiStage {
  /** The stage's name, its folder in the intermediate directory; undefined for the final merge. */
  readonly name: string | undefined;
  /** The recipe, with every reference to another stage rewritten to that stage's folder. */
  readonly recipe: Recipe;
  /** The stages whose output it reads, in the order the recipe first names them. */
  readonly reads: readonly string[];
  /** 1-based line where its document starts. */
  readonly line: number;
}

export interface ParsedMultiRecipe {
  /** In the order to run them; undefined when any problem is an error. */
  readonly stages: readonly MultiStage[] | undefined;
  readonly problems: readonly RecipeProblem[];
}

/** The folder a stage is written to, as a model reference: `<dir>/<name>`. */
export function stageFolder(intermediateDir: string, name: string): string {
  return `${intermediateDir.replace(/[\\/]+$/, '')}/${name}`;
}

/** One document of the file, validated, before the references between stages are resolved. */
interface Doc {
  /** 1-based number of the document in the file. */
  readonly number: number;
  readonly line: number;
  /** A valid name; undefined for the unnamed final merge and for a name already reported. */
  readonly name: string | undefined;
  readonly hasName: boolean;
  readonly recipe: Recipe | undefined;
  readonly at: (path: YamlPath) => { line: number; col: number } | undefined;
}

export function parseMultiRecipeYaml(text: string, intermediateDir: string): ParsedMultiRecipe {
  const lc = new LineCounter();
  const parsed = parseAllDocuments(text, { ...YAML_PARSE_OPTIONS, lineCounter: lc, uniqueKeys: true });
  let loose: Document[] | undefined;
  const looseDoc = (i: number) =>
    (loose ??= parseAllDocuments(text, { ...YAML_PARSE_OPTIONS, uniqueKeys: false }))[i];
  const problems: RecipeProblem[] = [];
  const docs: Doc[] = [];
  for (const [i, doc] of parsed.entries()) {
    const start = doc.contents?.range[0] ?? doc.range[0];
    // An empty document (a trailing ---, or one of comments only: an empty null scalar) is no stage.
    const empty = doc.contents === null || doc.contents.range[0] === doc.contents.range[1];
    if (doc.errors.length === 0 && empty) continue;
    const at = (path: YamlPath) => positionOf(doc.contents, path, lc);
    const base = { number: i + 1, line: lc.linePos(start).line, at };
    const report = (d: { number: number; name?: string | undefined }, found: readonly RecipeProblem[]) =>
      problems.push(...found.map((p) => ({ ...p, message: `${p.message} (${label(d)})` })));
    let name: string | undefined;
    const map = doc.errors.length === 0 && isMap(doc.contents) ? doc.contents : undefined;
    const hasName = map?.has('name') ?? false;
    if (map && hasName) {
      const raw = (doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>)['name'];
      const why = badName(raw);
      if (why) report(base, [{ path: ['name'], message: why, severity: 'error', ...at(['name']) }]);
      else name = raw as string;
      map.delete('name');
    }
    const { recipe, problems: found } = recipeFromDocument(doc, lc, () => looseDoc(i) ?? doc);
    report({ ...base, name }, found);
    docs.push({ ...base, name, hasName, recipe });
  }
  if (docs.length === 0) {
    problems.push({ path: [], message: 'the file holds no recipe', severity: 'error', line: 1, col: 1 });
  }
  problems.push(...nameProblems(docs));
  const { stages, problems: linkProblems } = linkStages(docs, intermediateDir);
  problems.push(...linkProblems);
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  const failed = problems.some((p) => p.severity === 'error');
  return { stages: failed ? undefined : stages, problems };
}

/** Parses, validates and orders, throwing a RecipeError listing every problem. */
export function loadMultiRecipe(
  text: string,
  intermediateDir: string,
  file?: string,
): { stages: readonly MultiStage[]; warnings: readonly RecipeProblem[] } {
  const { stages, problems } = parseMultiRecipeYaml(text, intermediateDir);
  if (!stages) throw new RecipeError(problems, file);
  return { stages, warnings: problems.filter((p) => p.severity === 'warning') };
}

const label = (d: { number: number; name?: string | undefined }): string =>
  `in document ${d.number}${d.name === undefined ? '' : `, stage ${d.name}`}`;

/** Why `raw` cannot name a stage, or undefined. The name is a folder and sits in references. */
function badName(raw: unknown): string | undefined {
  if (raw === null || raw === undefined || raw === '')
    return "name is empty: give the stage a name, or remove 'name' from the final merge (written to --out)";
  if (typeof raw !== 'string')
    return `name must be text (the stage's folder name), not ${JSON.stringify(raw)}: quote it`;
  if (/[\\/@+]/.test(raw) || raw.trim() !== raw || raw === '.' || raw === '..')
    return `'${raw}' cannot name a stage: the name is its folder in the intermediate directory and is written as a model reference, so it takes no /, \\, @, + and no spaces at its ends`;
  return undefined;
}

/** Names used twice, and more than one unnamed document, each reported at the second one. */
function nameProblems(docs: readonly Doc[]): RecipeProblem[] {
  const out: RecipeProblem[] = [];
  const problem = (d: Doc, path: YamlPath, message: string) =>
    out.push({ path, message: `${message} (${label(d)})`, severity: 'error', ...d.at(path) });
  const first = new Map<string, Doc>();
  let unnamed: Doc | undefined;
  for (const d of docs) {
    if (d.name !== undefined) {
      const before = first.get(d.name);
      if (before) {
        problem(
          d,
          ['name'],
          `stage name '${d.name}' is also the name of the stage at line ${before.line}: each stage needs its own name (it is the folder the stage is written to)`,
        );
      } else first.set(d.name, d);
    } else if (!d.hasName && d.recipe !== undefined) {
      if (unnamed) {
        problem(
          d,
          [],
          `a second document without a name (the first is at line ${unnamed.line}): only the final merge, written to --out, may be unnamed; give this one name: <stage>`,
        );
      } else unnamed = d;
    }
  }
  return out;
}

/** A stage with where it came from: its document, and where it first names each stage it reads. */
type Linked = MultiStage & { readonly doc: Doc; readonly readAt: ReadonlyMap<string, YamlPath> };

/** References to other stages rewritten to their folders, and the order to run the stages in. */
function linkStages(
  docs: readonly Doc[],
  intermediateDir: string,
): { stages: MultiStage[]; problems: RecipeProblem[] } {
  const problems: RecipeProblem[] = [];
  const names = new Set(docs.flatMap((d) => (d.name === undefined ? [] : [d.name])));
  const stageOf = (ref: string): string | undefined => {
    const model = ref.split('+')[0]!.split('@')[0]!;
    return names.has(model) ? model : undefined;
  };
  const stages: Linked[] = [];
  for (const doc of docs) {
    if (!doc.recipe) continue;
    const readAt = new Map<string, YamlPath>();
    for (const { ref, path } of modelReferences(doc.recipe)) {
      const stage = stageOf(ref);
      if (stage === undefined) continue;
      if (stage === doc.name) {
        problems.push({
          path,
          message: `stage ${stage} names itself as a model: a stage cannot read its own output; name another stage or model (${label(doc)})`,
          severity: 'error',
          ...doc.at(path),
        });
      } else if (!readAt.has(stage)) readAt.set(stage, path);
    }
    const recipe = renameModels(doc.recipe, (ref) => {
      const stage = stageOf(ref);
      return stage === undefined ? ref : stageFolder(intermediateDir, stage) + ref.slice(stage.length);
    });
    stages.push({ name: doc.name, recipe, reads: [...readAt.keys()], line: doc.line, doc, readAt });
  }
  // Ready stages in the file's order, the final merge last (no stage can read it).
  const pending = [
    ...stages.filter((s) => s.name !== undefined),
    ...stages.filter((s) => s.name === undefined),
  ];
  const done = new Set<string>();
  const ordered: MultiStage[] = [];
  for (;;) {
    const next = pending.findIndex((s) =>
      s.reads.every((r) => done.has(r) || !stages.some((t) => t.name === r)),
    );
    if (next < 0) break;
    const [s] = pending.splice(next, 1);
    if (s!.name !== undefined) done.add(s!.name);
    ordered.push({ name: s!.name, recipe: s!.recipe, reads: s!.reads, line: s!.line });
  }
  if (pending.length > 0) problems.push(cycleProblem(pending));
  return { stages: ordered, problems };
}

/**
 * The stages left unordered each read a stage left too (the final merge can be left only when
 * a stage it reads is), so following those reads from a named one must come back to a stage:
 * that is the cycle, reported where its first stage names the next.
 */
function cycleProblem(pending: readonly Linked[]): RecipeProblem {
  const byName = new Map<string, Linked>();
  // A name given twice is an error already; the first stage of that name is followed.
  for (const s of pending) if (s.name !== undefined && !byName.has(s.name)) byName.set(s.name, s);
  const walk = [pending.find((s) => s.name !== undefined)!];
  let cycle: Linked[] = [];
  while (cycle.length === 0) {
    const next = byName.get(walk[walk.length - 1]!.reads.find((r) => byName.has(r))!)!;
    const seen = walk.indexOf(next);
    if (seen >= 0) cycle = walk.slice(seen);
    else walk.push(next);
  }
  const from = cycle[0]!;
  const path = from.readAt.get((cycle[1] ?? from).name!) ?? [];
  return {
    path,
    message: `the stages read each other in a cycle: ${[...cycle, from].map((s) => s.name).join(' -> ')}; one of them must read a model instead (${label(from.doc)})`,
    severity: 'error',
    ...from.doc.at(path),
  };
}
