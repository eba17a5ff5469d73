/** The models in the merge: order, base marker, size / dtype / layers, LoRA adapter, remove. */
import { modelIdParts } from '../../engine/local-files.ts';
import { useModelInfo } from '../../engine/model-info.ts';
import { formatBytes, formatCount } from '../../shared/format.ts';
import { selectMethod, selectModelIds } from '../../stores/selectors.ts';
import { DEMO_HUB_URL } from '../../stores/sources-slice.ts';
import { useStudio } from '../../stores/store.ts';
import { AdapterActions, ModelName } from './AdapterControls.tsx';
import { ReopenFolderButton } from './LocalFolderPicker.tsx';
import { layerCountFromConfig } from '../../../workers/plan/architecture.ts';
import type { InputModel } from '../../../workers/plan/recipe.ts';

/**
 * A model opened from a folder before a reload: its files are gone with the page, so it is not
 * looked up on the hub (a hub model of that name would quietly stand in for it).
 */
function LostFolder({ id }: { readonly id: string }) {
  return (
    <span className="lost-folder">
      <span className="field-error">
        {id} was a local folder: its files are not kept across a reload, so open the folder again.
      </span>{' '}
      <ReopenFolderButton id={id} />
    </span>
  );
}

/** A part of the model (itself, or the base or adapter of `base+adapter`) that was a folder before a reload. */
function ModelDetails({ id }: { readonly id: string }) {
  const lost = useStudio((s) =>
    modelIdParts(id).find((part) => !(part in s.localFolders) && s.lostLocalFolders.includes(part)),
  );
  return lost !== undefined ? <LostFolder id={lost} /> : <HubOrFolderDetails id={id} />;
}

/** Which parts come from opened folders: '', 'local folder · ', or for `base+adapter` which. */
function placeLabel(parts: readonly string[], folders: Readonly<Record<string, unknown>>): string {
  const local = parts.map((p) => p in folders);
  if (!local.includes(true)) return '';
  if (parts.length === 1) return 'local folder · ';
  return local.every(Boolean) ? 'local folders · ' : local[0] ? 'local base · ' : 'local adapter · ';
}

function HubOrFolderDetails({ id }: { readonly id: string }) {
  const hubUrl = useStudio((s) => s.hubUrl);
  const token = useStudio((s) => s.token);
  const local = useStudio((s) => id in s.localFolders);
  const place = useStudio((s) => placeLabel(modelIdParts(id), s.localFolders));
  const info = useModelInfo(id, hubUrl, token, local);
  if (info.isPending) return <span className="muted">reading headers…</span>;
  if (info.isError) return <span className="field-error">{(info.error as Error).message}</span>;
  const m = info.data;
  const params = [...m.tensors.values()].reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
  const bytes = m.weightFiles.reduce((s, f) => s + f.size, 0);
  const dtypes = [...new Set([...m.tensors.values()].map((t) => t.dtype))].join(', ');
  const pickled = m.weightFiles.some((f) => f.path.endsWith('.bin'));
  return (
    <span className="muted">
      {place}
      {formatCount(params)} params · {formatBytes(bytes)} · {dtypes} · {layerCountFromConfig(m.config) ?? '?'}{' '}
      layers
      {pickled && (
        <span title="Stored as pytorch_model.bin: its tensors are read by range like safetensors, and its pickle is read as data, never run">
          {' '}
          · PyTorch checkpoint
        </span>
      )}
    </span>
  );
}

const NO_MODELS: readonly InputModel[] = [];

/** A first recipe on the bundled demo models, so the studio can be tried at once. */
const DEMO_RECIPE = `merge_method: ties
base_model: tinymix-base
models:
  - model: tinymix-base
  - model: tinymix-code
    parameters: {weight: 0.5, density: 0.5}
  - model: tinymix-math
    parameters: {weight: 0.5, density: 0.5}
`;

function EmptyState() {
  // The MoE builder offers its own demo (features/moe): this one loads a merge recipe.
  const onDemo = useStudio((s) => s.hubUrl === DEMO_HUB_URL && s.studioMode === 'merge');
  const editYaml = useStudio((s) => s.editYaml);
  return (
    <div>
      <p className="muted">No models yet: search the hub or open a local folder.</p>
      {onDemo && (
        <button type="button" onClick={() => editYaml(DEMO_RECIPE)}>
          Start from a demo recipe (TIES of the code and math models)
        </button>
      )}
    </div>
  );
}

export function ChosenModels() {
  const models = useStudio((s) => s.recipe.models) ?? NO_MODELS;
  const base = useStudio((s) => s.recipe.base_model);
  const method = useStudio(selectMethod);
  const setBase = useStudio((s) => s.setBase);
  const removeModel = useStudio((s) => s.removeModel);
  const forgetLost = useStudio((s) => s.forgetLostLocalFolder);
  const moveModel = useStudio((s) => s.moveModel);
  const usesBase = method.base !== 'input';
  const sliced = useStudio((s) => s.recipe.slices !== undefined);
  const perModule = useStudio((s) => s.recipe.modules !== undefined);
  const ids = useStudio(selectModelIds);
  if (sliced || perModule) {
    return (
      <ul className="chosen-models" aria-label="Models in the merge">
        {ids.map((id) => (
          <li key={id}>
            <ModelName id={id} />
            {id === base && usesBase && <span className="badge base">base</span>}
            <ModelDetails id={id} />
            <AdapterActions model={id} />
          </li>
        ))}
        <li className="muted">
          {perModule
            ? 'This recipe uses modules: (a vision-language model, each module merged on its own): edit which models each module takes in the YAML.'
            : 'This recipe uses slices: edit which layers come from which model in the slices editor.'}
        </li>
      </ul>
    );
  }
  if (models.length === 0) return <EmptyState />;
  return (
    <ol className="chosen-models" aria-label="Models in the merge">
      {models.map((m, i) => (
        <li key={m.model}>
          <div className="chosen-row">
            <ModelName id={m.model} />
            {m.model === base && usesBase && <span className="badge base">base</span>}
          </div>
          <ModelDetails id={m.model} />
          <div className="chosen-actions">
            {usesBase && (
              <label>
                <input
                  type="radio"
                  name="base-model"
                  aria-label={`Use ${m.model} as the base model`}
                  checked={m.model === base}
                  onChange={() => setBase(m.model)}
                />{' '}
                Base model
              </label>
            )}
            <button
              type="button"
              onClick={() => moveModel(m.model, -1)}
              disabled={i === 0}
              aria-label={`Move ${m.model} up`}
            >
              ↑
            </button>
            <button
              type="button"
              onClick={() => moveModel(m.model, 1)}
              disabled={i === models.length - 1}
              aria-label={`Move ${m.model} down`}
            >
              ↓
            </button>
            <button
              type="button"
              onClick={() => {
                removeModel(m.model);
                forgetLost(m.model);
              }}
              aria-label={`Remove ${m.model}`}
            >
              Remove
            </button>
          </div>
          <AdapterActions model={m.model} />
        </li>
      ))}
    </ol>
  );
}
