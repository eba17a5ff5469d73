/**
 * Reads the headers of every model a recipe names through useModelInfo (so the page reads each
 * model once, whoever asks), and hands the results to its child as one map. A hook cannot be
 * called in a loop over a changing list, so each model gets its own small component in a
 * chain; all queries start at once, whatever their order.
 */
import { useState, type ReactNode } from 'react';
import { useModelInfo } from '../../engine/model-info.ts';
import { useStudio } from '../../stores/store.ts';
import type { LoadedModel } from '../../../workers/io/load-model.ts';

export interface LoadedModels {
  /** The models read so far, by id. */
  readonly models: ReadonlyMap<string, LoadedModel>;
  readonly pending: readonly string[];
  readonly errors: readonly { readonly id: string; readonly message: string }[];
}

type Entry =
  | { readonly id: string; readonly model: LoadedModel }
  | { readonly id: string; readonly error: string }
  | { readonly id: string };

interface ChainProps {
  readonly ids: readonly string[];
  readonly acc: readonly Entry[];
  readonly children: (loaded: LoadedModels) => ReactNode;
}

const modelOf = (e: Entry) => ('model' in e ? e.model : undefined);
const errorOf = (e: Entry) => ('error' in e ? e.error : undefined);

/** A number per LoadedModel object, so a list of them has a cheap identity string. */
const serials = new WeakMap<LoadedModel, number>();
let lastSerial = 0;
function serial(m: LoadedModel): number {
  let n = serials.get(m);
  if (n === undefined) serials.set(m, (n = ++lastSerial));
  return n;
}

function signature(entries: readonly Entry[]): string {
  return JSON.stringify(entries.map((e) => [e.id, modelOf(e) && serial(modelOf(e)!), errorOf(e)]));
}

function summarise(entries: readonly Entry[]): LoadedModels {
  return {
    models: new Map(entries.flatMap((e) => ('model' in e ? [[e.id, e.model] as const] : []))),
    pending: entries.filter((e) => !modelOf(e) && errorOf(e) === undefined).map((e) => e.id),
    errors: entries.flatMap((e) => ('error' in e ? [{ id: e.id, message: e.error }] : [])),
  };
}

/** The same LoadedModels object while the entries are the same, so memos downstream hold. */
function useStable(entries: readonly Entry[]): LoadedModels {
  const sig = signature(entries);
  const [state, setState] = useState(() => ({ sig, value: summarise(entries) }));
  if (state.sig === sig) return state.value;
  const next = { sig, value: summarise(entries) };
  setState(next);
  return next.value;
}

function Done({ acc, children }: Omit<ChainProps, 'ids'>) {
  return children(useStable(acc));
}

function Chain({ ids, acc, children }: ChainProps) {
  const id = ids[0]!;
  const hubUrl = useStudio((s) => s.hubUrl);
  const token = useStudio((s) => s.token);
  const local = useStudio((s) => id in s.localFolders);
  const q = useModelInfo(id, hubUrl, token, local);
  const entry: Entry = q.data
    ? { id, model: q.data }
    : q.isError
      ? { id, error: (q.error as Error).message }
      : { id };
  const next = [...acc, entry];
  return ids.length > 1 ? (
    <Chain ids={ids.slice(1)} acc={next}>
      {children}
    </Chain>
  ) : (
    <Done acc={next}>{children}</Done>
  );
}

export function ModelsLoader({
  ids,
  children,
}: {
  readonly ids: readonly string[];
  readonly children: (loaded: LoadedModels) => ReactNode;
}) {
  return ids.length > 0 ? (
    <Chain ids={ids} acc={[]}>
      {children}
    </Chain>
  ) : (
    <Done acc={[]}>{children}</Done>
  );
}
