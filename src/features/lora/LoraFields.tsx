/**
 * The Extract LoRA form's list input: a text area (one entry a line: module names, patterns)
 * whose problems are said at the field. Everything typed is shown back as text, never as HTML.
 * The model boxes and checkboxes are shared (../../shared/FormFields.tsx).
 */
import { useId } from 'react';
import { useLiveText } from '../../shared/use-live-text.ts';
import { linesToList } from '../../stores/lora-edits.ts';

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
    <div className="form-field">
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
