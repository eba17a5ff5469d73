/** Fixture access for the evaluation's tests: the tinymix models, texts and reference numbers. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { folderModelSource } from '../io/node/fs-source.ts';
import { loadEvalModel } from './evaluate.ts';
import type { ModelWeights } from './model/weights.ts';
import type { TextTokenizer } from './text/tokenizer.ts';

export const TINYMIX = path.resolve(import.meta.dirname, '../../test-data/tinymix');
export const MODEL_NAMES = ['base', 'code', 'math', 'law', 'code-b', 'code-c'] as const;
export const TEXT_NAMES = ['general', 'code', 'law', 'math'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];
export type TextName = (typeof TEXT_NAMES)[number];

export const REFERENCE_LOGITS = JSON.parse(
  readFileSync(path.join(TINYMIX, 'tinymix-reference-logits.json'), 'utf8'),
) as Record<ModelName, { input_ids: number[]; last_logits: number[] }>;

export const REFERENCE_LOSSES = JSON.parse(
  readFileSync(path.join(TINYMIX, 'tinymix-losses.json'), 'utf8'),
) as Record<ModelName, Record<TextName, number>>;

export function evalText(name: TextName): string {
  return readFileSync(path.join(TINYMIX, `eval-${name}.txt`), 'utf8');
}

const cache = new Map<string, Promise<{ weights: ModelWeights; tokenizer: TextTokenizer }>>();

export function tinymix(name: ModelName): Promise<{ weights: ModelWeights; tokenizer: TextTokenizer }> {
  let m = cache.get(name);
  if (!m)
    cache.set(
      name,
      (m = loadEvalModel(folderModelSource(`tinymix-${name}`, path.join(TINYMIX, `tinymix-${name}`)))),
    );
  return m;
}

/** A copy of `w` with some tensors replaced or removed and config keys changed. */
export function variant(
  w: ModelWeights,
  change: {
    readonly config?: Record<string, unknown>;
    readonly set?: Record<string, { shape: readonly number[]; data: Float32Array }>;
    readonly remove?: readonly string[];
  },
): ModelWeights {
  const weights = new Map(w.weights);
  for (const n of change.remove ?? []) weights.delete(n);
  for (const [n, t] of Object.entries(change.set ?? {})) weights.set(n, t);
  return { id: `${w.id} (variant)`, config: { ...w.config, ...change.config }, weights };
}
