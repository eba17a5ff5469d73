/**
 * LoRA adapters on the chosen models, as mergekit writes them: applying adapter `org/lora` to
 * model `org/base` renames the model `org/base+org/lora` everywhere in the recipe (its
 * parameters stay with it), and removing it renames it back. The adapter is a Hub repo or an
 * adapter folder opened with "Open a local model folder…" (registered by its folder name).
 * Ids are shown as text only: they come from recipes and links.
 */
import { useId, useState, type ReactElement } from 'react';
import { selectModelIds } from '../../stores/selectors.ts';
import type { StudioState } from '../../stores/store.ts';
import { useStudio } from '../../stores/store.ts';
import { adapterParts, adapterProblem, withAdapter } from './adapter-text.ts';

/** A model's name: the id, or for `base+adapter` the base and the adapter apart. */
export function ModelName({ id }: { readonly id: string }) {
  const parts = adapterParts(id);
  if (!parts) return <strong>{id}</strong>;
  return (
    <span className="adapted-model">
      <strong>{parts.base}</strong> <span className="muted">with LoRA adapter</span>{' '}
      <strong>{parts.adapter}</strong>
    </span>
  );
}

export interface AdapterFieldsProps {
  /** Prefix of the elements' ids. */
  readonly id: string;
  readonly model: string;
  readonly text: string;
  /** The ids in the recipe: the adapted id must not be one of them. */
  readonly taken: readonly string[];
  /** Adapter folders opened in this page, offered as suggestions. */
  readonly localAdapters: readonly string[];
  readonly onText: (text: string) => void;
  readonly edit: Pick<StudioState, 'renameModel'>;
}

/**
 * The adapter box and its Apply button, without hooks (its caller keeps the text), so a test
 * can press it through the element tree.
 */
export function AdapterFields(p: AdapterFieldsProps): ReactElement {
  const problem = p.text.trim() === '' ? undefined : adapterProblem(p.model, p.text, p.taken);
  const apply = () => {
    if (adapterProblem(p.model, p.text, p.taken) === undefined)
      p.edit.renameModel(p.model, withAdapter(p.model, p.text));
  };
  return (
    <div className="adapter-fields">
      <div className="row">
        <input
          id={`${p.id}-adapter`}
          type="text"
          aria-label={`LoRA adapter for ${p.model}`}
          placeholder="org/lora-adapter or an opened adapter folder"
          list={p.localAdapters.length > 0 ? `${p.id}-folders` : undefined}
          value={p.text}
          aria-invalid={problem !== undefined}
          aria-describedby={problem ? `${p.id}-e` : `${p.id}-h`}
          onChange={(e) => p.onText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') apply();
          }}
        />
        <button
          id={`${p.id}-apply`}
          type="button"
          disabled={p.text.trim() === '' || problem !== undefined}
          aria-label={`Apply the LoRA adapter to ${p.model}`}
          onClick={apply}
        >
          Apply
        </button>
      </div>
      {p.localAdapters.length > 0 && (
        <datalist id={`${p.id}-folders`}>
          {p.localAdapters.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
      )}
      {problem ? (
        <p className="field-error" id={`${p.id}-e`} role="alert">
          {problem}
        </p>
      ) : (
        <p className="field-hint muted" id={`${p.id}-h`}>
          A PEFT LoRA adapter trained for this model: its weights are merged into the model as it is read (the
          recipe names it {withAdapter(p.model, 'adapter')}).
        </p>
      )}
    </div>
  );
}

/** "Apply LoRA adapter…": a disclosure with the adapter box, for a model without one. */
function ApplyAdapter({ model }: { readonly model: string }) {
  const id = useId();
  const [text, setText] = useState('');
  const taken = useStudio(selectModelIds);
  const folders = useStudio((s) => s.localFolders);
  const renameModel = useStudio((s) => s.renameModel);
  const localAdapters = Object.entries(folders)
    .filter(([, f]) => f.adapter === true)
    .map(([name]) => name);
  return (
    <details className="apply-adapter">
      <summary>Apply LoRA adapter…</summary>
      <AdapterFields
        id={id}
        model={model}
        text={text}
        taken={taken}
        localAdapters={localAdapters}
        onText={setText}
        edit={{ renameModel }}
      />
    </details>
  );
}

/** For a chosen model: "Apply LoRA adapter…", or "Remove adapter" when it has one. */
export function AdapterActions({ model }: { readonly model: string }) {
  const renameModel = useStudio((s) => s.renameModel);
  const parts = adapterParts(model);
  const baseChosen = useStudio((s) => parts !== undefined && selectModelIds(s).includes(parts.base));
  // A malformed reference (`a+b+c`, from the YAML) is the validator's to report.
  if (model.includes('+') && !parts) return null;
  if (!parts) return <ApplyAdapter model={model} />;
  return (
    <div className="chosen-actions">
      <button
        type="button"
        aria-label={`Remove adapter ${parts.adapter} from ${parts.base}`}
        disabled={baseChosen}
        onClick={() => renameModel(model, parts.base)}
      >
        Remove adapter
      </button>
      {baseChosen && <span className="muted">{parts.base} without the adapter is in the merge already.</span>}
    </div>
  );
}
