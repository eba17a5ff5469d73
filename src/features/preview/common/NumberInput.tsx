/**
 * A labelled number box that keeps what the user types (a half-typed "0." stays) and reports
 * only finite numbers; it follows the value when it changes from outside.
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
}

export function NumberInput(p: NumberInputProps) {
  const id = useId();
  const [text, setText] = useState(String(p.value));
  const [shown, setShown] = useState(p.value);
  if (shown !== p.value) {
    setShown(p.value);
    setText(String(p.value));
  }
  const bad = (v: number): boolean =>
    !Number.isFinite(v) ||
    (p.integer === true && !Number.isInteger(v)) ||
    (p.min !== undefined && v < p.min) ||
    (p.max !== undefined && v > p.max);
  const v = Number(text);
  const invalid = text.trim() === '' || bad(v);
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
        aria-invalid={invalid}
        onChange={(e) => {
          setText(e.target.value);
          const x = Number(e.target.value);
          if (e.target.value.trim() !== '' && !bad(x)) {
            setShown(x);
            p.onChange(x);
          }
        }}
      />
    </span>
  );
}
