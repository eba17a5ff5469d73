/**
 * An expert's prompt list as a text area, one prompt a line. While the user types, the text is
 * theirs (a blank line being started stays); the store gets the prompts it holds. A list with a
 * prompt that spans lines cannot be shown one a line without changing it: the text area is then
 * read-only and the YAML is where to edit it.
 */
import { useId } from 'react';
import { useLiveText } from '../../shared/use-live-text.ts';
import { hasMultilinePrompt, promptsToText, textToPrompts } from '../../stores/moe-edits.ts';

export interface PromptsFieldProps {
  readonly label: string;
  readonly prompts: readonly string[] | undefined;
  readonly onChange: (prompts: string[]) => void;
  readonly hint: string;
  /** The gate mode needs prompts here and there are none: said at the field, not only in the YAML's problems. */
  readonly missing?: boolean;
}

export function PromptsField({ label, prompts, onChange, hint, missing = false }: PromptsFieldProps) {
  const id = useId();
  const source = promptsToText(prompts);
  // On blur the box shows the prompts as stored: blank lines go.
  const { text, setText, focusHandlers } = useLiveText(source);
  const multiline = hasMultilinePrompt(prompts);
  const count = prompts?.length ?? 0;
  return (
    <div className="moe-prompts">
      <label htmlFor={id}>{label}</label>
      <textarea
        id={id}
        rows={Math.min(6, Math.max(2, count + 1))}
        spellCheck={false}
        value={text}
        readOnly={multiline}
        aria-invalid={missing}
        aria-describedby={`${id}-h`}
        {...focusHandlers}
        onChange={(e) => {
          setText(e.target.value);
          onChange(textToPrompts(e.target.value));
        }}
      />
      <p id={`${id}-h`} className={missing ? 'field-error' : 'field-hint'}>
        {missing && 'Needed before Build: at least one prompt. '}
        {multiline ? 'A prompt here spans several lines: edit these prompts in the YAML.' : hint}{' '}
        {count > 0 && `(${count} prompt${count === 1 ? '' : 's'})`}
      </p>
    </div>
  );
}
