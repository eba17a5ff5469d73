/**
 * The per-layer curve editor, opened by a parameter's "Vary … per layer" button (curveTarget in
 * the store) and closed with its Close button or Escape. It edits one ParameterSetting, global
 * (recipe.parameters) or one model's, as mergekit writes it: a number, a gradient, or filtered
 * curves with a catch-all last (see curve-model.ts). A drag only changes a local draft until
 * the pointer is released, so the recipe, the YAML and the URL change once per gesture; keys,
 * presets and buttons write at once.
 */
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { inferArchitecture, layerCountFromConfig } from '../../../workers/plan/architecture.ts';
import { buildPlan } from '../../../workers/plan/build-plan.ts';
import { selectMethod, selectModelIds } from '../../stores/selectors.ts';
import { useStudio } from '../../stores/store.ts';
import type { CurveTarget } from '../../stores/ui-slice.ts';
import { CurveChart } from './CurveChart.tsx';
import * as cm from './curve-model.ts';
import { CurveList } from './CurveList.tsx';
import { focusReturn } from './focus-return.ts';
import { DEFAULT_LAYERS, layerPositions } from './layer-positions.ts';
import { LayerValues, type PlanView } from './LayerValues.tsx';
import { ModelsLoader, type LoadedModels } from './ModelsLoader.tsx';
import { PresetBar } from './PresetBar.tsx';
import { groupTensors } from './tensor-groups.ts';
import { layerModel, targetSetting } from './target-setting.ts';
import './curves.css';

export function CurveEditor() {
  const target = useStudio((s) => s.curveTarget);
  const ids = useStudio(selectModelIds);
  // Opening the editor takes keyboard focus to it (it appears below the control that opened it);
  // closing it gives focus back to that control.
  const [back] = useState(focusReturn);
  useEffect(() => {
    if (!target) {
      back.closed();
      return;
    }
    const active = document.activeElement;
    if (active instanceof HTMLElement && active !== document.body)
      back.opened(active, active.closest('.curve-editor') !== null);
    document.getElementById('curve-editor-title')?.focus();
  }, [target, back]);
  if (!target) return null;
  return (
    <ModelsLoader ids={ids}>
      {(loaded) => (
        <CurvePanel key={`${target.name}/${target.model ?? ''}`} target={target} loaded={loaded} />
      )}
    </ModelsLoader>
  );
}

function usePlanView(loaded: LoadedModels, target: CurveTarget): PlanView {
  const recipe = useStudio((s) => s.recipe);
  return useMemo((): PlanView => {
    if (loaded.errors.length > 0) {
      const e = loaded.errors[0]!;
      return { kind: 'error', text: `Cannot read ${e.id}: ${e.message}` };
    }
    if (loaded.pending.length > 0)
      return { kind: 'waiting', text: `Reading the headers of ${loaded.pending.join(', ')}…` };
    if (loaded.models.size === 0) return { kind: 'waiting', text: 'Add models to see their tensors here.' };
    try {
      return { kind: 'groups', groups: groupTensors(buildPlan(recipe, loaded.models).tensors, target) };
    } catch (e) {
      return { kind: 'error', text: `The merge plan fails: ${(e as Error).message}` };
    }
  }, [recipe, loaded, target]);
}

