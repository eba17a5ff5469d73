/**
 * How the heatmap shows each metric of the analysis: a name, what it means, how to print a
 * value, and a d3 colour scale with a fixed domain where the metric has natural bounds (so
 * colours mean the same thing from one recipe to the next) or the data's range otherwise.
 * Pure: the cell grid is built here and tested without React.
 */
import { extent, interpolateRdBu, interpolateYlOrRd, scaleDiverging, scaleSequential } from 'd3';
import type { AnalysisResult, Metric, TensorAnalysis } from '../../../../workers/analysis/types.ts';

export interface MetricInfo {
  readonly key: Metric;
  readonly label: string;
  readonly help: string;
  readonly format: (v: number) => string;
}

const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

export const METRIC_INFO: readonly MetricInfo[] = [
  {
    key: 'cosine',
    label: 'Task-vector cosine',
    help: 'cos between the models’ task vectors (model − base): 1 same direction, 0 unrelated, −1 opposed.',
    format: (v) => v.toFixed(3),
  },
  {
    key: 'signConflict',
    label: 'Sign conflict',
    help: 'Of the entries two or more models change, the share changed in both directions (50% for unrelated signs).',
    format: pct,
  },
  {
    key: 'relNorm',
    label: 'Task-vector norm',
    help: '‖model − base‖ / ‖base‖, mean over the models: how far fine-tuning moved this tensor.',
    format: (v) => v.toFixed(3),
  },
  {
    key: 'normShare',
    label: 'Largest norm share',
    help: 'The largest task vector’s share of the sum of norms: 1 / models is balanced, near 100% one model dominates.',
    format: pct,
  },
  {
    key: 'trimmedEnergy',
    label: 'TIES trim (energy)',
    help: 'Share of the task vector’s squared norm that TIES’s trim removes at the density, mean over the models.',
    format: pct,
  },
  {
    key: 'slerpDegrees',
    label: 'SLERP angle',
    help: 'Angle between the two models’ tensors: the arc SLERP interpolates along.',
    format: (v) => `${v.toFixed(2)}°`,
  },
];

export function metricInfo(key: Metric): MetricInfo {
  return METRIC_INFO.find((m) => m.key === key)!;
}

/** Metrics whose values are shares, drawn on a fixed 0..1 scale. */
const SHARES: ReadonlySet<Metric> = new Set(['signConflict', 'normShare', 'trimmedEnergy']);

/** A colour for each value of `key` given the values present, and the range the legend shows. */
export function colourScale(
  key: Metric,
  values: readonly number[],
): { readonly colour: (v: number) => string; readonly domain: readonly [number, number] } {
  if (key === 'cosine')
    return { colour: scaleDiverging(interpolateRdBu).domain([-1, 0, 1]), domain: [-1, 1] };
  const hi = extent(values)[1];
  const domain: [number, number] = SHARES.has(key) ? [0, 1] : [0, hi !== undefined && hi > 0 ? hi : 1];
  return { colour: scaleSequential(interpolateYlOrRd).domain(domain), domain };
}

export interface Grid {
  readonly rows: readonly string[];
  readonly cols: readonly string[];
  /** cells[r][c]: the tensor at (layer r, module c), if the layer has it. */
  readonly cells: readonly (readonly (TensorAnalysis | undefined)[])[];
}

/** Layers as rows (in order), modules as columns (in the analysis's order). */
export function analysisGrid(r: AnalysisResult): Grid {
  const at = new Map(r.tensors.map((t) => [`${t.layer}/${t.module}`, t]));
  return {
    rows: r.layers.map((l) => `layer ${l}`),
    cols: r.modules,
    cells: r.layers.map((l) => r.modules.map((m) => at.get(`${l}/${m}`))),
  };
}

/** The tooltip's lines for one tensor. */
export function describeTensor(t: TensorAnalysis, key: Metric): string[] {
  const info = metricInfo(key);
  const v = t.metrics[key];
  const lines = [t.tensor, `${info.label}: ${v === null ? 'n/a' : info.format(v)}`];
  for (const p of t.perModel) {
    lines.push(
      `${p.model}: norm ${p.relNorm.toFixed(3)} of the base; TIES at density ${p.density} trims ` +
        `${pct(p.trimmed)} of entries, ${pct(p.trimmedEnergy)} of the energy`,
    );
  }
  if (t.metrics.slerpDegrees !== null) {
    const lerp = t.slerpLerp ? ' (nearly colinear: SLERP falls back to LERP)' : '';
    if (key !== 'slerpDegrees') lines.push(`SLERP angle ${t.metrics.slerpDegrees.toFixed(2)}°${lerp}`);
    else if (lerp) lines.push(lerp.slice(2, -1));
  }
  if (t.sampled < t.elements) lines.push(`sampled: ${pct(t.sampled / t.elements)} of ${t.elements} entries`);
  return lines;
}
