/**
 * The recipe in the page's URL, so a link reproduces it: #recipe=<base64url of the YAML> and,
 * when it is not the default, &hub=<url>. Never the token. Written with replaceState as the
 * recipe changes; read once at start-up, when a hub other than ours is only offered to the user.
 */
import { recipeToYaml } from '../../workers/plan/recipe-yaml.ts';
import { pushHistory } from '../features/history/history.ts';
import { DEMO_HUB_URL } from '../stores/sources-slice.ts';
import { useStudio } from '../stores/store.ts';

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): string {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  // fatal: a link cut short in a multi-byte character is damaged, not a recipe with a U+FFFD.
  return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

export function shareUrl(yaml: string, hubUrl: string): string {
  const params = new URLSearchParams();
  params.set('recipe', toBase64Url(yaml));
  if (hubUrl !== DEMO_HUB_URL) params.set('hub', hubUrl);
  return `${location.origin}${location.pathname}#${params.toString()}`;
}

export const DAMAGED_LINK =
  'The recipe in this link could not be read: the link is damaged or cut short. The studio starts with an empty recipe.';

/**
 * Loads a recipe from the URL (if any) and keeps the URL in step with the recipe afterwards. A
 * recipe that does not validate yet loads as it is (the controls' work in progress) or, when it
 * is not even a recipe's shape, as the YAML editor's draft with its problems.
 */
export function startUrlSync(): () => void {
  const params = new URLSearchParams(location.hash.slice(1));
  const hub = params.get('hub');
  // Another hub waits for the user's yes (sources-slice.ts): a token typed later would go to it.
  if (hub) useStudio.getState().offerHubUrl(hub);
  const encoded = params.get('recipe');
  if (encoded) {
    try {
      const yaml = fromBase64Url(encoded);
      if (useStudio.getState().editYaml(yaml)) pushHistory(yaml);
    } catch {
      // Shown with the YAML (YamlPanel): the run log is hidden until a merge runs.
      useStudio.getState().setLinkError(DAMAGED_LINK);
    }
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  return useStudio.subscribe((s, prev) => {
    if (s.recipe === prev.recipe && s.hubUrl === prev.hubUrl) return;
    clearTimeout(timer);
    timer = setTimeout(() => history.replaceState(null, '', shareUrl(recipeToYaml(s.recipe), s.hubUrl)), 250);
  });
}
