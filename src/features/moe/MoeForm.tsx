/**
 * The MoE config as a form: the base model, the gate mode (with what each one does), the
 * output dtype, experts per token, and the experts. Models are typed or picked from those
 * chosen in the model picker; how a config starts (the chosen models, a demo) is MoeStart's.
 */
import { useId } from 'react';
import { GATE_MODES, type GateMode } from '../../../workers/moe/moe-config.ts';
import { COMPUTE_DTYPES, type TorchDType } from '../../../workers/plan/recipe.ts';
import { selectModelIds } from '../../stores/selectors.ts';
import { useStudio } from '../../stores/store.ts';
import { ExpertCard } from './ExpertCard.tsx';
import { GATE_MODE_INFO } from './gate-modes.ts';
import { ChosenModelsList, ModelField } from './ModelField.tsx';
import { MoeStart } from './MoeStart.tsx';
import { NumberBox } from './NumberBox.tsx';
import './moe.css';

export function MoeForm() {
  const id = useId();
  const listId = `${id}-models`;
  const moe = useStudio((s) => s.moe);
  const chosen = useStudio(selectModelIds);
  const setBase = useStudio((s) => s.setMoeBase);
  const setGateMode = useStudio((s) => s.setMoeGateMode);
  const setDtype = useStudio((s) => s.setMoeDtype);
  const setPerToken = useStudio((s) => s.setMoeExpertsPerToken);
  const addExpert = useStudio((s) => s.addMoeExpert);
  const gate = GATE_MODE_INFO.find((g) => g.mode === moe.gate_mode);
  return (
    <div className="moe-form">
      <p className="muted">
        A Mixtral mixture of experts, as mergekit-moe builds it: the base model’s attention, embeddings and
        head, each expert model’s MLP, and a router per layer that picks experts for each token.
      </p>
      <ChosenModelsList id={listId} models={chosen} />
      <MoeStart />
      <ModelField label="Base model" value={moe.base_model} listId={listId} onChange={setBase} />
      <label htmlFor={`${id}-gate`}>Gate mode</label>
      <select
        id={`${id}-gate`}
        value={moe.gate_mode}
        aria-describedby={`${id}-gate-h`}
        onChange={(e) => setGateMode(e.target.value as GateMode)}
      >
        {GATE_MODES.map((m) => (
          <option key={m} value={m}>
            {GATE_MODE_INFO.find((g) => g.mode === m)?.label ?? m}
          </option>
        ))}
      </select>
      <p id={`${id}-gate-h`} className="field-hint">
        {gate?.explain}
      </p>
      <div className="moe-settings">
        <div>
          <label htmlFor={`${id}-dt`}>Output dtype</label>
          <select
            id={`${id}-dt`}
            value={moe.dtype ?? ''}
            onChange={(e) => setDtype((e.target.value || undefined) as TorchDType | undefined)}
          >
            <option value="">the base model’s</option>
            {COMPUTE_DTYPES.map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </div>
        <NumberBox
          label="Experts per token"
          integer
          min={1}
          value={moe.experts_per_token}
          onChange={(n) => n !== undefined && setPerToken(n)}
        />
      </div>
      <h3>Experts ({moe.experts.length})</h3>
      {moe.experts.length === 0 && (
        <p className="muted">
          No experts yet. Each expert is one model’s MLP in every layer, with the prompts its router learns
          from.
        </p>
      )}
      {moe.experts.map((e, i) => (
        <ExpertCard key={i} index={i} expert={e} listId={listId} needsPrompts={moe.gate_mode !== 'random'} />
      ))}
      <button type="button" onClick={() => addExpert()}>
        Add expert
      </button>
    </div>
  );
}
