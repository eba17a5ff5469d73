/**
 * The MoE config as mergekit-moe YAML, both ways, as the merge recipe's YAML panel
 * (shared/YamlEditor.tsx): form edits show here at once; YAML typed or imported here fills the
 * form when it is a config's shape (even one mergekit's rules refuse: the form then shows it,
 * and the problems say why Build waits). Anything else stays a draft with the CLI's
 * line-numbered problems, the form keeping its config. Export writes the text on screen.
 */
import { useCallback } from 'react';
import { parseMoeYaml } from '../../../workers/moe/moe-yaml.ts';
import { YamlEditor } from '../../shared/YamlEditor.tsx';
import { selectMoeProblems, selectMoeYaml } from '../../stores/moe-selectors.ts';
import { useStudio } from '../../stores/store.ts';

export function MoeYamlPanel() {
  const yaml = useStudio(selectMoeYaml);
  const draft = useStudio((s) => s.moeDraft);
  const storeProblems = useStudio(selectMoeProblems);
  const allowAllSame = useStudio((s) => s.moeOptions.allowAllSame);
  const editYaml = useStudio((s) => s.editMoeYaml);
  const discard = useStudio((s) => s.discardMoeDraft);
  const linkError = useStudio((s) => s.moeLinkError);
  const setLinkError = useStudio((s) => s.setMoeLinkError);
  // Stable per option, so the editor checks the text again only when it or the option changes.
  const problemsOf = useCallback(
    (text: string) => parseMoeYaml(text, { allowAllSame }).problems,
    [allowAllSame],
  );
  return (
    <YamlEditor
      title="MoE config (mergekit-moe YAML)"
      label="MoE config YAML"
      problemsLabel="MoE config problems"
      // mergekit-moe's examples are .yml files.
      exportName="moe-config.yml"
      source={draft ?? yaml}
      hasDraft={draft !== undefined}
      draftProblems={storeProblems}
      problemsOf={problemsOf}
      onEdit={editYaml}
      onDiscard={discard}
      draftNotice="The YAML above is not a MoE config yet, so the form still shows the last one, and Build waits until it is fixed."
      linkError={linkError}
      onDismissLinkError={() => setLinkError(undefined)}
      hint="The same file runs with mergekit-moe and with merge-studio moe."
    />
  );
}
