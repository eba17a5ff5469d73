/**
 * Where models come from: the hub URL (the Hugging Face Hub, or a local hub such as the bundled
 * demo), the optional token (memory only: never persisted, never put in URLs or recipes), and
 * which model ids are local folders the user opened (their File objects stay in local-files.ts).
 */
import type { StateCreator } from 'zustand';
import type { StudioState } from './store.ts';

export const HF_HUB_URL = 'https://huggingface.co';
/** The demo hub `npm start` runs (VITE_LOCAL_HUB_URL when it had to pick another port). */
export const DEMO_HUB_URL: string =
  (import.meta.env['VITE_LOCAL_HUB_URL'] as string | undefined) ?? 'http://127.0.0.1:5174';

export interface LocalFolderInfo {
  readonly files: number;
  readonly bytes: number;
}

export interface SourcesSlice {
  readonly hubUrl: string;
  readonly token: string;
  readonly localFolders: Readonly<Record<string, LocalFolderInfo>>;
  setHubUrl(url: string): void;
  setToken(token: string): void;
  addLocalFolder(id: string, info: LocalFolderInfo): void;
  removeLocalFolder(id: string): void;
}

export const createSourcesSlice: StateCreator<StudioState, [], [], SourcesSlice> = (set) => ({
  hubUrl: DEMO_HUB_URL,
  token: '',
  localFolders: {},
  setHubUrl: (hubUrl) => set({ hubUrl: hubUrl.replace(/\/+$/, '') }),
  setToken: (token) => set({ token }),
  addLocalFolder: (id, info) => set((s) => ({ localFolders: { ...s.localFolders, [id]: info } })),
  removeLocalFolder: (id) =>
    set((s) => {
      const { [id]: _gone, ...rest } = s.localFolders;
      return { localFolders: rest };
    }),
});
