/**
 * The curve editor's model of one parameter setting, and its pure edits. mergekit writes a
 * per-layer parameter as a scalar, a gradient (a list of numbers whose anchors are spread evenly
 * over a slice's layers) or a list of `{filter, value}` entries tried in order, the first whose
 * filter is a substring of the tensor name winning. The editor sees all three as one list of
 * curves: filtered curves in match order, then at most one catch-all (no filter). A curve of
 * one anchor is a flat value. `toSetting` writes the shortest mergekit form back, so a single
 * flat catch-all stays a plain number in the YAML.
 */
import type { ParamSpec } from '../../../workers/methods/types.ts';
import { evaluateGradient, isConditionalList } from '../../../workers/plan/parameters.ts';
import type { ParameterSetting } from '../../../workers/plan/recipe.ts';

export interface Curve {
  /** A substring of tensor names; undefined for the catch-all ("other tensors"). */
  readonly filter: string | undefined;
  /** Gradient anchors, evenly spread from the slice's first layer to its last; never empty. */
  readonly anchors: readonly number[];
}

export type CurveSet = readonly Curve[];

/** The settings the editor cannot show as curves (booleans, strings, empty lists). */
export class UnsupportedSettingError extends Error {
  override readonly name = 'UnsupportedSettingError';
}

function numbers(v: unknown): readonly number[] {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number')) return v as number[];
  throw new UnsupportedSettingError(
    `the value ${JSON.stringify(v)} is not a number or a list of numbers: edit it in the YAML`,
  );
}

/** Reads a setting as curves. Entries after the first catch-all are unreachable and dropped. */
export function parseSetting(s: ParameterSetting): CurveSet {
  if (!Array.isArray(s) || !isConditionalList(s)) return [{ filter: undefined, anchors: numbers(s) }];
  const curves: Curve[] = [];
  for (const entry of s) {
    // mergekit treats a '*' filter like no filter: both match every tensor.
    const filter = entry.filter === undefined || entry.filter === '*' ? undefined : entry.filter;
    curves.push({ filter, anchors: numbers(entry.value) });
    if (filter === undefined) break;
  }
  return curves;
}

function valueOf(anchors: readonly number[]): number | readonly number[] {
  return anchors.length === 1 ? anchors[0]! : anchors;
}

/** The shortest mergekit form of the curves; undefined when there is none (unset). */
export function toSetting(curves: CurveSet): ParameterSetting | undefined {
  const filtered = curves.filter((c) => c.filter !== undefined);
  const fallback = curves.find((c) => c.filter === undefined);
  if (filtered.length === 0) return fallback && valueOf(fallback.anchors);
  return [
    ...filtered.map((c) => ({ filter: c.filter!, value: valueOf(c.anchors) })),
    ...(fallback ? [{ value: valueOf(fallback.anchors) }] : []),
  ];
}

/** The index of the curve that a tensor name picks (first filter contained in it), or -1. */
export function matchCurve(curves: CurveSet, tensorName: string): number {
  return curves.findIndex((c) => c.filter === undefined || tensorName.includes(c.filter));
}

export function curveValue(c: Curve, t: number): number {
  return evaluateGradient(c.anchors, t) as number;
}

export function curveLabel(c: Curve): string {
  return c.filter ?? 'other tensors';
}

/** The curve's shape sampled at k evenly spread anchors (exact for piecewise-linear shapes on the old anchors). */
export function resample(anchors: readonly number[], k: number): number[] {
  if (k <= 1) return [anchors.reduce((s, v) => s + v, 0) / anchors.length];
  return Array.from({ length: k }, (_, j) => evaluateGradient(anchors, j / (k - 1)) as number);
}

/**
 * One value for a setting that varies by layer or tensor ("Use one value"): the mean of the
 * curve that other tensors follow (the first curve when there is no catch-all), as the Flat
 * preset makes it. Undefined for a setting the curves cannot read.
 */
export function flatValue(s: ParameterSetting): number | undefined {
  let curves: CurveSet;
  try {
    curves = parseSetting(s);
  } catch (e) {
    if (e instanceof UnsupportedSettingError) return undefined;
    throw e;
  }
  const c = curves.find((x) => x.filter === undefined) ?? curves[0];
  return c && resample(c.anchors, 1)[0];
}

function replace(curves: CurveSet, i: number, c: Curve): CurveSet {
  return curves.map((x, j) => (j === i ? c : x));
}

export function setAnchors(curves: CurveSet, i: number, anchors: readonly number[]): CurveSet {
  const c = curves[i];
  return c && anchors.length > 0 ? replace(curves, i, { ...c, anchors }) : curves;
}

export function setAnchor(curves: CurveSet, i: number, k: number, v: number): CurveSet {
  const c = curves[i];
  if (!c || k < 0 || k >= c.anchors.length) return curves;
  return setAnchors(
    curves,
    i,
    c.anchors.map((x, j) => (j === k ? v : x)),
  );
}

/** One more anchor, the curve resampled (anchors of a gradient are always evenly spread). */
export function addAnchor(curves: CurveSet, i: number, round: (v: number) => number): CurveSet {
  const c = curves[i];
  return c ? setAnchors(curves, i, resample(c.anchors, c.anchors.length + 1).map(round)) : curves;
}

