/**
 * The studio's state in the page's URL: a MoE config (prompts in any script included) and the
 * open tool survive a reload next to the merge recipe, and a link holds no token, whether read
 * as it is or decoded. A damaged MoE part says so and leaves the builder empty; a config that
 * is not one yet comes back as the YAML editor's draft; valid links go to "Recent recipes"
 * with their kind. Node has no location, history or localStorage: small stand-ins here.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readHistory } from '../shared/history.ts';
import { selectMoeYaml } from '../stores/moe-selectors.ts';
import { DEMO_HUB_URL } from '../stores/sources-slice.ts';
import { useStudio } from '../stores/store.ts';
import {
  DAMAGED_MOE_LINK,
  linkHash,
  moeShareUrl,
  pageHash,
  readLinkHash,
  shareUrl,
  startUrlSync,
} from './url-state.ts';

const TOKEN = 'hf_urlstatetokenurlstate';
const MOE = `base_model: tinymix-base
gate_mode: cheap_embed
experts_per_token: 1
experts:
  - source_model: tinymix-code
    positive_prompts:
      - "def merge(a, b):"
      - "# ∑ 𝛼 — ¿qué? 🧪"
  - source_model: org/math@main
    positive_prompts:
      - 37+45=82
    negative_prompts:
      - def
    residual_scale: 0.5
`;
const RECIPE = `merge_method: slerp
base_model: tinymix-base
models:
  - model: tinymix-base
  - model: tinymix-code
parameters:
  t: 0.3
`;

const initial = useStudio.getState();
let page: URL;

beforeEach(() => {
  vi.useFakeTimers();
  page = new URL('http://studio.test/app/');
  const storage = new Map<string, string>();
  vi.stubGlobal('location', {
    get origin() {
      return page.origin;
    },
    get pathname() {
      return page.pathname;
    },
    get hash() {
      return page.hash;
    },
  });
  vi.stubGlobal('history', { replaceState: (_: unknown, __: string, url: string) => (page = new URL(url)) });
  vi.stubGlobal('localStorage', {
    getItem: (k: string) => storage.get(k) ?? null,
    setItem: (k: string, v: string) => void storage.set(k, v),
  });
  useStudio.setState(initial, true);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** Every YAML part of a hash, decoded: what a token must not be in either. */
function decoded(hash: string): string {
  const link = readLinkHash(hash);
  return [link.recipe, link.moe].map((p) => (p && p !== 'damaged' ? p.text : '')).join('\n');
}

/** Edits the studio as a user would, then lets the URL catch up. */
function edit(): void {
  const s = useStudio.getState();
  s.setToken(TOKEN);
  expect(s.editYaml(RECIPE)).toBe(true);
  expect(s.editMoeYaml(MOE)).toBe(true);
  s.setStudioMode('moe');
  vi.advanceTimersByTime(1000);
}

describe('the page URL', () => {
  it('keeps the MoE config, the open tool and the recipe across a reload, never the token', () => {
    const stop = startUrlSync();
    edit();
    stop();
    const moe = useStudio.getState().moe;
    expect(selectMoeYaml(useStudio.getState())).toBe(MOE);
    expect(page.hash).toMatch(/(^#|&)moe=/);
    expect(page.hash).toMatch(/(^#|&)mode=moe(&|$)/);
    expect(page.hash).toMatch(/(^#|&)recipe=/);
    expect(page.href).not.toContain(TOKEN);
    expect(decoded(page.hash)).not.toContain(TOKEN);

    // The reload: a fresh store, the same URL.
    useStudio.setState(initial, true);
    const stopAgain = startUrlSync();
    const s = useStudio.getState();
    expect(s.studioMode).toBe('moe');
    expect(s.moe).toEqual(moe);
    expect(selectMoeYaml(s)).toBe(MOE);
    expect(s.recipe.merge_method).toBe('slerp');
    expect(s.token).toBe('');
    expect(readHistory().map((e) => [e.kind ?? 'merge', e.yaml])).toEqual([
      ['moe', MOE],
      ['merge', RECIPE],
    ]);
    stopAgain();
  });

  it('follows a switch back to Merge; leaves out what is still empty', () => {
    expect(pageHash(useStudio.getState())).toBe('');
    const stop = startUrlSync();
    useStudio.getState().setMoeBase('tinymix-base');
    useStudio.getState().setStudioMode('moe');
    vi.advanceTimersByTime(1000);
    expect(readLinkHash(page.hash)).toMatchObject({ mode: 'moe', recipe: undefined });
    useStudio.getState().setStudioMode('merge');
    vi.advanceTimersByTime(1000);
    expect(readLinkHash(page.hash).mode).toBeUndefined();
    expect(decoded(page.hash)).toContain('base_model: tinymix-base');
    stop();
  });

  it('a damaged MoE part says so; a config that is not one yet is the draft, not history', () => {
    page.hash = `#mode=moe&moe=%%%notbase64&${linkHash({ mode: 'merge', recipe: RECIPE, hubUrl: DEMO_HUB_URL })}`;
    startUrlSync()();
    let s = useStudio.getState();
    expect(s.moeLinkError).toBe(DAMAGED_MOE_LINK);
    expect(s.moe).toEqual(initial.moe);
    expect(s.studioMode).toBe('moe');
    expect(s.recipe.merge_method).toBe('slerp');

    useStudio.setState(initial, true);
    const draft = 'base_model: tinymix-base\ngate_mdoe: hidden\nexperts: []\n';
    page.hash = `#${linkHash({ mode: 'moe', moe: draft, hubUrl: DEMO_HUB_URL })}`;
    startUrlSync()();
    s = useStudio.getState();
    expect(s.moeDraft).toBe(draft);
    expect(s.moeDraftProblems.map((p) => p.line)).toContain(2);
    expect(readHistory().filter((e) => e.kind === 'moe')).toEqual([]);
  });
});

describe('share links', () => {
  it('a MoE link opens the builder with the config alone; a merge link is the recipe alone', () => {
    const s = useStudio.getState();
    s.setToken(TOKEN);
    s.setHubUrl('http://127.0.0.1:6123');
    const hub = useStudio.getState().hubUrl;
    const moe = moeShareUrl(MOE, hub);
    expect(moe.startsWith('http://studio.test/app/#')).toBe(true);
    const link = readLinkHash(new URL(moe).hash);
    expect(link).toEqual({
      mode: 'moe',
      moe: { text: MOE },
      recipe: undefined,
      hub: 'http://127.0.0.1:6123',
    });
    const merge = readLinkHash(new URL(shareUrl(RECIPE, DEMO_HUB_URL)).hash);
    expect(merge).toEqual({ mode: undefined, recipe: { text: RECIPE }, moe: undefined, hub: undefined });
    for (const url of [moe, shareUrl(RECIPE, hub)]) {
      expect(url).not.toContain(TOKEN);
      expect(decoded(new URL(url).hash)).not.toContain(TOKEN);
    }
  });
});
