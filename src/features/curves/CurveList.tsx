/**
 * The curves of one parameter, in match order: filtered curves first (a tensor follows the
 * first whose filter is part of its name), then the catch-all. One is active (drawn bold, with
 * handles); new filter curves start as a copy of the catch-all, so adding one changes nothing
 * until it is edited.
 */
import { useId, useState } from 'react';
import { curveLabel, type CurveSet } from './curve-model.ts';
import { curveColor } from './curve-colors.ts';

/** The filters most recipes split on: attention and MLP weights of transformers' decoders. */
const QUICK_FILTERS = ['self_attn', 'mlp'];

export interface CurveListProps {
  readonly curves: CurveSet;
  readonly active: number;
  /** What tensors that no curve matches get (the next level's value or the default). */
  readonly inheritedText: string;
  readonly onSelect: (i: number) => void;
  readonly onAddFilter: (filter: string) => void;
  readonly onAddCatchAll: () => void;
  readonly onMove: (i: number, delta: -1 | 1) => void;
  readonly onRemove: (i: number) => void;
}

export function CurveList(p: CurveListProps) {
  const id = useId();
  const [filter, setFilter] = useState('');
  const [error, setError] = useState<string>();
  const hasFallback = p.curves.some((c) => c.filter === undefined);
  const add = (f: string) => {
    const text = f.trim();
    if (text === '') return setError('type part of a tensor name, e.g. q_proj');
    if (p.curves.some((c) => c.filter === text)) return setError(`there is already a curve for ${text}`);
    setError(undefined);
    setFilter('');
    p.onAddFilter(text);
  };
  const filtered = p.curves.filter((c) => c.filter !== undefined).length;
  return (
    <fieldset className="curve-list">
      <legend>Curves (a tensor follows the first filter its name contains)</legend>
      <ul>
        {p.curves.map((c, i) => (
          <li key={c.filter ?? '*'} className={i === p.active ? 'active' : undefined}>
            <label>
              <input
                type="radio"
                name={`${id}-active`}
                checked={i === p.active}
                onChange={() => p.onSelect(i)}
              />
              <span className="swatch" style={{ background: curveColor(p.curves, i) }} aria-hidden="true" />
              {c.filter === undefined ? 'Other tensors' : <code>{c.filter}</code>}
              <span className="muted">
                {' '}
                · {c.anchors.length === 1 ? 'flat' : `${c.anchors.length} anchors`}
              </span>
            </label>
            {c.filter !== undefined && (
              <>
                <button
                  type="button"
                  disabled={i === 0}
                  onClick={() => p.onMove(i, -1)}
                  aria-label={`Try the ${curveLabel(c)} curve earlier`}
                >
                  ↑
                </button>
                <button
                  type="button"
                  disabled={i >= filtered - 1}
                  onClick={() => p.onMove(i, 1)}
                  aria-label={`Try the ${curveLabel(c)} curve later`}
                >
                  ↓
                </button>
              </>
            )}
            <button
              type="button"
              disabled={p.curves.length === 1}
              onClick={() => p.onRemove(i)}
              aria-label={`Remove the ${curveLabel(c)} curve`}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      {!hasFallback && (
        <p className="muted">
          Tensors that match no filter get {p.inheritedText}.{' '}
          <button type="button" onClick={p.onAddCatchAll}>
            Add a curve for other tensors
          </button>
        </p>
      )}
      <div className="row">
        {QUICK_FILTERS.filter((f) => !p.curves.some((c) => c.filter === f)).map((f) => (
          <button key={f} type="button" onClick={() => add(f)}>
            Add {f} curve
          </button>
        ))}
      </div>
      <div className="row">
        <label htmlFor={`${id}-f`}>Filter (part of a tensor name)</label>
        <input
          id={`${id}-f`}
          type="text"
          value={filter}
          placeholder="e.g. o_proj"
          aria-invalid={error !== undefined}
          aria-describedby={error ? `${id}-e` : undefined}
          onChange={(e) => setFilter(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && add(filter)}
        />
        <button type="button" onClick={() => add(filter)}>
          Add filter curve
        </button>
      </div>
      {error && (
        <p className="field-error" id={`${id}-e`} role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}
