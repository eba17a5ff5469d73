/** Which texts losses are measured on, shared by evaluation, sweeps and soups. */
import { useId } from 'react';
import type { WindowChoice } from '../../../workers/runtime/preview-api.ts';
import { BUILTIN_TEXTS, type TextChoice } from './eval-texts.ts';

const WINDOW_CHOICES: readonly { readonly value: WindowChoice; readonly label: string }[] = [
  { value: 24, label: '24 spread over each text (fast)' },
  { value: 48, label: '48 spread over each text' },
  { value: 'all', label: 'all of each text (exact, slower)' },
];

export function TextsPicker({
  choice,
  onChange,
}: {
  readonly choice: TextChoice;
  readonly onChange: (c: TextChoice) => void;
}) {
  const id = useId();
  const toggle = (name: string, on: boolean): void => {
    const chosen = new Set(choice.builtin);
    if (on) chosen.add(name);
    else chosen.delete(name);
    onChange({ ...choice, builtin: BUILTIN_TEXTS.map((t) => t.name).filter((n) => chosen.has(n)) });
  };
  return (
    <fieldset className="texts-picker">
      <legend>Texts to measure the loss on</legend>
      <div className="row">
        {BUILTIN_TEXTS.map((t) => (
          <label key={t.name}>
            <input
              type="checkbox"
              checked={choice.builtin.includes(t.name)}
              onChange={(e) => toggle(t.name, e.target.checked)}
            />{' '}
            {t.label}
          </label>
        ))}
      </div>
      <label htmlFor={`${id}-paste`}>Your own text (optional, at least 129 tokens)</label>
      <textarea
        id={`${id}-paste`}
        rows={2}
        value={choice.pasted}
        placeholder="Paste text from the domain you care about"
        onChange={(e) => onChange({ ...choice, pasted: e.target.value })}
      />
      <div className="row">
        <label htmlFor={`${id}-win`}>Windows of 128 tokens</label>
        <select
          id={`${id}-win`}
          value={String(choice.windows)}
          onChange={(e) =>
            onChange({ ...choice, windows: e.target.value === 'all' ? 'all' : Number(e.target.value) })
          }
        >
          {WINDOW_CHOICES.map((w) => (
            <option key={String(w.value)} value={String(w.value)}>
              {w.label}
            </option>
          ))}
        </select>
      </div>
    </fieldset>
  );
}
