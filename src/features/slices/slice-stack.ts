/**
 * What a slices: recipe produces and what is wrong with it, in the words the editor shows next
 * to each slice: the output layer stack (which source layers land at which output layer, and
 * the total that becomes num_hidden_layers), and the problems the planner would refuse, found
 * before any header beyond the layer counts is read.
 */
import type { MergeMethod } from '../../../workers/methods/types.ts';
import type { OutputSlice } from '../../../workers/plan/recipe.ts';
import type { LayerCounts } from './slices-model.ts';

export interface StackRow {
  readonly slice: number;
  /** Output layers [outStart, outEnd). */
  readonly outStart: number;
  readonly outEnd: number;
  readonly sources: readonly { readonly model: string; readonly start: number; readonly end: number }[];
}

export interface LayerStack {
  readonly rows: readonly StackRow[];
  /** The output's num_hidden_layers. */
  readonly total: number;
}

/** Slices stack in order; a slice is as long as its first source, as the planner takes it. */
export function layerStack(slices: readonly OutputSlice[]): LayerStack {
  let at = 0;
  const rows = slices.map((s, slice): StackRow => {
    const first = s.sources[0];
    const n = first ? Math.max(0, first.layer_range[1] - first.layer_range[0]) : 0;
    const row = {
      slice,
      outStart: at,
      outEnd: at + n,
      sources: s.sources.map((src) => ({
        model: src.model,
        start: src.layer_range[0],
        end: src.layer_range[1],
      })),
    };
    at += n;
    return row;
  });
  return { rows, total: at };
}

export interface SliceProblem {
  readonly slice: number;
  /** The source the problem is about, if one. */
  readonly source?: number;
  readonly message: string;
}

/** "layers 0–2" for [0, 3): the layers a user counts, both ends included. */
export function layersText(start: number, end: number): string {
  if (end - start <= 0) return 'no layers';
  return end - start === 1 ? `layer ${start}` : `layers ${start}–${end - 1}`;
}

export function sliceProblems(
  slices: readonly OutputSlice[],
  counts: LayerCounts,
  method: MergeMethod,
  base: string | undefined,
): SliceProblem[] {
  const out: SliceProblem[] = [];
  if (slices.length === 0) out.push({ slice: -1, message: 'Add a slice: the output has no layers.' });
  slices.forEach((s, i) => {
    const name = `Slice ${i + 1}`;
    if (s.sources.length === 0) out.push({ slice: i, message: `${name} has no sources: add one.` });
    s.sources.forEach((src, j) => {
      const [a, b] = src.layer_range;
      const n = counts.get(src.model);
      if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0)
        out.push({ slice: i, source: j, message: `${src.model}: layer numbers are whole numbers from 0.` });
      else if (b <= a)
        out.push({
          slice: i,
          source: j,
          message: `${src.model}: the range is empty; its end must be after ${a}.`,
        });
      else if (n !== undefined && b > n)
        out.push({
          slice: i,
          source: j,
          message: `${src.model} has ${n} layers (0–${n - 1}); this range ends at ${b}.`,
        });
    });
    const lengths = [...new Set(s.sources.map((src) => src.layer_range[1] - src.layer_range[0]))];
    if (lengths.length > 1) {
      out.push({
        slice: i,
        message: `${name}: its sources span ${lengths.join(' and ')} layers; they are merged layer by layer, so each must span the same number.`,
      });
    }
    if (method.name === 'passthrough' && s.sources.length > 1) {
      out.push({
        slice: i,
        message: `${name}: passthrough copies layers from one model, so each slice takes one source; stack models with one slice each.`,
      });
    }
    const sliceBase = s.base_model ?? base;
    if (method.base !== 'input' && sliceBase && !s.sources.some((src) => src.model === sliceBase)) {
      out.push({
        slice: i,
        message: `${name}: ${method.prettyName} merges onto the base model, so ${sliceBase} must be one of its sources.`,
      });
    }
  });
  return out;
}
