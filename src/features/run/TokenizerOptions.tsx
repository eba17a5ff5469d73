/**
 * The output's tokenizer and chat template, as mergekit's `tokenizer_source` / `tokenizer:` and
 * `chat_template` keys (edits in src/stores/tokenizer-edits.ts). `TokenizerFields` has no hooks,
 * so tests call it as a plain function with the store's state and press its controls;
 * `TokenizerOptions` feeds it from the store. Model ids come from the recipe, which may come from
 * a link: they are only ever rendered as text.
 */
import { BUILTIN_CHAT_TEMPLATE_NAMES } from '../../../workers/plan/chat-templates.ts';
import { referencedModels, tokenizerSource, type Recipe } from '../../../workers/plan/recipe.ts';
import { selectRecipe } from '../../stores/selectors.ts';
import { type StudioState, useStudio } from '../../stores/store.ts';

export type TokenizerActions = Pick<
  StudioState,
  'setTokenizerSource' | 'setPadToMultipleOf' | 'setChatTemplate'
>;

export interface TokenizerFieldsProps {
  /** Prefix of the controls' ids (the run panel's useId). */
  readonly id: string;
  readonly recipe: Recipe;
  readonly edit: TokenizerActions;
}

// The select's value for "no key": model ids are never empty.
const NONE = '';
const KEYWORDS: readonly string[] = ['base', 'union'];
const BUILTINS: readonly string[] = BUILTIN_CHAT_TEMPLATE_NAMES;

/** What choosing "Base model's files" would drop beyond the source, as YAML keys. */
function droppedWithSource(r: Recipe): string[] {
  const t = r.tokenizer;
  return [
    ...(t?.tokens ? ['tokenizer.tokens'] : []),
    ...(t?.pad_to_multiple_of !== undefined ? ['tokenizer.pad_to_multiple_of'] : []),
  ];
}

export function TokenizerFields({ id, recipe, edit }: TokenizerFieldsProps) {
  const source = tokenizerSource(recipe);
  // `base` and `union` are keywords, never a model (as mergekit reads them).
  const models = referencedModels(recipe).filter((m) => !KEYWORDS.includes(m));
  // A source typed in the YAML that names no model of the recipe (planning reports it) stays shown.
  const stray = source !== undefined && !KEYWORDS.includes(source) && !models.includes(source);
  const dropped = droppedWithSource(recipe);
  const dropNote =
    dropped.length > 0
      ? `“Base model’s files” also removes ${dropped.join(' and ')} from the recipe.`
      : undefined;
  const pad = recipe.tokenizer?.pad_to_multiple_of;
  const padHint =
    source === undefined
      ? 'Choose a tokenizer above to pad the vocabulary.'
      : recipe.tokenizer_source !== undefined
        ? 'A number here writes a tokenizer: block in place of tokenizer_source.'
        : undefined;
  const chat = recipe.chat_template;
  const custom = chat !== undefined && chat !== 'auto' && !BUILTINS.includes(chat);
  return (
    <>
      <label htmlFor={`${id}-tok`}>Tokenizer</label>
      <select
        id={`${id}-tok`}
        value={source ?? NONE}
        aria-describedby={dropNote ? `${id}-tok-hint` : undefined}
        onChange={(e) => edit.setTokenizerSource(e.target.value === NONE ? undefined : e.target.value)}
      >
        <option value={NONE} title={dropNote}>
          Base model’s files (merge rows by id)
        </option>
        <option value="base">Base tokenizer</option>
        <option value="union">Union of all models’ tokens</option>
        {models.map((m) => (
          <option key={m} value={m}>
            {m}’s tokenizer
          </option>
        ))}
        {stray && <option value={source}>{source}’s tokenizer (not a model of the recipe)</option>}
      </select>
      {dropNote && (
        <p id={`${id}-tok-hint`} className="field-hint">
          {dropNote}
        </p>
      )}
      <label htmlFor={`${id}-pad`}>Pad vocab to a multiple of</label>
      <input
        id={`${id}-pad`}
        type="number"
        min={1}
        step={1}
        value={pad ?? ''}
        placeholder="no padding"
        disabled={source === undefined}
        aria-describedby={padHint ? `${id}-pad-hint` : undefined}
        onChange={(e) => {
          const raw = e.target.value.trim();
          const n = Number(raw);
          // Empty removes the key; anything but a whole number from 1 is not taken.
          if (raw === '') edit.setPadToMultipleOf(undefined);
          else if (Number.isInteger(n) && n >= 1) edit.setPadToMultipleOf(n);
        }}
      />
      {padHint && (
        <p id={`${id}-pad-hint`} className="field-hint">
          {padHint}
        </p>
      )}
      <label htmlFor={`${id}-chat`}>Chat template</label>
      <select
        id={`${id}-chat`}
        value={chat ?? NONE}
        onChange={(e) => edit.setChatTemplate(e.target.value === NONE ? undefined : e.target.value)}
      >
        <option value={NONE}>Keep the donor’s</option>
        <option value="auto">auto (the models’ most common)</option>
        {BUILTINS.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
        {/* A literal Jinja template from the YAML: selected, and kept as it is. */}
        {custom && <option value={chat}>Custom (from YAML)</option>}
      </select>
    </>
  );
}

/** The fields, fed from the store. */
export function TokenizerOptions({ id }: { readonly id: string }) {
  const recipe = useStudio(selectRecipe);
  const setTokenizerSource = useStudio((s) => s.setTokenizerSource);
  const setPadToMultipleOf = useStudio((s) => s.setPadToMultipleOf);
  const setChatTemplate = useStudio((s) => s.setChatTemplate);
  return (
    <TokenizerFields
      id={id}
      recipe={recipe}
      edit={{ setTokenizerSource, setPadToMultipleOf, setChatTemplate }}
    />
  );
}
