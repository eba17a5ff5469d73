/** The change chart's y ticks: one precision for all of them (rendered to markup, no DOM). */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ChangeChart } from './ChangeChart.tsx';

/** The y-axis labels (text anchored at the end), in drawing order. */
function ticks(html: string): string[] {
  return [...html.matchAll(/<text[^>]*text-anchor="end"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

describe('ChangeChart', () => {
  it('labels relative-change ticks with one precision ("0%", "5%", "10%"), not "0.0%" beside "10%"', () => {
    const changes = [0, 1, 2].map((layer) => ({
      name: `l${layer}`,
      layer,
      norm: 1,
      relativeChange: 0.05 + layer * 0.05,
    }));
    expect(ticks(renderToStaticMarkup(<ChangeChart changes={changes} />))).toEqual([
      '0%',
      '5%',
      '10%',
      '15%',
    ]);
  });

  it('labels small relative changes with the decimals they need, the same on every tick', () => {
    const changes = [0, 1].map((layer) => ({ name: `l${layer}`, layer, norm: 1, relativeChange: 0.003 }));
    const labels = ticks(renderToStaticMarkup(<ChangeChart changes={changes} />));
    expect(labels[0]).toBe('0.0%');
    expect(new Set(labels.map((l) => l.split('.')[1]?.length ?? 0)).size).toBe(1);
  });
});
