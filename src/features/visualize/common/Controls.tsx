/**
 * Small labelled controls the three views share: the toy / real data switch, model and tensor
 * pickers, and the bar that links a view's t or density to the recipe.
 */
import { useId } from 'react';
import type { LoadedModel } from '../../../../workers/io/load-model.ts';
import type { RecipeValue } from '../recipe-link.ts';

export type DataMode = 'toy' | 'real';

export function DataSwitch(p: {
  readonly mode: DataMode;
  readonly onChange: (m: DataMode) => void;
  /** Why real tensors cannot be shown yet (too few models), if so. */
  readonly realBlocked: string | undefined;
}) {
  const name = useId();
  return (
    <fieldset className="vis-data-switch">
      <legend>Data</legend>
      <label>
        <input type="radio" name={name} checked={p.mode === 'toy'} onChange={() => p.onChange('toy')} /> Toy
        vectors
      </label>
      <label>
        <input
          type="radio"
          name={name}
          checked={p.mode === 'real'}
          disabled={p.realBlocked !== undefined}
          onChange={() => p.onChange('real')}
        />{' '}
        Real tensors
      </label>
      {p.realBlocked && <p className="field-hint">{p.realBlocked}</p>}
    </fieldset>
  );
}

export function Choice(p: {
  readonly label: string;
  readonly value: string;
  readonly options: readonly { readonly value: string; readonly text: string }[];
  readonly onChange: (v: string) => void;
}) {
  const id = useId();
  return (
    <div className="vis-choice">
      <label htmlFor={id}>{p.label}</label>
      <select id={id} value={p.value} onChange={(e) => p.onChange(e.target.value)}>
        {p.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.text}
          </option>
        ))}
      </select>
    </div>
  );
}

export function tensorOptions(names: readonly string[], model: LoadedModel | undefined) {
  return names.map((n) => {
    const t = model?.tensors.get(n);
    return { value: n, text: t ? `${n}  [${t.shape.join(' x ')}]` : n };
  });
}

export function LoadState(p: { readonly pending: boolean; readonly error: string | undefined }) {
  if (p.error)
    return (
      <p className="field-error" role="alert">
        {p.error}
      </p>
    );
  return p.pending ? <p className="muted">Reading tensors…</p> : null;
}

function describe(v: RecipeValue): string {
  if (v === undefined) return 'not set';
  if (v === 'varies') return 'varies by layer';
  return String(Number(v.toFixed(3)));
}

export interface RecipeLinkProps {
  readonly param: string;
  readonly value: number;
  readonly recipeValue: RecipeValue;
  /** The recipe's method has this parameter (else applying switches method). */
  readonly linked: boolean;
  /** The method applying switches to, for the button's text. */
  readonly switchTo: string;
  readonly live: boolean;
  readonly onLive: (on: boolean) => void;
  readonly onApply: () => void;
  /** Why the recipe cannot be linked at all (slices), if so. */
  readonly blocked?: string | undefined;
  /**
   * The methods this view stands for ("DARE or DELLA"), for a recipe whose method has the
   * parameter but is not one of them: its value is shown, and the note names why it is not linked.
   */
  readonly methods?: string;
}

export function RecipeLink(p: RecipeLinkProps) {
  const shown = Number(p.value.toFixed(3));
  return (
    <div className="vis-link" role="group" aria-label={`Link ${p.param} to the recipe`}>
      <p>
        Recipe’s {p.param}:{' '}
        <strong data-testid={`recipe-${p.param}`}>
          {p.linked || (p.methods && p.recipeValue !== undefined) ? describe(p.recipeValue) : 'none'}
        </strong>
        {!p.linked && !p.blocked && (
          <span className="muted">
            {p.methods && p.recipeValue !== undefined
              ? ` (its method is not ${p.methods})`
              : ` (its method has no ${p.param})`}
          </span>
        )}
      </p>
      {p.blocked ? (
        <p className="muted">{p.blocked}</p>
      ) : (
        <>
          <button type="button" onClick={p.onApply}>
            {p.linked
              ? `Apply ${p.param} = ${shown} to the recipe`
              : `Switch the recipe to ${p.switchTo} with ${p.param} = ${shown}`}
          </button>
          <label className="vis-live">
            <input
              type="checkbox"
              role="switch"
              checked={p.live && p.linked}
              disabled={!p.linked}
              onChange={(e) => p.onLive(e.target.checked)}
            />{' '}
            Live link: moving {p.param} here edits the recipe
          </label>
        </>
      )}
    </div>
  );
}
