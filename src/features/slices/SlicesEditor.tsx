/**
 * The slices editor: layer ranges per model, for frankenmerges (passthrough stacks) and merges
 * that pair layers across depths. It switches the recipe between `models:` and `slices:`; see
 * slices-model.ts for what a models: recipe becomes (passthrough: one slice per model, in
 * order; other methods: one slice of whole models, the same merge) and the way back (exact
 * only from one slice of whole models; otherwise the ranges are dropped, and the button says
 * so). Below the slices, the output layer stack and its total, num_hidden_layers.
 */
import { useId } from 'react';
import { referencedModels, type OutputSlice, type Recipe } from '../../../workers/plan/recipe.ts';
import { selectMethod, selectModelIds } from '../../stores/selectors.ts';
import { useStudio } from '../../stores/store.ts';
import { LayerCountsLoader, type CountsState } from './LayerCountsLoader.tsx';
import { LayerStack } from './LayerStack.tsx';
import { SliceCard } from './SliceCard.tsx';
import { ShuffleLayers } from './ShuffleLayers.tsx';
import { SliceGlobals } from './SliceGlobals.tsx';
import { layerStack, sliceProblems } from './slice-stack.ts';
import * as sm from './slices-model.ts';
import './slices.css';

export function SlicesEditor() {
  const id = useId();
  const ids = useStudio(selectModelIds);
  return (
    <section className="slices-editor" aria-labelledby={`${id}-t`}>
      <h3 id={`${id}-t`}>Layer slices</h3>
      <LayerCountsLoader ids={ids}>{(state) => <SlicesBody state={state} />}</LayerCountsLoader>
    </section>
  );
}

function countsStatus(state: CountsState): string | undefined {
  if (state.errors.length > 0) return `Cannot read the layer counts of ${state.errors.join('; ')}.`;
  if (state.pending.length > 0) return `Reading the layer counts of ${state.pending.join(', ')}…`;
  return undefined;
}

function SlicesBody({ state }: { readonly state: CountsState }) {
  const recipe = useStudio((s) => s.recipe);
  const method = useStudio(selectMethod);
  const setSlices = useStudio((s) => s.setSlices);
  const curveTarget = useStudio((s) => s.curveTarget);
  const setCurveTarget = useStudio((s) => s.setCurveTarget);
  const status = countsStatus(state);
  if (recipe.modules) {
    return (
      <p className="muted">
        This recipe uses modules: each module of the vision-language model has its own models or slices,
        edited in the YAML.
      </p>
    );
  }
  // One element in the same place whether the recipe has slices or not, so that its seed and
  // weights stay when the first draw turns the models into slices.
  const models = referencedModels(recipe);
  const shuffle = method.name === 'passthrough' && models.length > 0 && (
    <ShuffleLayers
      models={models}
      counts={state.counts}
      onDraw={(drawn) => {
        if (curveTarget?.model !== undefined) setCurveTarget(undefined);
        setSlices(drawn);
      }}
    />
  );
  if (!recipe.slices) {
    const converted = sm.slicesFromModels(recipe, state.counts, method);
    const none = (recipe.models ?? []).length === 0 && !recipe.base_model;
    return (
      <>
        <>
          <p className="muted">
            Take layer ranges instead of whole models: stack layers of several models (a frankenmerge, with
            Passthrough) or merge layers from different depths.{' '}
            {method.name === 'passthrough'
              ? 'Each model becomes one slice over all its layers, stacked in order.'
              : 'The models become one slice over all their layers: the same merge until a range changes.'}
          </p>
          <button
            type="button"
            disabled={none || !('slices' in converted)}
            onClick={() => {
              if (!('slices' in converted)) return;
              // Per-model parameters now live on the slices' sources, which the curve editor does not edit.
              if (curveTarget?.model !== undefined) setCurveTarget(undefined);
              setSlices(converted.slices);
            }}
          >
            Use layer slices
          </button>
          {none ? <p className="muted">Add models first.</p> : status && <p className="muted">{status}</p>}
        </>
        {shuffle}
      </>
    );
  }
  return (
    <>
      <SlicesMode recipe={recipe} slices={recipe.slices} state={state} status={status} />
      {shuffle}
    </>
  );
}

function SlicesMode(props: {
  readonly recipe: Recipe;
  readonly slices: readonly OutputSlice[];
  readonly state: CountsState;
  readonly status: string | undefined;
}) {
  const { recipe, slices, state } = props;
  const method = useStudio(selectMethod);
  const setSlices = useStudio((s) => s.setSlices);
  const models = referencedModels(recipe);
  const problems = sliceProblems(slices, state.counts, method, recipe.base_model);
  const stack = layerStack(slices);
  const back = sm.modelsFromSlices(slices, state.counts);
  const stray = recipe.models ?? [];
  const update = (next: readonly OutputSlice[]) => setSlices(next);
  return (
    <>
      {stray.length > 0 && (
        <div className="notice" role="status">
          <p>
            {stray.map((m) => m.model).join(', ')} {stray.length === 1 ? 'was' : 'were'} added as whole
            models, which a recipe with slices does not use.
          </p>
          <button
            type="button"
            onClick={() => {
              let next = [...slices];
              for (const m of stray) next = [...next, ...sm.addSlice([], state.counts, m.model)];
              update(next);
            }}
          >
            Add them as slices
          </button>
        </div>
      )}
      <SliceGlobals method={method} top={recipe.parameters} />
      <ol className="slice-list" aria-label="Output slices">
        {slices.map((_, i) => (
          <SliceCard
            key={i}
            slices={slices}
            index={i}
            row={stack.rows[i]}
            counts={state.counts}
            models={models}
            method={method}
            base={recipe.base_model}
            top={recipe.parameters}
            problems={problems.filter((p) => p.slice === i)}
            update={update}
          />
        ))}
      </ol>
      <div className="row">
        <button type="button" onClick={() => update(sm.addSlice(slices, state.counts, models[0]))}>
          Add slice
        </button>
        <button type="button" onClick={() => setSlices(undefined, back.models)}>
          {back.exact ? 'Use whole models' : 'Use whole models (drops the layer ranges)'}
        </button>
      </div>
      {props.status && <p className="muted">{props.status}</p>}
      {problems
        .filter((p) => p.slice < 0)
        .map((p) => (
          <p key={p.message} className="field-error">
            {p.message}
          </p>
        ))}
      <LayerStack stack={stack} models={models} />
    </>
  );
}
