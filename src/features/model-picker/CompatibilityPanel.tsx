/**
 * The compatibility report of the chosen models, in plain words, before any weight is read. A
 * model whose vocabulary differs from the base's is offered the base's tokenizer: the button
 * opens Transplant tokenizer (mergekit-tokensurgeon) with that model and the base as donor.
 */
import { useModelInfos } from '../../engine/model-info.ts';
import { useStudio } from '../../stores/store.ts';
import { selectModelIds } from '../../stores/selectors.ts';
import { compatibilityForRecipe } from '../../../workers/plan/compatibility.ts';

/** Opens Transplant tokenizer with `model` and `donor`. */
function transplant(model: string, donor: string): void {
  const s = useStudio.getState();
  s.updateSurgery({ model, donor });
  s.setStudioMode('tokensurgeon');
}

export function CompatibilityPanel() {
  const ids = useStudio(selectModelIds);
  const recipe = useStudio((s) => s.recipe);
  const hubUrl = useStudio((s) => s.hubUrl);
  const token = useStudio((s) => s.token);
  const localFolders = useStudio((s) => s.localFolders);
  const infos = useModelInfos(ids, hubUrl, token, localFolders);
  if (ids.length < 2 || infos.some((q) => !q.data)) return null;
  const report = compatibilityForRecipe(recipe, new Map(infos.map((q) => [q.data!.id, q.data!])));
  const issues = report.models.flatMap((m) => m.issues.map((i) => ({ ...i, model: m.id })));
  const base = report.models.find((m) => m.id === report.base);
  const otherVocab = report.models.filter(
    (m) =>
      !m.isBase &&
      base?.vocabSize !== undefined &&
      m.vocabSize !== undefined &&
      m.vocabSize !== base.vocabSize,
  );
  return (
    <section className="compat" aria-label="Compatibility">
      <h3>Compatibility</h3>
      {issues.length === 0 ? (
        <p className="ok">All models share the base’s architecture, layers and tensor shapes.</p>
      ) : (
        <ul>
          {issues.map((i, k) => (
            <li key={k} className={`issue ${i.severity}`}>
              <strong>{i.model}:</strong> {i.message}
            </li>
          ))}
        </ul>
      )}
      {otherVocab.map((m) => (
        <p key={m.id} className="row">
          <button type="button" onClick={() => transplant(m.id, report.base)}>
            Give {m.id} the tokenizer of {report.base}
          </button>
        </p>
      ))}
    </section>
  );
}