/** Removes anchor k; the others spread evenly again. The last anchor cannot be removed. */
export function removeAnchor(curves: CurveSet, i: number, k: number): CurveSet {
  const c = curves[i];
  if (!c || c.anchors.length <= 1) return curves;
  return setAnchors(
    curves,
    i,
    c.anchors.filter((_, j) => j !== k),
  );
}

/**
 * Adds a curve for tensors whose name contains `filter`, starting as a copy of the curve those
 * tensors follow now (so nothing changes until it is edited), placed before the catch-all.
 * Returns the set unchanged for an empty or already present filter.
 */
export function addFilterCurve(curves: CurveSet, filter: string, start: readonly number[]): CurveSet {
  const f = filter.trim();
  if (f === '' || curves.some((c) => c.filter === f)) return curves;
  const at = curves.findIndex((c) => c.filter === undefined);
  // A copy: two curves sharing one array would be written as a YAML &anchor/*alias pair.
  const curve: Curve = { filter: f, anchors: [...start] };
  return at < 0 ? [...curves, curve] : [...curves.slice(0, at), curve, ...curves.slice(at)];
}

export function addCatchAll(curves: CurveSet, anchors: readonly number[]): CurveSet {
  return curves.some((c) => c.filter === undefined) ? curves : [...curves, { filter: undefined, anchors }];
}

export function removeCurve(curves: CurveSet, i: number): CurveSet {
  return curves.filter((_, j) => j !== i);
}

/** Moves a filtered curve earlier or later in match order; the catch-all stays last. */
export function moveCurve(curves: CurveSet, i: number, delta: -1 | 1): CurveSet {
  const j = i + delta;
  const a = curves[i];
  const b = curves[j];
  if (!a || !b || a.filter === undefined || b.filter === undefined) return curves;
  const next = [...curves];
  next[i] = b;
  next[j] = a;
  return next;
}

export function renameFilter(curves: CurveSet, i: number, filter: string): CurveSet {
  const c = curves[i];
  const f = filter.trim();
  if (!c || c.filter === undefined || f === '' || curves.some((x, j) => j !== i && x.filter === f))
    return curves;
  return replace(curves, i, { ...c, filter: f });
}

export type PresetName = 'flat' | 'ramp-up' | 'ramp-down' | 'v' | 'a';

export const PRESETS: readonly { readonly name: PresetName; readonly label: string }[] = [
  { name: 'flat', label: 'Flat' },
  { name: 'ramp-up', label: 'Ramp up' },
  { name: 'ramp-down', label: 'Ramp down' },
  { name: 'v', label: 'V' },
  { name: 'a', label: 'A' },
];

/**
 * A preset's anchors between `low` and `high`. Flat keeps the curve's mean (one anchor, so the
 * YAML gets a plain number); V is high at both ends and low in the middle layers, A the reverse.
 */
export function presetAnchors(
  name: PresetName,
  low: number,
  high: number,
  current: readonly number[],
): number[] {
  switch (name) {
    case 'flat':
      return resample(current, 1);
    case 'ramp-up':
      return [low, high];
    case 'ramp-down':
      return [high, low];
    case 'v':
      return [high, low, high];
    case 'a':
      return [low, high, low];
  }
}

/** The numbers that bound a parameter's curve: the axis shown, the hard limits, the step. */
export interface ValueLimits {
  /** The useful range from the schema (ui range, else min/max, else 0..1). */
  readonly low: number;
  readonly high: number;
  /** Valid values (exclusive limits pulled in by one step); infinite when open. */
  readonly hardMin: number;
  readonly hardMax: number;
  readonly step: number;
  readonly integer: boolean;
}

export function limitsOf(spec: ParamSpec): ValueLimits {
  const step = spec.ui?.step ?? (spec.integer ? 1 : 0.01);
  const low = spec.ui?.min ?? spec.min ?? 0;
  const high = spec.ui?.max ?? spec.max ?? 1;
  const hardMin = spec.min === undefined ? -Infinity : spec.min + (spec.minExclusive ? step : 0);
  const hardMax = spec.max === undefined ? Infinity : spec.max - (spec.maxExclusive ? step : 0);
  return { low, high, hardMin, hardMax, step, integer: spec.integer === true };
}

/** Decimal places of a step (0.01 -> 2, 1e-8 -> 8), so rounded values print without float noise. */
function decimals(step: number): number {
  return Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
}

/** Rounds to the step and clamps to the hard limits (and to [lo, hi] when given: a drag's axis). */
export function clampValue(v: number, l: ValueLimits, lo = -Infinity, hi = Infinity): number {
  const min = Math.max(l.hardMin, lo);
  const max = Math.min(l.hardMax, hi);
  const stepped = Math.round(v / l.step) * l.step;
  const rounded = Number(stepped.toFixed(decimals(l.step)));
  return Math.min(max, Math.max(min, l.integer ? Math.round(rounded) : rounded));
}

/** The value axis: the useful range widened to show every anchor. */
export function axisDomain(l: ValueLimits, curves: CurveSet): [number, number] {
  const all = curves.flatMap((c) => c.anchors);
  const lo = Math.min(l.low, ...all);
  const hi = Math.max(l.high, ...all);
  return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
}
