/**
 * Renaming a model everywhere a recipe names it, as applying a LoRA adapter does (`org/base`
 * becomes mergekit's `org/base+org/lora`, and back when the adapter is removed). mergekit knows
 * a model only by its reference, so every place must change together or the recipe would name
 * a model that is no longer in it: `models`, `base_model`, each slice's sources and base, the
 * tokenizer's source and the `tokenizer.tokens` sources. Per-model parameters stay with their
 * entries. Kept free of React and zustand, as recipe-edits.ts.
 */
import type { ParamStash } from './recipe-edits.ts';
import {
  referencedModels,
  tokenizerSource,
  type Recipe,
  type TokenEmbeddingConfig,
  type TokenizerConfig,
} from '../../workers/plan/recipe.ts';

function renameTokenSource(cfg: TokenEmbeddingConfig, from: string, to: string): TokenEmbeddingConfig {
  const src = cfg.source;
  if (src === from) return { ...cfg, source: to };
  if (typeof src !== 'string' && src.kind === 'model_token' && src.model === from)
    return { ...cfg, source: { ...src, model: to } };
  return cfg;
}

function renameTokenizer(r: Recipe, from: string, to: string): Recipe {
  // `base` and `union` are keywords even when a model has that name (as mergekit reads them).
  const named = from !== 'base' && from !== 'union' && tokenizerSource(r) === from;
  let next = r;
  if (named && r.tokenizer_source !== undefined) next = { ...next, tokenizer_source: to };
  const t = next.tokenizer;
  if (!t) return next;
  const tokenizer: TokenizerConfig = {
    ...t,
    ...(named && { source: to }),
    ...(t.tokens && {
      tokens: Object.fromEntries(
        Object.entries(t.tokens).map(([k, cfg]) => [k, renameTokenSource(cfg, from, to)]),
      ),
    }),
  };
  return { ...next, tokenizer };
}

/**
 * The recipe with model `from` called `to` everywhere. Unchanged when `from` is not in the
 * recipe, or when `to` already is: two entries would become one model (as addModel refuses a
 * model twice).
 */
export function renameModel(r: Recipe, from: string, to: string): Recipe {
  const named = referencedModels(r);
  if (from === to || !named.includes(from) || named.includes(to)) return r;
  const rename = (id: string): string => (id === from ? to : id);
  let next: Recipe = { ...r };
  if (r.base_model !== undefined) next = { ...next, base_model: rename(r.base_model) };
  if (r.models) next = { ...next, models: r.models.map((m) => ({ ...m, model: rename(m.model) })) };
  if (r.slices) {
    next = {
      ...next,
      slices: r.slices.map((s) => ({
        ...s,
        ...(s.base_model !== undefined && { base_model: rename(s.base_model) }),
        sources: s.sources.map((src) => ({ ...src, model: rename(src.model) })),
      })),
    };
  }
  if (r.modules) {
    const modules = Object.entries(r.modules).map(([name, m]) => {
      const renamed = renameModel({ merge_method: r.merge_method, ...m }, from, to);
      return [
        name,
        {
          ...m,
          ...(renamed.models && { models: renamed.models }),
          ...(renamed.slices && { slices: renamed.slices }),
        },
      ] as const;
    });
    next = { ...next, modules: Object.fromEntries(modules) };
  }
  const weights = r.merge_studio?.weights;
  if (weights && Object.hasOwn(weights, from)) {
    // merge_studio.weights (karcher, model_stock) are keyed by model: the weight follows it
    const renamed = Object.fromEntries(Object.entries(weights).map(([k, v]) => [rename(k), v]));
    next = { ...next, merge_studio: { ...r.merge_studio, weights: renamed } };
  }
  return renameTokenizer(next, from, to);
}

/**
 * The parameters a method switch set aside (recipe-edits.ts ParamStash), with the renamed
 * model's places renamed too, so switching back still finds them.
 */
export function renameStash(stash: ParamStash, from: string, to: string): ParamStash {
  const key = (k: string): string => {
    if (k === `model:${from}`) return `model:${to}`;
    const m = /^(slice:\d+:)(.*)$/s.exec(k);
    return m && m[2] === from ? `${m[1]!}${to}` : k;
  };
  return Object.fromEntries(Object.entries(stash).map(([k, v]) => [key(k), v]));
}
