/**
 * One colour per curve, shared by the chart, the curve list and the tables. The catch-all keeps
 * the first colour and filters take the next ones by position, so adding a filter curve does
 * not recolour the curve the user was looking at.
 */
import { schemeTableau10 } from 'd3';
import type { CurveSet } from './curve-model.ts';

export function curveColor(curves: CurveSet, i: number): string {
  const n = schemeTableau10.length;
  return curves[i]?.filter === undefined ? schemeTableau10[0]! : schemeTableau10[(i % (n - 1)) + 1]!;
}
