/**
 * The recipe as mergekit YAML, both ways (shared/YamlEditor.tsx): edits made with the controls
 * show here at once, and YAML typed or imported here fills the controls when it is valid.
 * Invalid YAML is kept as a draft with line-precise problems; the current recipe stays as it
 * was, and Merge and Analyse wait until it is a recipe (selectRecipeProblems).
 */
import { parseRecipeYaml } from '../../../workers/plan/recipe-yaml.ts';
import { YamlEditor } from '../../shared/YamlEditor.tsx';
import { selectRecipeProblems, selectRecipeYaml } from '../../stores/selectors.ts';
import { useStudio } from '../../stores/store.ts';

/** Module-level, so the editor's memo of the text's problems keeps between renders. */
const recipeProblems = (text: string) => parseRecipeYaml(text).problems;

export function YamlPanel() {
  const yaml = useStudio(selectRecipeYaml);
  const draft = useStudio((s) => s.yamlDraft);
  const storeProblems = useStudio(selectRecipeProblems);
  const linkError = useStudio((s) => s.linkError);
  const setLinkError = useStudio((s) => s.setLinkError);
  const editYaml = useStudio((s) => s.editYaml);
  const discard = useStudio((s) => s.discardYamlDraft);
  return (
    <YamlEditor
      title="Recipe (mergekit YAML)"
      label="Recipe YAML"
      problemsLabel="Recipe problems"
      exportName="recipe.yml"
      source={draft ?? yaml}
      hasDraft={draft !== undefined}
      draftProblems={storeProblems}
      problemsOf={recipeProblems}
      onEdit={editYaml}
      onDiscard={discard}
      draftNotice="The YAML above has errors, so the controls still show the last valid recipe, and Merge and Analyse wait until it is fixed."
      linkError={linkError}
      onDismissLinkError={() => setLinkError(undefined)}
    />
  );
}
