/**
 * The studio's teaching views, full width below the three columns: LERP vs SLERP on the unit
 * sphere, TIES step by step, and DARE / DELLA's drop and rescale, each on toy vectors or on the
 * tensors of the models in the merge. Every number is computed by the engine's own kernels and
 * sparsifiers; the views only place and draw them. Moving t or density can edit the recipe.
 */
import { useId, useState, type KeyboardEvent } from 'react';
import { DareView } from './dare/DareView.tsx';
import { SphereView } from './sphere/SphereView.tsx';
import { TiesView } from './ties/TiesView.tsx';
import './visualize.css';

const TABS = [
  { key: 'sphere', title: 'LERP vs SLERP', view: SphereView },
  { key: 'ties', title: 'TIES step by step', view: TiesView },
  { key: 'dare', title: 'DARE and DELLA', view: DareView },
] as const;

export function VisualizePanel() {
  const id = useId();
  const [active, setActive] = useState(0);
  const onKey = (e: KeyboardEvent<HTMLButtonElement>) => {
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    const to =
      e.key === 'Home' ? 0 : e.key === 'End' ? TABS.length - 1 : (active + step + TABS.length) % TABS.length;
    if (step === 0 && e.key !== 'Home' && e.key !== 'End') return;
    e.preventDefault();
    setActive(to);
    document.getElementById(`${id}-tab-${to}`)?.focus();
  };
  const View = TABS[active]!.view;
  return (
    <section className="wide-panel visualize" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>See how merging works</h2>
      <p className="muted">
        Toy vectors to learn on, or the tensors of the models you picked. Every point, bar and cell is
        computed by the merge engine’s own kernels.
      </p>
      <div className="vis-tabs" role="tablist" aria-label="Teaching views">
        {TABS.map((t, i) => (
          <button
            key={t.key}
            id={`${id}-tab-${i}`}
            type="button"
            role="tab"
            aria-selected={i === active}
            aria-controls={`${id}-panel`}
            tabIndex={i === active ? 0 : -1}
            onClick={() => setActive(i)}
            onKeyDown={onKey}
          >
            {t.title}
          </button>
        ))}
      </div>
      <div id={`${id}-panel`} role="tabpanel" aria-labelledby={`${id}-tab-${active}`}>
        <View />
      </div>
    </section>
  );
}
