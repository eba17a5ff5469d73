/**
 * LERP vs SLERP on the unit sphere. Toy mode: two unit vectors at an adjustable angle; real
 * mode: two models' tensors, drawn exactly in the plane they span. A t slider moves the LERP
 * point along the chord and the SLERP point along the arc, and the chart beside the globe plots
 * both norms against t. Every point is the engine's `linear` or `slerp` kernel's output.
 */
import { useMemo, useState } from 'react';
import { NumberField } from '../../../shared/NumberField.tsx';
import { selectModelIds } from '../../../stores/selectors.ts';
import { useStudio } from '../../../stores/store.ts';
import { DataSwitch, RecipeLink, type DataMode } from '../common/Controls.tsx';
import { useLinkedValue } from '../common/use-linked-value.ts';
import { placePair } from '../real-pair.ts';
import { recipeT, tLink, withT } from '../recipe-link.ts';
import { lerpAt, normCurve, slerpAt, slerpPath, toyPair } from '../sphere-geometry.ts';
import { FACE_ON, Globe, TILTED } from './Globe.tsx';
import { NormChart } from './NormChart.tsx';
import { LayerAngles, RealPairControls, RealPairStats } from './RealPairPanel.tsx';
import { useRealPair } from './use-real-pair.ts';

const f3 = (x: number) => x.toFixed(3);

export function SphereView() {
  const recipe = useStudio((s) => s.recipe);
  const setRecipe = useStudio((s) => s.setRecipe);
  const [wantMode, setMode] = useState<DataMode>('toy');
  const modelCount = useStudio((s) => selectModelIds(s).length);
  const blocked = modelCount < 2 ? 'Add two models to the merge to compare their tensors.' : undefined;
  // Real tensors need models: with too few (one removed meanwhile), the toy shows instead.
  const mode: DataMode = blocked ? 'toy' : wantMode;
  const [angle, setAngle] = useState(100);
  const real = useRealPair(mode === 'real');
  const link = tLink(recipe);
  const rT = recipeT(recipe, mode === 'real' ? real.place : undefined);
  const t = useLinkedValue(rT, link.kind !== 'none', 0.5, (v) =>
    setRecipe(withT(useStudio.getState().recipe, v)),
  );
  const toy = useMemo(() => {
    const { a, b } = toyPair(angle);
    return placePair(a, b, 'vector');
  }, [angle]);
  const pair = mode === 'toy' ? toy : real.pair;
  const geometry = useMemo(() => {
    if (!pair) return undefined;
    const curve = normCurve(pair.a3, pair.b3).map((s) => ({
      t: s.t,
      lerp: s.lerp * pair.scale,
      slerp: s.slerp * pair.scale,
    }));
    return { curve, path: slerpPath(pair.a3, pair.b3) };
  }, [pair]);
  const lerp = pair && lerpAt(pair.a3, pair.b3, t.value);
  const slerp = pair && slerpAt(pair.a3, pair.b3, t.value);
  const lerpNorm = lerp && pair ? Math.hypot(...lerp) * pair.scale : 0;
  const slerpNorm = slerp && pair ? Math.hypot(...slerp) * pair.scale : 0;
  const dip = geometry ? Math.min(...geometry.curve.map((s) => s.lerp)) : 0;
  // How far LERP's norm falls below SLERP's at worst (1 - cos(theta/2) for unit vectors).
  const loss = geometry ? Math.max(...geometry.curve.map((s) => 1 - s.lerp / s.slerp)) : 0;
  const what =
    mode === 'toy'
      ? `Unit vectors A and B ${f3(toy.degrees)}° apart.`
      : pair &&
        `Tensors ${real.tensor} of ${real.idA} (A) and ${real.idB} (B), ${f3(pair.degrees)}° apart, drawn in the plane they span.`;
  return (
    <div className="vis-view vis-sphere">
      <div className="vis-controls">
        <DataSwitch mode={mode} onChange={setMode} realBlocked={blocked} />
        {mode === 'toy' ? (
          <NumberField
            label="Angle between A and B (degrees)"
            value={angle}
            min={0}
            max={180}
            step={1}
            lower={{ value: 0 }}
            upper={{ value: 180 }}
            onChange={setAngle}
          />
        ) : (
          <RealPairControls real={real} />
        )}
        <NumberField
          label="t"
          value={t.value}
          min={0}
          max={1}
          step={0.01}
          hint="0 is A, 1 is B."
          onChange={t.set}
        />
        <RecipeLink
          param="t"
          value={t.value}
          recipeValue={rT}
          linked={link.kind !== 'none'}
          switchTo="SLERP"
          live={t.live}
          onLive={t.setLive}
          onApply={() => setRecipe(withT(useStudio.getState().recipe, t.value))}
          blocked={
            recipe.slices ? 'This recipe uses slices: set t in the slices editor or the YAML.' : undefined
          }
        />
      </div>
      {pair && geometry && lerp && slerp && (
        <>
          <Globe
            key={mode}
            start={mode === 'toy' ? TILTED : FACE_ON}
            a={pair.a3}
            b={pair.b3}
            lerp={lerp}
            slerp={slerp}
            path={geometry.path}
            label={`${what} At t = ${t.value.toFixed(2)}, SLERP is on the arc with norm ${f3(slerpNorm)}; LERP is on the chord with norm ${f3(lerpNorm)}.`}
          />
          <div className="vis-figure">
            <NormChart
              curve={geometry.curve}
              t={t.value}
              lerpNorm={lerpNorm}
              slerpNorm={slerpNorm}
              recipeT={typeof rT === 'number' ? rT : undefined}
              fromZero={mode === 'toy'}
              reference={
                mode === 'toy'
                  ? {
                      value: Math.cos((toy.degrees * Math.PI) / 360),
                      label: `cos(θ/2) = ${f3(Math.cos((toy.degrees * Math.PI) / 360))}`,
                    }
                  : undefined
              }
              label={`Norm of the result against t. LERP dips to ${f3(dip)} at its lowest; SLERP ${mode === 'toy' ? 'stays 1' : `goes from ${f3(pair.normA)} to ${f3(pair.normB)}`}. At t = ${t.value.toFixed(2)}: LERP ${f3(lerpNorm)}, SLERP ${f3(slerpNorm)}.`}
            />
            <p className="vis-caption">
              {mode === 'toy'
                ? `LERP cuts across the sphere: its norm dips to cos(θ/2) = ${f3(dip)} at t = 0.5. SLERP follows the arc and keeps norm 1.`
                : `At worst LERP’s norm is ${(loss * 100).toFixed(3)}% below SLERP’s: at ${f3(pair.degrees)}° the two paths nearly agree. SLERP moves smoothly from ‖A‖ to ‖B‖.`}
            </p>
          </div>
        </>
      )}
      {mode === 'real' && (
        <div className="vis-real-details">
          <RealPairStats real={real} t={t.value} />
          {real.models && real.tensor && <LayerAngles models={real.models} tensor={real.tensor} />}
        </div>
      )}
    </div>
  );
}
