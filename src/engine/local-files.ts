/**
 * Model folders the user opened from disk (directory picker, folder input or drop): their File
 * objects, by model id. Kept outside the store (which holds only small things); the store
 * records which ids are local. Files are read in place, never copied.
 */
import { blobModelSource } from '../../workers/io/memory.ts';
import type { ModelSource } from '../../workers/io/source.ts';
import type { LocalModelFiles } from '../../workers/runtime/requests.ts';

const folders = new Map<string, LocalModelFiles>();

export function registerLocalFolder(id: string, files: LocalModelFiles): void {
  folders.set(id, files);
}

export function forgetLocalFolder(id: string): void {
  folders.delete(id);
}

export function localFolder(id: string): LocalModelFiles | undefined {
  return folders.get(id);
}

export function localFolders(ids: readonly string[]): Record<string, LocalModelFiles> {
  return Object.fromEntries(ids.flatMap((id) => (folders.has(id) ? [[id, folders.get(id)!]] : [])));
}

export function localSource(id: string): ModelSource | undefined {
  const f = folders.get(id);
  return f && blobModelSource(id, new Map(f.files.map((x) => [x.path, x.file])));
}

/**
 * Groups picked files by model folder. Files come with paths relative to what was picked
 * ("tinymix-code/config.json" when a model folder was picked, or
 * "models/tinymix-code/config.json" for a folder of models): every folder holding a
 * config.json is one model, named after the folder.
 */
export function groupModelFolders(
  files: readonly { path: string; file: File }[],
): Map<string, LocalModelFiles> {
  const roots = files
    .filter((f) => f.path.endsWith('config.json') && f.path.split('/').at(-1) === 'config.json')
    .map((f) => f.path.slice(0, -'config.json'.length));
  const out = new Map<string, LocalModelFiles>();
  for (const root of roots) {
    const name = root.split('/').filter(Boolean).at(-1) ?? 'local-model';
    const inside = files.filter((f) => f.path.startsWith(root) && !f.path.slice(root.length).includes('/'));
    out.set(name, { files: inside.map((f) => ({ path: f.path.slice(root.length), file: f.file })) });
  }
  return out;
}
