/**
 * The texts losses are measured on: the four built-in eval texts (served from public/eval-texts,
 * copies of test-data/tinymix's, so a production build has them too), fetched once and cached
 * by TanStack Query, and text the user pastes. Also where the models come from (the store's hub
 * and opened folders), read at the moment a task starts.
 */
import type { QueryClient } from '@tanstack/react-query';
import type { RawText, WindowChoice } from '../../../workers/runtime/preview-api.ts';
import type { ModelSources } from '../../../workers/runtime/requests.ts';
import { localFolders } from '../../engine/local-files.ts';
import { useStudio } from '../../stores/store.ts';

export const BUILTIN_TEXTS = [
  { name: 'general', label: 'General English' },
  { name: 'code', label: 'Python code' },
  { name: 'law', label: 'Legal text' },
  { name: 'math', label: 'Arithmetic' },
] as const;

export interface TextChoice {
  readonly builtin: readonly string[];
  /** Pasted text; used when not blank. */
  readonly pasted: string;
  readonly windows: WindowChoice;
}

export const DEFAULT_TEXTS: TextChoice = { builtin: ['code', 'math'], pasted: '', windows: 24 };

export class TextChoiceError extends Error {
  override readonly name: string = 'TextChoiceError';
}

async function fetchText(name: string, signal: AbortSignal): Promise<string> {
  const url = `${import.meta.env.BASE_URL}eval-texts/eval-${name}.txt`;
  const res = await fetch(url, { signal });
  if (!res.ok)
    throw new TextChoiceError(`the built-in text ${name} could not be loaded (HTTP ${res.status})`);
  return res.text();
}

export async function loadTexts(client: QueryClient, choice: TextChoice): Promise<RawText[]> {
  const texts = await Promise.all(
    choice.builtin.map(async (name) => ({
      name,
      text: await client.fetchQuery({
        queryKey: ['eval-text', name],
        queryFn: ({ signal }) => fetchText(name, signal),
        staleTime: Infinity,
      }),
    })),
  );
  if (choice.pasted.trim() !== '') texts.push({ name: 'pasted', text: choice.pasted });
  if (texts.length === 0) throw new TextChoiceError('choose at least one text, or paste one');
  return texts;
}

/** Where the worker finds `ids`: folders the user opened, else the hub (with the token, if any). */
export function previewSources(ids: readonly string[]): ModelSources {
  const s = useStudio.getState();
  return { local: localFolders(ids), hub: { url: s.hubUrl, ...(s.token && { token: s.token }) } };
}
