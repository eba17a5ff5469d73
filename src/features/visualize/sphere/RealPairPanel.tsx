/**
 * Real-tensor mode of the sphere: pick two of the merge's models and a tensor; see their angle
 * and norms, what LERP and SLERP at t produce on the full tensors (the engine's kernels, run on
 * every element), and the angle per layer across the model.
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { norm } from '../../../../workers/methods/shared/vec.ts';
import type { LoadedModel } from '../../../../workers/io/load-model.ts';
import { formatBytes } from '../../../shared/format.ts';
import { useStudio } from '../../../stores/store.ts';
import { Choice, LoadState, tensorOptions } from '../common/Controls.tsx';
import { layerAngles, layerOf, layerSuffixes, layerTensors } from '../layer-angles.ts';
import { lerpAt, slerpAt } from '../sphere-geometry.ts';
import { LayerAngleChart } from './LayerAngleChart.tsx';
import type { RealPair } from './use-real-pair.ts';

/** The angle per layer reads one tensor per layer and model: automatic up to this many bytes. */
const AUTO_LAYER_BYTES = 64e6;

export function RealPairControls({ real }: { readonly real: RealPair }) {
  const options = real.ids.map((id) => ({ value: id, text: id }));
  return (
    <div className="vis-pickers">
      <Choice label="Model A (t = 0)" value={real.idA ?? ''} options={options} onChange={real.setA} />
      <Choice
        label="Model B (t = 1)"
        value={real.idB ?? ''}
        options={options.filter((o) => o.value !== real.idA)}
        onChange={real.setB}
      />
      {real.names.length > 0 && (
        <Choice
          label="Tensor"
          value={real.tensor ?? ''}
          options={tensorOptions(real.names, real.models?.[0])}
          onChange={real.setTensor}
        />
      )}
      <LoadState pending={real.pending} error={real.error} />
    </div>
  );
}

const fmt = (x: number) => x.toPrecision(5);

/** Past this many elements the full-tensor kernels wait for t to settle (2^24 took 0.36 s per t here). */
const SETTLE_ABOVE = 1 << 20;
const SETTLE_MS = 250;

/** `value`, or for large work its value once it has stopped changing for SETTLE_MS. */
function useSettled(value: number, large: boolean): number {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    if (!large) return;
    const id = setTimeout(() => setSettled(value), SETTLE_MS);
    return () => clearTimeout(id);
  }, [value, large]);
  return large ? settled : value;
}

export function RealPairStats({ real, t }: { readonly real: RealPair; readonly t: number }) {
  const pair = real.pair;
  const values = real.values;
  // The full tensors run through the kernels at every t; a large tensor once t settles.
  const settledT = useSettled(t, (values?.[0].length ?? 0) > SETTLE_ABOVE);
  const full = useMemo(
    () =>
      values && {
        lerp: norm(lerpAt(values[0], values[1], settledT)),
        slerp: norm(slerpAt(values[0], values[1], settledT)),
      },
    [values, settledT],
  );
  if (!pair || !full) return null;
  return (
    <dl className="vis-stats" aria-label="The two tensors and their merges at t">
      <dt>angle between A and B</dt>
      <dd data-testid="real-angle">{pair.degrees.toFixed(3)}°</dd>
      <dt>cos</dt>
      <dd>{pair.cos.toFixed(6)}</dd>
      <dt>‖A‖, ‖B‖</dt>
      <dd>
        {fmt(pair.normA)}, {fmt(pair.normB)}
      </dd>
      <dt>‖LERP‖ at t = {settledT.toFixed(2)}</dt>
      <dd>{fmt(full.lerp)}</dd>
      <dt>‖SLERP‖ at t = {settledT.toFixed(2)}</dt>
      <dd>{fmt(full.slerp)}</dd>
      {pair.fallsBackToLerp && (
        <dd className="vis-note">
          These tensors are nearly parallel (|cos| &gt; 0.9995): the engine’s SLERP falls back to LERP here,
          as mergekit’s does.
        </dd>
      )}
    </dl>
  );
}

export function LayerAngles({
  models,
  tensor,
}: {
  readonly models: readonly LoadedModel[];
  readonly tensor: string;
}) {
  const hubUrl = useStudio((s) => s.hubUrl);
  const [asked, setAsked] = useState(false);
  const [a, b] = models as [LoadedModel, LoadedModel];
  const suffix = layerOf(a, tensor)?.suffix ?? layerSuffixes(a)[0];
  const { names, bytes } = suffix ? layerTensors(a, b, suffix) : { names: [], bytes: 0 };
  const auto = bytes <= AUTO_LAYER_BYTES;
  const q = useQuery({
    queryKey: [
      'visualize-layer-angles',
      hubUrl,
      a.id,
      a.source.revision ?? '',
      b.id,
      b.source.revision ?? '',
      suffix,
    ],
    queryFn: ({ signal }) => layerAngles(a, b, suffix!, signal),
    enabled: suffix !== undefined && names.length > 0 && (auto || asked),
    staleTime: Infinity,
    gcTime: 5 * 60_000,
    retry: false,
  });
  if (!suffix || names.length === 0) return null;
  return (
    <section className="vis-layers" aria-label="Angle per layer">
      <h4>Angle per layer: {suffix}</h4>
      {!auto && !asked && (
        <button type="button" onClick={() => setAsked(true)}>
          Read {formatBytes(bytes)} to compute the angle per layer
        </button>
      )}
      <LoadState pending={q.isFetching} error={q.error?.message} />
      {q.data && <LayerAngleChart angles={q.data} suffix={suffix} />}
    </section>
  );
}
