/**
 * A labelled number box that keeps what the user types (a half-typed "0." stays) and hands on
 * only numbers it accepts; it follows the value when it changes from outside. An optional box
 * may be emptied (the key leaves the config); a refused entry is said next to it and the
 * previous value stays.
 */
import { useId, useState } from 'react';

export interface NumberBoxProps {
  readonly label: string;
  readonly value: number | undefined;
  readonly onChange: (v: number | undefined) => void;
  /** Empty means "not set" (mergekit's default); otherwise emptying is refused. */
  readonly optional?: boolean;
  readonly integer?: boolean;
  readonly min?: number;
  readonly placeholder?: string;
  readonly hint?: string;
}

/** Why `text` is refused, or undefined: then `value` is what it stands for. */
export function readNumberBox(
  text: string,
  p: Pick<NumberBoxProps, 'optional' | 'integer' | 'min'>,
): { problem?: string; value?: number } {
  if (text.trim() === '') return p.optional ? {} : { problem: 'enter a number' };
  const v = Number(text);
  if (!Number.isFinite(v)) return { problem: 'enter a number' };
  if (p.integer && !Number.isInteger(v)) return { problem: 'enter a whole number' };
  if (p.min !== undefined && v < p.min) return { problem: `must be at least ${p.min}` };
  return { value: v };
}

export function NumberBox(p: NumberBoxProps) {
  const id = useId();
  const [text, setText] = useState(p.value === undefined ? '' : String(p.value));
  const [shown, setShown] = useState(p.value);
  if (shown !== p.value) {
    setShown(p.value);
    setText(p.value === undefined ? '' : String(p.value));
  }
  const { problem } = readNumberBox(text, p);
  const described = problem ? `${id}-e` : p.hint ? `${id}-h` : undefined;
  return (
    <div className="moe-number">
      <label htmlFor={id}>{p.label}</label>
      <input
        id={id}
        type="number"
        inputMode="decimal"
        step="any"
        min={p.min}
        value={text}
        placeholder={p.placeholder}
        aria-invalid={problem !== undefined}
        aria-describedby={described}
        onChange={(e) => {
          setText(e.target.value);
          const read = readNumberBox(e.target.value, p);
          if (read.problem === undefined && read.value !== p.value) {
            setShown(read.value);
            p.onChange(read.value);
          }
        }}
      />
      {problem ? (
        <p id={`${id}-e`} className="field-error" role="alert">
          {p.label}: {problem}
        </p>
      ) : (
        p.hint && (
          <p id={`${id}-h`} className="field-hint">
            {p.hint}
          </p>
        )
      )}
    </div>
  );
}
