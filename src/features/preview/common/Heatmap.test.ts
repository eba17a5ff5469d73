import { describe, expect, it } from 'vitest';
import { heatmapLayout } from './Heatmap.tsx';

/** Where a column label leaning at 40° ends, at 6.5 px a character (the 11px font is narrower). */
function labelEnd(left: number, top: number, col: number, label: string) {
  const len = 6.5 * label.length;
  const a = (40 * Math.PI) / 180;
  return { x: left + col * 56 + 28 + len * Math.cos(a), y: top - 6 - len * Math.sin(a) };
}

describe('heatmapLayout', () => {
  it('leaves room above and to the right for a long last column label', () => {
    const cols = ['self_attn.q_proj', 'mlp.down_proj', 'post_attention_layernorm'];
    const { left, top, width } = heatmapLayout(['0', '1', '2'], cols, true);
    const end = labelEnd(left, top, cols.length - 1, cols.at(-1)!);
    expect(end.x).toBeLessThanOrEqual(width);
    expect(end.y).toBeGreaterThanOrEqual(0);
  });
  it('keeps the usual size for short labels', () => {
    const { top, width, height, left } = heatmapLayout(['layer 0'], ['a', 'b'], false);
    expect(top).toBe(92);
    expect(width).toBe(left + 2 * 56 + 8);
    expect(height).toBe(92 + 26 + 8);
  });
});
