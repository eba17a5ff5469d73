/**
 * `multi CONFIG.yml --intermediate-dir DIR [--out OUT] [--no-lazy] [--dry-run] [merge options]`:
 * a multi-stage merge, as mergekit-multi runs one. CONFIG holds recipes separated by `---`;
 * each named stage is merged into DIR/<name>, where later stages that name it read it; the one
 * unnamed document, if any, is the final merge, into --out (required then, refused otherwise).
 * The file is read, checked and ordered by workers/plan/multi-recipe.ts before anything runs.
 *
 * Lazy by default, as mergekit-multi: a stage whose folder already holds a finished model is
 * skipped with a line saying so; --no-lazy merges every stage again. A stage that was cut off
 * holds no finished model, so it runs, and resumes its finished shards as `merge` does.
 * --dry-run stops after the checks and prints the order. Each stage's mergekit_config.yml is
 * its recipe with the stage names rewritten (as mergekit writes the patched config), so a
 * stage gives the same bytes as `merge` of that recipe into a folder of the same name.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadMultiRecipe, type MultiStage } from '../../workers/plan/multi-recipe.ts';
import { formatProblem } from '../../workers/plan/problems.ts';
import { recipeToYaml } from '../../workers/plan/recipe-yaml.ts';
import { flagPair, UsageError } from '../args.ts';
import { lazyLanes, MERGE_OPTIONS, mergeIntoFolder, mergeSettings } from '../merge-run.ts';
import { looksLikePath } from '../model-place.ts';

const USAGE =
  'merge-studio multi CONFIG.yml --intermediate-dir DIR [--out OUT] [--no-lazy] [--dry-run] [--models DIR] [--hub-url URL] [--token TOKEN]';

export async function multiCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...MERGE_OPTIONS,
      out: { type: 'string' },
      'out-path': { type: 'string' },
      'intermediate-dir': { type: 'string', short: 'I' },
      lazy: { type: 'boolean' },
      'no-lazy': { type: 'boolean' },
      'dry-run': { type: 'boolean' },
    },
  });
  const file = positionals[0];
  const dir = values['intermediate-dir'];
  if (!file || positionals.length > 1 || !dir) throw new UsageError(USAGE);
  const lazy = flagPair(values, 'lazy') ?? true;
  if (dir.startsWith('~'))
    throw new UsageError(`--intermediate-dir ${dir}: ~ is not expanded here: write the full path`);
  const sign = /[@+]/.exec(dir)?.[0];
  if (sign) {
    throw new UsageError(
      `--intermediate-dir ${dir} has a '${sign}': a later stage reads an earlier one's folder as a model reference, where @ starts a revision and + an adapter; choose a folder without them`,
    );
  }
  const settings = mergeSettings(values);
  // Written as a path (./x, not x), so that a stage's folder is never taken for a Hub repo.
  const dirRef = looksLikePath(dir) ? dir : `./${dir}`;
  const { stages, warnings } = loadMultiRecipe(await readFile(file, 'utf8'), dirRef, file);
  for (const w of warnings) process.stderr.write(`${formatProblem(w, file)}\n`);
  if (values.out !== undefined && values['out-path'] !== undefined)
    throw new UsageError("give --out or mergekit-multi's --out-path, not both");
  const out = checkOut(stages, values.out ?? values['out-path'], dir, file, values['dry-run'] === true);
  const folderOf = (s: MultiStage): string =>
    s.name === undefined ? (out ?? '--out') : path.join(dir, s.name);
  process.stdout.write(`${file}: ${stages.length} stage(s), in this order:\n`);
  for (const [i, s] of stages.entries()) {
    const reads = s.reads.length > 0 ? `, reads ${s.reads.join(', ')}` : '';
    process.stdout.write(
      `  ${i + 1}. ${s.name ?? 'the final merge'} (${s.recipe.merge_method}${reads}) -> ${folderOf(s)}\n`,
    );
  }
  if (values['dry-run']) {
    process.stdout.write(`${file}: valid; nothing merged (--dry-run)\n`);
    return;
  }
  const lanes = lazyLanes(settings.laneCount);
  try {
    for (const [i, s] of stages.entries()) {
      const folder = folderOf(s);
      process.stderr.write(
        `stage ${i + 1}/${stages.length}: ${s.name ?? 'the final merge'} into ${folder}\n`,
      );
      const job = {
        recipe: s.recipe,
        recipeText: recipeToYaml(s.recipe),
        out: folder,
        outputName: s.name ?? path.basename(path.resolve(folder)),
        keepFinished: lazy,
      };
      await mergeIntoFolder(job, settings, lanes);
    }
  } finally {
    await lanes.close();
  }
}

/** --out: required by a final merge (except in a dry run), refused when every stage is named. */
function checkOut(
  stages: readonly MultiStage[],
  out: string | undefined,
  dir: string,
  file: string,
  dry: boolean,
) {
  const final = stages.find((s) => s.name === undefined);
  if (!final) {
    if (out === undefined) return undefined;
    throw new UsageError(
      `every document of ${file} has a name, so each stage is written to ${dir}/<name> and none to --out: leave out --out, or remove 'name' from the stage to write there`,
    );
  }
  if (out === undefined) {
    if (dry) return undefined;
    throw new UsageError(
      `${file}:${final.line}: this document has no name, so it is the final merge, written to --out: give --out OUT (or give it a name: to write it to ${dir}/<name>)`,
    );
  }
  const taken = stages.find((s) => s.name !== undefined && path.resolve(dir, s.name) === path.resolve(out));
  if (taken) {
    throw new UsageError(`--out ${out} is the folder of stage ${taken.name!}: choose another output folder`);
  }
  return out;
}
