/**
 * The merge plan's answer to "what value does each tensor get, and why": the target parameter's
 * resolved value and origin (level and matched filter) for every output tensor, grouped by
 * layer so that a model with thousands of tensors shows one line per layer, with the tensors
 * listed only when a layer is opened. Values come from buildPlan, the planner the merge runs
 * with, so what is shown is what will be merged.
 */
import type { ParamValue } from '../../../workers/methods/types.ts';
import type { ValueOrigin } from '../../../workers/plan/parameters.ts';
import type { PlannedTensor } from '../../../workers/plan/plan-types.ts';

export interface CurveTargetRef {
  readonly name: string;
  readonly model?: string;
}

export interface TensorValue {
  readonly tensor: string;
  readonly value: ParamValue | undefined;
  readonly origin: ValueOrigin | undefined;
}

export interface TensorGroup {
  /** 'embeddings', 'layer 3', 'final norm and head'. */
  readonly label: string;
  readonly layer: number | undefined;
  readonly rows: readonly TensorValue[];
  /** Distinct (value, origin) pairs in the group, in first-seen order, with their counts: "0.5 (other tensors · top level)". */
  readonly summary: readonly { readonly text: string; readonly count: number }[];
}

/** Where a value came from, in words: "filter self_attn · gradient · top level". */
export function describeOrigin(o: ValueOrigin | undefined): string {
  if (!o) return 'no value';
  if (o.level === 'default') return 'the default';
  const level =
    o.level === 'source'
      ? 'set on the model'
      : o.level === 'slice'
        ? 'slice parameters'
        : o.level === 'module'
          ? 'module parameters'
          : 'top level';
  const what = o.filter !== undefined ? `filter ${o.filter}` : 'other tensors';
  return [what, ...(o.gradient ? ['gradient'] : []), level].join(' · ');
}

function valueFor(t: PlannedTensor, target: CurveTargetRef): TensorValue | undefined {
  if (target.model === undefined) {
    return { tensor: t.name, value: t.global[target.name], origin: t.origins.global[target.name] };
  }
  const j = t.inputs.findIndex((x) => x.model === target.model);
  // The base, or a model this slice does not read: no per-model value for this tensor.
  if (j < 0) return undefined;
  return {
    tensor: t.inputs[j]!.tensor,
    value: t.perModel[j]?.[target.name],
    origin: t.origins.perModel[j]?.[target.name],
  };
}

function fmt(v: ParamValue | undefined): string {
  if (v === undefined) return 'unset';
  return typeof v === 'number' ? String(Number(v.toPrecision(4))) : String(v);
}

export function groupTensors(tensors: readonly PlannedTensor[], target: CurveTargetRef): TensorGroup[] {
  const pre: TensorValue[] = [];
  const post: TensorValue[] = [];
  const layers = new Map<number, TensorValue[]>();
  for (const t of tensors) {
    const row = valueFor(t, target);
    if (!row) continue;
    if (t.section === 'pre') pre.push(row);
    else if (t.section === 'post') post.push(row);
    else {
      const list = layers.get(t.layer!) ?? [];
      list.push(row);
      layers.set(t.layer!, list);
    }
  }
  const group = (label: string, layer: number | undefined, rows: TensorValue[]): TensorGroup => {
    const counts = new Map<string, number>();
    for (const r of rows) {
      const text = `${fmt(r.value)} (${describeOrigin(r.origin)})`;
      counts.set(text, (counts.get(text) ?? 0) + 1);
    }
    return { label, layer, rows, summary: [...counts].map(([text, count]) => ({ text, count })) };
  };
  const out: TensorGroup[] = [];
  if (pre.length) out.push(group('embeddings', undefined, pre));
  for (const [layer, rows] of [...layers].sort((a, b) => a[0] - b[0]))
    out.push(group(`layer ${layer}`, layer, rows));
  if (post.length) out.push(group('final norm and head', undefined, post));
  return out;
}