function CurvePanel({ target, loaded }: { readonly target: CurveTarget; readonly loaded: LoadedModels }) {
  const recipe = useStudio((s) => s.recipe);
  const method = useStudio(selectMethod);
  const close = useStudio((s) => s.setCurveTarget);
  const setGlobalParam = useStudio((s) => s.setGlobalParam);
  const setModelParam = useStudio((s) => s.setModelParam);
  const [draft, setDraft] = useState<cm.CurveSet>();
  const draftRef = useRef<cm.CurveSet | undefined>(undefined);
  const [activePick, setActive] = useState<number>();
  const [anchorPick, setAnchor] = useState(0);
  const plan = usePlanView(loaded, target);
  const ts = targetSetting(recipe, method, target);
  const label = target.model ? `${target.name} of ${target.model}` : target.name;

  let parsed: cm.CurveSet | undefined;
  let problem = 'problem' in ts ? ts.problem : undefined;
  if (!('problem' in ts)) {
    try {
      parsed = cm.parseSetting(ts.start);
    } catch (e) {
      problem = `${label} cannot be drawn as curves: ${(e as Error).message}.`;
    }
  }
  const header = (
    <div className="curve-header">
      <h3 id="curve-editor-title" tabIndex={-1}>
        Per-layer curve: {label}
      </h3>
      <button type="button" onClick={() => close(undefined)}>
        Close
      </button>
    </div>
  );
  const frame = (body: ReactNode) => (
    <section
      className="curve-editor"
      aria-labelledby="curve-editor-title"
      onKeyDown={(e) => e.key === 'Escape' && close(undefined)}
    >
      {header}
      {body}
    </section>
  );
  if (problem !== undefined || 'problem' in ts || !parsed) return frame(<p role="status">{problem}</p>);

  const curves = draft ?? parsed;
  const fallbackIndex = curves.findIndex((c) => c.filter === undefined);
  const active = Math.min(activePick ?? (fallbackIndex >= 0 ? fallbackIndex : 0), curves.length - 1);
  const activeCurve = curves[active]!;
  const selected = Math.min(anchorPick, activeCurve.anchors.length - 1);
  const limits = cm.limitsOf(ts.spec);
  const domain = cm.axisDomain(limits, curves);
  const round = (v: number) => cm.clampValue(v, limits);
  const write = (next: cm.CurveSet) => {
    const setting = cm.toSetting(next);
    if (target.model) setModelParam(target.model, target.name, setting);
    else setGlobalParam(target.name, setting);
  };
  const setDraftBoth = (next: cm.CurveSet | undefined) => {
    draftRef.current = next;
    setDraft(next);
  };

  const counted = layerModel(recipe);
  const info = counted === undefined ? undefined : loaded.models.get(counted);
  const known = info && (layerCountFromConfig(info.config) ?? inferArchitecture(info).numLayers);
  const positions = layerPositions(recipe, known || DEFAULT_LAYERS);
  const sliced = recipe.slices !== undefined;

  return frame(
    <>
      <p className="muted">
        Editing {ts.where}.
        {ts.own === undefined && ' Not set here yet: the curves show what applies now; an edit sets it here.'}
        {!sliced && !known && ` Layer count not known yet: drawn over ${DEFAULT_LAYERS} layers.`}
      </p>
      <CurveChart
        paramLabel={label}
        curves={curves}
        active={active}
        positions={positions}
        sliced={sliced}
        domain={domain}
        step={limits.step}
        onSelectAnchor={setAnchor}
        onDrag={(k, v, d) =>
          setDraftBoth(
            cm.setAnchor(draftRef.current ?? curves, active, k, cm.clampValue(v, limits, d[0], d[1])),
          )
        }
        onDragEnd={() => {
          if (draftRef.current) write(draftRef.current);
          setDraftBoth(undefined);
        }}
        onKeyValue={(k, v) => write(cm.setAnchor(curves, active, k, round(v)))}
        onRemoveAnchor={(k) => write(cm.removeAnchor(curves, active, k))}
      />
      <div className="row">
        <button type="button" onClick={() => write(cm.addAnchor(curves, active, round))}>
          Add anchor
        </button>
        <button
          type="button"
          disabled={activeCurve.anchors.length <= 1}
          onClick={() => write(cm.removeAnchor(curves, active, selected))}
        >
          Remove anchor {selected + 1}
        </button>
        <span className="muted">
          Anchors are spread evenly over the layers; drag one, or focus it and use the arrow keys.
        </span>
      </div>
      <PresetBar
        curveLabel={cm.curveLabel(activeCurve)}
        limits={limits}
        current={activeCurve.anchors}
        onApply={(a) => write(cm.setAnchors(curves, active, a))}
      />
      <CurveList
        curves={curves}
        active={active}
        inheritedText={ts.inheritedText}
        onSelect={setActive}
        onAddFilter={(f) => {
          const start = curves[fallbackIndex]?.anchors ?? activeCurve.anchors;
          const next = cm.addFilterCurve(curves, f, start);
          write(next);
          setActive(next.findIndex((c) => c.filter === f));
        }}
        onAddCatchAll={() => {
          write(cm.addCatchAll(curves, activeCurve.anchors));
          setActive(curves.length);
        }}
        onMove={(i, d) => {
          write(cm.moveCurve(curves, i, d));
          if (i === active) setActive(i + d);
        }}
        onRemove={(i) => {
          write(cm.removeCurve(curves, i));
          setActive(undefined);
        }}
      />
      <LayerValues curves={curves} positions={positions} sliced={sliced} plan={plan} />
    </>,
  );
}
