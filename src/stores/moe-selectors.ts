/**
 * Narrow, pure selectors of the MoE builder (memoised where they build new values): its YAML,
 * the problems that YAML has (the CLI's, with their lines), the models it reads, and why Build
 * cannot start.
 */
import type { MoeConfig } from '../../workers/moe/moe-config.ts';
import { moeConfigToYaml, parseMoeYaml } from '../../workers/moe/moe-yaml.ts';
import type { RecipeProblem } from '../../workers/plan/problems.ts';
import { moeModelIds } from './moe-edits.ts';
import { memo } from './memo.ts';
import type { StudioState } from './store.ts';

const yamlOf = memo((c: MoeConfig) => moeConfigToYaml(c));
/** The form's config as mergekit-moe YAML: what a build runs and saves. */
export const selectMoeYaml = (s: StudioState): string => yamlOf(s.moe);

let lastProblems: { yaml: string; allowAllSame: boolean; problems: readonly RecipeProblem[] } | undefined;
function problemsOf(yaml: string, allowAllSame: boolean): readonly RecipeProblem[] {
  if (lastProblems?.yaml !== yaml || lastProblems.allowAllSame !== allowAllSame)
    lastProblems = { yaml, allowAllSame, problems: parseMoeYaml(yaml, { allowAllSame }).problems };
  return lastProblems.problems;
}
/**
 * What is wrong with the config the YAML editor shows: a draft's problems while there is one
 * (Build waits until it is fixed or discarded), else those of the form's YAML.
 */
export const selectMoeProblems = (s: StudioState): readonly RecipeProblem[] =>
  s.moeDraft !== undefined ? s.moeDraftProblems : problemsOf(selectMoeYaml(s), s.moeOptions.allowAllSame);

const errorsOf = memo((ps: readonly RecipeProblem[]) => ps.filter((p) => p.severity === 'error'));
/** The errors among them: Build waits while there is one. */
export const selectMoeErrors = (s: StudioState): readonly RecipeProblem[] => errorsOf(selectMoeProblems(s));

const idsOf = memo((c: MoeConfig): readonly string[] => moeModelIds(c));
/** The models the build reads, base first, each once. */
export const selectMoeModelIds = (s: StudioState): readonly string[] => idsOf(s.moe);

/** Why Build cannot start beyond the config's problems: local folders lost in a reload. */
export const selectMoeFoldersBlock = (s: StudioState): string | undefined => {
  const parts = [...new Set(selectMoeModelIds(s).flatMap((id) => id.split('+')))];
  const lost = parts.filter((id) => s.lostLocalFolders.includes(id) && !Object.hasOwn(s.localFolders, id));
  return lost.length === 0
    ? undefined
    : `Open the folder of ${lost.join(', ')} again first: a local folder's files are not kept across a reload.`;
};
