/**
 * One output slice: where it lands in the output, its sources, its problems, and buttons to
 * move or remove it. Passthrough takes one source per slice, so it offers no "Add source".
 */
import type { MergeMethod } from '../../../workers/methods/types.ts';
import type { OutputSlice, ParameterMap } from '../../../workers/plan/recipe.ts';
import { layersText, type SliceProblem, type StackRow } from './slice-stack.ts';
import * as sm from './slices-model.ts';
import { SourceRow } from './SourceRow.tsx';

export interface SliceCardProps {
  readonly slices: readonly OutputSlice[];
  readonly index: number;
  readonly row: StackRow | undefined;
  readonly counts: sm.LayerCounts;
  readonly models: readonly string[];
  readonly method: MergeMethod;
  readonly base: string | undefined;
  readonly top: ParameterMap | undefined;
  readonly problems: readonly SliceProblem[];
  readonly update: (slices: readonly OutputSlice[]) => void;
}

export function SliceCard(p: SliceCardProps) {
  const { slices, index: i, counts } = p;
  const slice = slices[i]!;
  const name = `slice ${i + 1}`;
  const base = slice.base_model ?? p.base;
  const usesBase = p.method.base !== 'input';
  const unused = p.models.find((m) => !slice.sources.some((s) => s.model === m));
  const fallback = (param: string) =>
    slice.parameters?.[param] ?? p.top?.[param] ?? p.method.params.find((s) => s.name === param)?.default;
  return (
    <li className="slice-card" aria-label={`Slice ${i + 1}`}>
      <div className="slice-head">
        <h4>
          Slice {i + 1}
          <span className="muted">
            {' '}
            → output {p.row ? layersText(p.row.outStart, p.row.outEnd) : 'no layers'}
          </span>
        </h4>
        <button
          type="button"
          disabled={i === 0}
          onClick={() => p.update(sm.moveSlice(slices, i, -1))}
          aria-label={`Move ${name} up`}
        >
          ↑
        </button>
        <button
          type="button"
          disabled={i === slices.length - 1}
          onClick={() => p.update(sm.moveSlice(slices, i, 1))}
          aria-label={`Move ${name} down`}
        >
          ↓
        </button>
        <button
          type="button"
          onClick={() => p.update(sm.removeSlice(slices, i))}
          aria-label={`Remove ${name}`}
        >
          Remove
        </button>
      </div>
      <ol className="sources">
        {slice.sources.map((src, j) => (
          <SourceRow
            key={j}
            source={src}
            where={`source ${j + 1} of ${name}`}
            models={p.models.includes(src.model) ? p.models : [src.model, ...p.models]}
            count={counts.get(src.model)}
            method={p.method}
            isBase={usesBase && src.model === base}
            fallback={fallback}
            canRemove={slice.sources.length > 1}
            onModel={(m) => p.update(sm.setSourceModel(slices, i, j, m, counts))}
            onRange={(r) => p.update(sm.setRange(slices, i, j, r))}
            onParam={(n, v) => p.update(sm.setSourceParam(slices, i, j, n, v))}
            onRemove={() => p.update(sm.removeSource(slices, i, j))}
          />
        ))}
      </ol>
      {p.method.name !== 'passthrough' && unused !== undefined && (
        <button type="button" onClick={() => p.update(sm.addSource(slices, i, unused, counts))}>
          Add source to {name}
        </button>
      )}
      {p.problems.length > 0 && (
        <ul className="slice-problems" aria-label={`Problems of ${name}`}>
          {p.problems.map((x) => (
            <li key={x.message} className="field-error">
              {x.message}
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}
