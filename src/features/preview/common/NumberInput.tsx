/**
 * A labelled number box that keeps what the user types (a half-typed "0." stays) and reports
 * only valid numbers; it follows the value when it changes from outside. A value it refuses
 * is said next to it (the previous value stays in use), and `onValidity` tells the view, which
 * holds its run button until the box is fixed.
 */
import { useId, useState } from 'react';

export interface NumberInputProps {
  readonly label: string;
  readonly value: number;
  readonly onChange: (v: number) => void;
  readonly min?: number;
  readonly max?: number;
  readonly step?: number;
  readonly integer?: boolean;
  /** Called with false when the box holds a value it refuses, and true once it is fixed. */
  readonly onValidity?: (valid: boolean) => void;
}

/** Why `text` is refused ("must be at most 1"), or undefined when it is a valid value. */
export function numberProblem(
  text: string,
  p: Pick<NumberInputProps, 'min' | 'max' | 'integer'>,
): string | undefined {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) return 'enter a number';
  if (p.integer === true && !Number.isInteger(v)) return 'enter a whole number';
  if (p.min !== undefined && v < p.min) return `must be at least ${p.min}`;
  if (p.max !== undefined && v > p.max) return `must be at most ${p.max}`;
  return undefined;
}

export function NumberInput(p: NumberInputProps) {
  const id = useId();
  const [text, setText] = useState(String(p.value));
  const [shown, setShown] = useState(p.value);
  if (shown !== p.value) {
    setShown(p.value);
    setText(String(p.value));
  }
  const problem = numberProblem(text, p);
  return (
    <span className="number-input">
      <label htmlFor={id}>{p.label}</label>
      <input
        id={id}
        type="number"
        inputMode="decimal"
        min={p.min}
        max={p.max}
        step={p.step ?? 'any'}
        value={text}
        aria-invalid={problem !== undefined}
        aria-describedby={problem ? `${id}-e` : undefined}
        onChange={(e) => {
          setText(e.target.value);
          const bad = numberProblem(e.target.value, p);
          p.onValidity?.(bad === undefined);
          if (bad === undefined) {
            const x = Number(e.target.value);
            setShown(x);
            p.onChange(x);
          }
        }}
      />
      {problem && (
        <span className="field-error" id={`${id}-e`} role="alert">
          {p.label} {problem}: {p.value} is used until it is fixed.
        </span>
      )}
    </span>
  );
}

/**
 * For a view with several NumberInputs and a run button: `invalid` names the boxes that hold
 * a refused value; `validity(name)` is the onValidity to give the box called `name`.
 */
export function useInvalidInputs(): {
  readonly invalid: readonly string[];
  readonly validity: (name: string) => (valid: boolean) => void;
} {
  const [invalid, setInvalid] = useState<readonly string[]>([]);
  return {
    invalid,
    validity: (name) => (valid) =>
      setInvalid((was) => {
        const without = was.filter((n) => n !== name);
        return valid
          ? without.length === was.length
            ? was
            : without
          : was.includes(name)
            ? was
            : [...without, name];
      }),
  };
}
