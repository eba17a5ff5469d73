/**
 * Preview before merging, full width at the bottom of the studio: the per-layer analysis, the
 * losses of the models and of the recipe's merge, parameter sweeps, greedy soups and "try it"
 * generation. Every computation runs in a preview worker (src/engine/preview-client.ts) and
 * comes back as numbers; merges are made in memory, for small models only (the engine's size
 * guard says so otherwise). The views stay mounted when another tab is shown, so results and
 * running tasks survive switching.
 */
import { useId, useState, type KeyboardEvent } from 'react';
import { formatPath } from '../../../workers/plan/problems.ts';
import { selectModelIds, selectRecipeProblems } from '../../stores/selectors.ts';
import { useStudio } from '../../stores/store.ts';
import { AnalysisView } from './analysis/AnalysisView.tsx';
import { DEFAULT_TEXTS, type TextChoice } from './eval-texts.ts';
import { EvaluateView } from './evaluate/EvaluateView.tsx';
import { SoupView } from './soup/SoupView.tsx';
import { SweepView } from './sweep/SweepView.tsx';
import { TextsPicker } from './TextsPicker.tsx';
import { TryItView } from './tryit/TryItView.tsx';
import './preview.css';

const TABS = ['Layer analysis', 'Evaluate', 'Sweep', 'Greedy soup', 'Try it'] as const;

/** Why the recipe cannot be previewed yet, or undefined. */
function useBlocked(): string | undefined {
  const ids = useStudio(selectModelIds);
  const problems = useStudio(selectRecipeProblems);
  if (ids.length === 0) return 'Add models to the merge first.';
  const error = problems.find((p) => p.severity === 'error');
  return error && `Fix the recipe first: ${formatPath(error.path)}: ${error.message}.`;
}

export function PreviewPanel() {
  const id = useId();
  const [active, setActive] = useState(0);
  const [texts, setTexts] = useState<TextChoice>(DEFAULT_TEXTS);
  const blocked = useBlocked();
  const onKey = (e: KeyboardEvent<HTMLButtonElement>): void => {
    const n = TABS.length;
    const to = { ArrowRight: (active + 1) % n, ArrowLeft: (active + n - 1) % n, Home: 0, End: n - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    setActive(to);
    document.getElementById(`${id}-tab-${to}`)?.focus();
  };
  const panel = (i: number) => ({
    id: `${id}-panel-${i}`,
    role: 'tabpanel',
    'aria-labelledby': `${id}-tab-${i}`,
    hidden: i !== active,
    className: 'preview-tabpanel',
  });
  return (
    <section className="wide-panel preview" aria-label="Preview">
      <h2>Preview before merging</h2>
      <p className="muted">
        Is the merge any good? Look at the layers, measure losses, sweep parameters and try the merge, all in
        this tab, before spending the download and the disk on it.
      </p>
      <div className="preview-tabs" role="tablist" aria-label="Preview views">
        {TABS.map((t, i) => (
          <button
            key={t}
            id={`${id}-tab-${i}`}
            type="button"
            role="tab"
            aria-selected={i === active}
            aria-controls={`${id}-panel-${i}`}
            tabIndex={i === active ? 0 : -1}
            onClick={() => setActive(i)}
            onKeyDown={onKey}
          >
            {t}
          </button>
        ))}
      </div>
      {active >= 1 && active <= 3 && <TextsPicker choice={texts} onChange={setTexts} />}
      <div {...panel(0)}>
        <AnalysisView blocked={blocked} />
      </div>
      <div {...panel(1)}>
        <EvaluateView texts={texts} blocked={blocked} />
      </div>
      <div {...panel(2)}>
        <SweepView texts={texts} blocked={blocked} />
      </div>
      <div {...panel(3)}>
        <SoupView texts={texts} />
      </div>
      <div {...panel(4)}>
        <TryItView blocked={blocked} />
      </div>
    </section>
  );
}
