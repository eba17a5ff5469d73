import { describe, expect, it } from 'vitest';
import { DEMO_HUB_URL, HF_HUB_URL } from '../../stores/sources-slice.ts';
import { hubPreset } from './HubSettings.tsx';

describe('hubPreset', () => {
  it('shows "Other hub URL…" once chosen, though the URL is still the demo’s or the Hub’s', () => {
    expect(hubPreset(DEMO_HUB_URL, true)).toBe('custom');
    expect(hubPreset(HF_HUB_URL, true)).toBe('custom');
  });
  it('else follows the URL', () => {
    expect(hubPreset(DEMO_HUB_URL, false)).toBe('demo');
    expect(hubPreset(HF_HUB_URL, false)).toBe('hf');
    expect(hubPreset('http://127.0.0.1:6000', false)).toBe('custom');
  });
});
