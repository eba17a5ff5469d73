/**
 * Where models come from: the hub URL (the Hugging Face Hub, or a local hub such as the bundled
 * demo), the optional token (memory only: never persisted, never put in URLs or recipes), and
 * which model ids are local folders the user opened (their File objects stay in local-files.ts).
 *
 * The token belongs to one hub: choosing a hub on another origin clears it. A hub named by a
 * shared link (#hub=) is used at once only when it is one of ours (the demo hub, the Hugging
 * Face Hub) or on this machine; any other waits in `pendingHubUrl` until the user confirms it,
 * so a link cannot quietly point the token field at someone else's server.
 */
import type { StateCreator } from 'zustand';
import type { StudioState } from './store.ts';

export const HF_HUB_URL = 'https://huggingface.co';
/** The demo hub `npm start` runs (VITE_LOCAL_HUB_URL when it had to pick another port). */
export const DEMO_HUB_URL: string =
  (import.meta.env['VITE_LOCAL_HUB_URL'] as string | undefined) ?? 'http://127.0.0.1:5174';

/** Hosts on this machine: a hub there is one the user runs (`merge-studio serve`). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

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
    return (u.protocol === 'http:' || u.protocol === 'https:') && LOOPBACK_HOSTS.has(u.hostname);
  } catch {
    return false;
  }
}

export interface LocalFolderInfo {
  readonly files: number;
  readonly bytes: number;
}

export interface SourcesSlice {
  readonly hubUrl: string;
  readonly token: string;
  /** A hub a shared link names, not used until the user confirms it. */
  readonly pendingHubUrl: string | undefined;
  readonly localFolders: Readonly<Record<string, LocalFolderInfo>>;
  /** The user's choice; clears the token when the origin changes. */
  setHubUrl(url: string): void;
  /** A hub from a shared link: used at once when trusted, else kept pending. */
  offerHubUrl(url: string): void;
  confirmHubUrl(): void;
  dismissHubUrl(): void;
  setToken(token: string): void;
  addLocalFolder(id: string, info: LocalFolderInfo): void;
  removeLocalFolder(id: string): void;
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
  addLocalFolder: (id, info) => set((s) => ({ localFolders: { ...s.localFolders, [id]: info } })),
  removeLocalFolder: (id) =>
    set((s) => {
      const { [id]: _gone, ...rest } = s.localFolders;
      return { localFolders: rest };
    }),
});
