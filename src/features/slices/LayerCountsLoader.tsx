/**
 * The layer count of every model the recipe names, read from config.json through useModelInfo
 * (the query the model list already ran, so nothing is read twice). One small component per
 * model, chained, because a hook cannot run in a loop over a changing list; all queries start
 * together. Counts of models still loading or failing are undefined.
 */
import { useState, type ReactNode } from 'react';
import { inferArchitecture, layerCountFromConfig } from '../../../workers/plan/architecture.ts';
import { useModelInfo } from '../../engine/model-info.ts';
import { useStudio } from '../../stores/store.ts';
import type { LayerCounts } from './slices-model.ts';

export interface CountsState {
  readonly counts: LayerCounts;
  readonly pending: readonly string[];
  readonly errors: readonly string[];
}

type Entry = readonly [id: string, count: number | undefined, error: string | undefined];

interface Props {
  readonly ids: readonly string[];
  readonly children: (state: CountsState) => ReactNode;
}

function Done({ acc, children }: { readonly acc: readonly Entry[]; readonly children: Props['children'] }) {
  const sig = JSON.stringify(acc);
  const make = (): CountsState => ({
    counts: new Map(acc.map(([id, n]) => [id, n])),
    pending: acc.filter(([, n, e]) => n === undefined && e === undefined).map(([id]) => id),
    errors: acc.flatMap(([id, , e]) => (e === undefined ? [] : [`${id}: ${e}`])),
  });
  // Same object while nothing changed, so children can memoise on it.
  const [state, setState] = useState(() => ({ sig, value: make() }));
  if (state.sig !== sig) {
    const next = { sig, value: make() };
    setState(next);
    return children(next.value);
  }
  return children(state.value);
}

function Link({ ids, acc, children }: Props & { readonly acc: readonly Entry[] }) {
  const id = ids[0]!;
  const hubUrl = useStudio((s) => s.hubUrl);
  const token = useStudio((s) => s.token);
  const local = useStudio((s) => id in s.localFolders);
  const q = useModelInfo(id, hubUrl, token, local);
  let entry: Entry = [id, undefined, q.isError ? (q.error as Error).message : undefined];
  if (q.data) {
    try {
      entry = [id, layerCountFromConfig(q.data.config) ?? inferArchitecture(q.data).numLayers, undefined];
    } catch (e) {
      entry = [id, undefined, (e as Error).message];
    }
  }
  const next = [...acc, entry];
  return ids.length > 1 ? (
    <Link ids={ids.slice(1)} acc={next}>
      {children}
    </Link>
  ) : (
    <Done acc={next}>{children}</Done>
  );
}

export function LayerCountsLoader({ ids, children }: Props) {
  return ids.length > 0 ? (
    <Link ids={ids} acc={[]}>
      {children}
    </Link>
  ) : (
    <Done acc={[]}>{children}</Done>
  );
}
