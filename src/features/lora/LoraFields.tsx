/**
 * The Extract LoRA form's inputs: a model box (typed, or one of the models chosen in the model
 * picker, offered as suggestions), a checkbox with its explanation, and a list as a text area
 * (one entry a line: module names, patterns) whose problems are said at the field. Everything
 * typed is shown back as text, never as HTML.
 */
import { useId } from 'react';
import { useLiveText } from '../../shared/use-live-text.ts';
import { linesToList } from '../../stores/lora-edits.ts';

export function ModelInput(p: {
  readonly label: string;
  readonly value: string;
  readonly listId: string;
  readonly hint: string;
  readonly disabled: boolean;
  readonly onChange: (id: string) => void;
}) {
  const id = useId();
  return (
    <div className="lora-field">
      <label htmlFor={id}>{p.label}</label>
      <input
        id={id}
        list={p.listId}
        value={p.value}
        spellCheck={false}
        autoComplete="off"
        disabled={p.disabled}
        placeholder="org/model, or a chosen model"
        aria-describedby={`${id}-h`}
        onChange={(e) => p.onChange(e.target.value.trim())}
      />
      <p id={`${id}-h`} className="field-hint">
        {p.hint}
      </p>
    </div>
  );
}

export function Check(p: {
  readonly label: string;
  readonly checked: boolean;
  readonly hint: string;
  readonly disabled: boolean;
  readonly onChange: (checked: boolean) => void;
}) {
  const id = useId();
  return (
    <div className="lora-check">
      <label>
        <input
          type="checkbox"
          checked={p.checked}
          disabled={p.disabled}
          aria-describedby={`${id}-h`}
          onChange={(e) => p.onChange(e.target.checked)}
        />{' '}
        {p.label}
      </label>
      <p id={`${id}-h`} className="field-hint">
        {p.hint}
      </p>
    </div>
  );
}

/**
 * A list, one entry a line. While the user types, the text is theirs (a line being started
 * stays); the store gets the entries it holds (blank lines are none; `trim` trims each).
 */
export function ListField(p: {
  readonly label: string;
  readonly items: readonly string[];
  readonly hint: string;
  readonly placeholder: string;
  readonly problems: readonly string[];
  readonly trim?: boolean;
  readonly disabled: boolean;
  readonly onChange: (items: string[]) => void;
}) {
  const id = useId();
  const source = p.items.join('\n');
  // On blur the box shows the entries as stored: blank lines go.
  const { text, setText, focusHandlers } = useLiveText(source);
  const bad = p.problems.length > 0;
  return (
    <div className="lora-field">
      <label htmlFor={id}>{p.label}</label>
      <textarea
        id={id}
        rows={Math.min(5, Math.max(2, p.items.length + 1))}
        spellCheck={false}
        value={text}
        disabled={p.disabled}
        placeholder={p.placeholder}
        aria-invalid={bad}
        aria-describedby={`${id}-h`}
        {...focusHandlers}
        onChange={(e) => {
          setText(e.target.value);
          p.onChange(linesToList(e.target.value, p.trim));
        }}
      />
      <div id={`${id}-h`}>
        {bad ? (
          p.problems.map((m) => (
            <p key={m} className="field-error" role="alert">
              {m}
            </p>
          ))
        ) : (
          <p className="field-hint">{p.hint}</p>
        )}
      </div>
    </div>
  );
}
