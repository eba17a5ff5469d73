import { interpolateRdBu } from 'd3';
import { describe, expect, it } from 'vitest';
import type { AnalysisResult, TensorAnalysis } from '../../../../workers/analysis/types.ts';
import { analysisGrid, colourScale, describeTensor } from './metrics.ts';

const tensor = (layer: number, module: string, cosine: number | null): TensorAnalysis => ({
  layer,
  module,
  tensor: `model.layers.${layer}.${module}.weight`,
  elements: 100,
  sampled: 25,
  metrics: {
    cosine,
    signConflict: 0.5,
    relNorm: 0.2,
    normShare: 0.6,
    trimmedEnergy: 0.1,
    slerpDegrees: 12.345,
  },
  perModel: [{ model: 'a', norm: 1, relNorm: 0.2, density: 0.5, trimmed: 0.5, trimmedEnergy: 0.1 }],
  dominant: null,
  slerpLerp: false,
});

describe('analysis heatmap data', () => {
  it('puts layers in rows and modules in columns, leaving holes where a layer lacks a module', () => {
    const r = {
      layers: [0, 3],
      modules: ['self_attn.q_proj', 'mlp.up_proj'],
      tensors: [
        tensor(0, 'self_attn.q_proj', 0.1),
        tensor(3, 'mlp.up_proj', -0.4),
        tensor(0, 'mlp.up_proj', 0),
      ],
    } as unknown as AnalysisResult;
    const g = analysisGrid(r);
    expect(g.rows).toEqual(['layer 0', 'layer 3']);
    expect(g.cells.map((row) => row.map((t) => t?.metrics.cosine ?? 'hole'))).toEqual([
      [0.1, 0],
      ['hole', -0.4],
    ]);
  });

  it('colours cosine on a fixed diverging scale (pale at 0), shares on 0..1', () => {
    const cos = colourScale('cosine', [0.1]);
    expect(cos.domain).toEqual([-1, 1]);
    // RdBu: opposed task vectors red, aligned blue, unrelated the pale middle
    expect([cos.colour(-1), cos.colour(0), cos.colour(1)]).toEqual([
      interpolateRdBu(0),
      interpolateRdBu(0.5),
      interpolateRdBu(1),
    ]);
    expect(colourScale('signConflict', [0.2, 0.3]).domain).toEqual([0, 1]);
    expect(colourScale('slerpDegrees', [3, 27]).domain).toEqual([0, 27]);
  });

  it('describes a cell with the per-model numbers and the sample', () => {
    expect(describeTensor(tensor(0, 'mlp.up_proj', null), 'cosine')).toEqual([
      'model.layers.0.mlp.up_proj.weight',
      'Task-vector cosine: n/a',
      'a: norm 0.200 of the base; TIES at density 0.5 trims 50.0% of entries, 10.0% of the energy',
      'SLERP angle 12.35°',
      'sampled: 25.0% of 100 entries',
    ]);
  });
});
