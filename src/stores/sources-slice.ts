/**
 * Where models come from: the hub URL (the Hugging Face Hub, or a local hub such as the bundled
 * demo), the optional token (memory only: never persisted, never put in URLs or recipes), and
 * which model ids are local folders the user opened (their File objects stay in local-files.ts).
 *
 * The token belongs to one hub: choosing a hub on another origin clears it. A hub named by a
 * shared link (#hub=) is used at once only when it is one of ours (the demo hub, the Hugging
 * Face Hub) or on this machine; any other waits in `pendingHubUrl` until the user confirms it,
 * so a link cannot quietly point the token field at someone else's server.
 *
 * A folder's File objects do not survive a reload, but its id stays in the recipe (the URL):
 * the ids of opened folders are remembered in sessionStorage (ids only, never files), so after
 * a reload the studio says which models must be opened again instead of looking them up on
 * the hub (`lostLocalFolders`).
 */
import type { StateCreator } from 'zustand';
import type { StudioState } from './store.ts';
import { isLoopbackHostname } from '../../workers/io/loopback.ts';

export const HF_HUB_URL = 'https://huggingface.co';
/** The demo hub `npm start` runs (VITE_LOCAL_HUB_URL when it had to pick another port). */
export const DEMO_HUB_URL: string =
  (import.meta.env['VITE_LOCAL_HUB_URL'] as string | undefined) ?? 'http://127.0.0.1:5174';

/** Where a hub's token goes: its URL's origin, or the text itself while it is no URL (being typed). */
export function hubOrigin(url: string): string {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? url : origin;
  } catch {
    return url;
  }
}

/** Whether a link may switch to this hub without asking. */
function trustedHub(url: string): boolean {
  const origin = hubOrigin(url);
  if (origin === hubOrigin(DEMO_HUB_URL) || origin === hubOrigin(HF_HUB_URL)) return true;
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && isLoopbackHostname(u.hostname);
  } catch {
    return false;
  }
}

/** sessionStorage key: the ids of folders opened in this tab (JSON array of strings). */
export const LOCAL_IDS_KEY = 'merge-studio.local-folder-ids';

function session(): Storage | undefined {
  try {
    return globalThis.sessionStorage;
  } catch {
    return undefined; // storage blocked (sandboxed frame, privacy settings)
  }
}

/** The ids of folders opened in this tab before, as remembered; [] when none or unreadable. */
export function rememberedLocalIds(): string[] {
  try {
    const v: unknown = JSON.parse(session()?.getItem(LOCAL_IDS_KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

function rememberLocalIds(ids: readonly string[]): void {
  try {
    session()?.setItem(LOCAL_IDS_KEY, JSON.stringify(ids));
  } catch {
    // Not remembered: after a reload the model is looked up on the hub, as before.
  }
}

export interface LocalFolderInfo {
  readonly files: number;
  readonly bytes: number;
  /** A PEFT LoRA adapter's folder: not a model of its own, applied to one as `base+adapter`. */
  readonly adapter?: boolean;
}

export interface SourcesSlice {
  readonly hubUrl: string;
  readonly token: string;
  /** A hub a shared link names, not used until the user confirms it. */
  readonly pendingHubUrl: string | undefined;
  readonly localFolders: Readonly<Record<string, LocalFolderInfo>>;
  /** Ids of folders opened before a reload whose files are gone: they must be opened again. */
  readonly lostLocalFolders: readonly string[];
  /** The user's choice; clears the token when the origin changes. */
  setHubUrl(url: string): void;
  /** A hub from a shared link: used at once when trusted, else kept pending. */
  offerHubUrl(url: string): void;
  confirmHubUrl(): void;
  dismissHubUrl(): void;
  setToken(token: string): void;
  addLocalFolder(id: string, info: LocalFolderInfo): void;
  removeLocalFolder(id: string): void;
  /** The id is no longer a lost folder (the model was removed, or is taken from the hub now). */
  forgetLostLocalFolder(id: string): void;
}

type HubChange = Pick<SourcesSlice, 'hubUrl'> & Partial<Pick<SourcesSlice, 'token'>>;

function changeHub(from: string, to: string): HubChange {
  const hubUrl = to.replace(/\/+$/, '');
  return hubOrigin(hubUrl) === hubOrigin(from) ? { hubUrl } : { hubUrl, token: '' };
}

export const createSourcesSlice: StateCreator<StudioState, [], [], SourcesSlice> = (set) => ({
  hubUrl: DEMO_HUB_URL,
  token: '',
  pendingHubUrl: undefined,
  localFolders: {},
  lostLocalFolders: rememberedLocalIds(),
  setHubUrl: (url) => set((s) => changeHub(s.hubUrl, url)),
  offerHubUrl: (url) =>
    set((s) =>
      trustedHub(url) || hubOrigin(url) === hubOrigin(s.hubUrl)
        ? { ...changeHub(s.hubUrl, url), pendingHubUrl: undefined }
        : { pendingHubUrl: url.replace(/\/+$/, '') },
    ),
  confirmHubUrl: () =>
    set((s) =>
      s.pendingHubUrl === undefined
        ? {}
        : { ...changeHub(s.hubUrl, s.pendingHubUrl), pendingHubUrl: undefined },
    ),
  dismissHubUrl: () => set({ pendingHubUrl: undefined }),
  setToken: (token) => set({ token }),
  addLocalFolder: (id, info) =>
    set((s) => {
      const localFolders = { ...s.localFolders, [id]: info };
      const lostLocalFolders = s.lostLocalFolders.filter((x) => x !== id);
      rememberLocalIds([...lostLocalFolders, ...Object.keys(localFolders)]);
      return { localFolders, lostLocalFolders };
    }),
  removeLocalFolder: (id) =>
    set((s) => {
      const { [id]: _gone, ...rest } = s.localFolders;
      rememberLocalIds([...s.lostLocalFolders, ...Object.keys(rest)]);
      return { localFolders: rest };
    }),
  forgetLostLocalFolder: (id) =>
    set((s) => {
      if (!s.lostLocalFolders.includes(id)) return {};
      const lostLocalFolders = s.lostLocalFolders.filter((x) => x !== id);
      rememberLocalIds([...lostLocalFolders, ...Object.keys(s.localFolders)]);
      return { lostLocalFolders };
    }),
});
