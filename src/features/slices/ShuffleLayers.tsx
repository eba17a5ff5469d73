/**
 * mergekit-layershuffle in the slices editor: a passthrough stack drawn at random from the
 * chosen models (workers/generators/layershuffle.ts, the same draw as `merge-studio
 * layershuffle`). The seed is shown and editable, so a stack worth keeping can be drawn again;
 * "Shuffle" draws with the next seed. The draw replaces the slices, which stay editable. The
 * models keep the order they were added in (that of `--model`), whatever a draw left.
 */
import { useId, useState } from 'react';
import { GeneratorError } from '../../../workers/generators/errors.ts';
import { layerShuffleRecipe } from '../../../workers/generators/layershuffle.ts';
import type { OutputSlice } from '../../../workers/plan/recipe.ts';
import { NumberField } from '../../shared/NumberField.tsx';
import type { LayerCounts } from './slices-model.ts';

interface Props {
  readonly models: readonly string[];
  readonly counts: LayerCounts;
  readonly onDraw: (slices: readonly OutputSlice[]) => void;
}

/** The models in the order first seen: a draw reorders (or drops) them in the recipe, not here. */
function usePool(models: readonly string[]): readonly string[] {
  const [pool, setPool] = useState<readonly string[]>(models);
  const added = models.filter((m) => !pool.includes(m));
  if (added.length > 0) {
    const next = [...pool, ...added];
    setPool(next);
    return next;
  }
  return pool;
}

export function ShuffleLayers({ models: current, counts, onDraw }: Props) {
  const id = useId();
  // A model no longer in the recipe stays drawable (a draw may have left it out) while its
  // layer count is known; weight 0 leaves it out of the next draw.
  const models = usePool(current).filter((m) => current.includes(m) || counts.get(m) !== undefined);
  const [seed, setSeed] = useState(0);
  const [fullRandom, setFullRandom] = useState(false);
  const [weights, setWeights] = useState<Readonly<Record<string, number>>>({});
  const [error, setError] = useState<string>();
  const known = models.every((m) => counts.get(m) !== undefined);
  const weightOf = (m: string) => weights[m] ?? (fullRandom ? 1 / models.length : 1);
  const draw = (s: number) => {
    try {
      const recipe = layerShuffleRecipe({
        models: models.map((m) => ({ id: m, layers: counts.get(m)! })),
        weights: models.map(weightOf),
        seed: s,
        fullRandom,
      });
      setError(undefined);
      setSeed(s);
      onDraw(recipe.slices ?? []);
    } catch (e) {
      if (!(e instanceof GeneratorError)) throw e;
      setError(e.message);
    }
  };
  return (
    <details className="shuffle-layers">
      <summary>Shuffle layers (random stack)</summary>
      <p className="muted">
        {fullRandom
          ? 'Each model gives its weight × its layer count of layers, each drawn from all of its layers, in shuffled order.'
          : 'Output layer i is layer i of a model drawn in proportion to its weight; the stack is as deep as the first model.'}{' '}
        The draw replaces the slices.
      </p>
      <label className="slice-switch">
        <input type="checkbox" checked={fullRandom} onChange={(e) => setFullRandom(e.target.checked)} />
        Full random (layer indices too)
      </label>
      <div className="shuffle-weights" role="group" aria-labelledby={`${id}-w`}>
        <span id={`${id}-w`}>{fullRandom ? 'Fraction of layers' : 'Weights'}</span>
        {models.map((m) => (
          <NumberField
            key={m}
            label={m}
            value={weightOf(m)}
            onChange={(v) => setWeights({ ...weights, [m]: v })}
            min={0}
            max={fullRandom ? 2 : 10}
            step={fullRandom ? 0.05 : 0.1}
          />
        ))}
      </div>
      <label className="shuffle-seed">
        Seed{' '}
        <input
          type="number"
          min={0}
          step={1}
          value={seed}
          onChange={(e) => {
            const v = Number(e.target.value);
            if (Number.isInteger(v) && v >= 0 && v < 2 ** 32) setSeed(v);
          }}
        />
      </label>
      <div className="row">
        <button type="button" disabled={!known || models.length === 0} onClick={() => draw(seed)}>
          Draw with seed {seed}
        </button>
        <button type="button" disabled={!known || models.length === 0} onClick={() => draw((seed + 1) >>> 0)}>
          Shuffle again
        </button>
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </details>
  );
}
