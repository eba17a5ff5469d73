/**
 * Every place a recipe names a model, with its YAML path, and the recipe with those names
 * rewritten: multi-stage files (./multi-recipe.ts) turn a stage's name into its output folder.
 * One walk serves both, so a place cannot be found by one and missed by the other. The places:
 * base_model, models[].model, slices[].base_model, slices[].sources[].model, the tokenizer
 * source (less its keywords base and union), the tokens' sources, and the keys of
 * merge_studio.weights (which name models too).
 */
import type { YamlPath } from './problems.ts';
import type { InputSlice, Recipe, TokenEmbeddingConfig, TokenEmbeddingSource } from './recipe.ts';

export type RenameModel = (ref: string, path: YamlPath) => string;

/** The tokenizer source's words for the base's and every model's tokenizer, not models. */
const keyword = (s: string): boolean => s === 'base' || s === 'union';

/** The recipe with each model reference replaced by `rename(ref, path)`; the rest is shared. */
export function renameModels(r: Recipe, rename: RenameModel): Recipe {
  const out: { -readonly [K in keyof Recipe]: Recipe[K] } = { ...r };
  if (r.base_model !== undefined) out.base_model = rename(r.base_model, ['base_model']);
  if (r.models)
    out.models = r.models.map((m, i) => ({ ...m, model: rename(m.model, ['models', i, 'model']) }));
  if (r.slices) {
    out.slices = r.slices.map((s, i) => ({
      ...s,
      ...(s.base_model !== undefined && { base_model: rename(s.base_model, ['slices', i, 'base_model']) }),
      sources: s.sources.map((src, j): InputSlice => ({
        ...src,
        model: rename(src.model, ['slices', i, 'sources', j, 'model']),
      })),
    }));
  }
  if (r.tokenizer_source !== undefined && !keyword(r.tokenizer_source))
    out.tokenizer_source = rename(r.tokenizer_source, ['tokenizer_source']);
  if (r.tokenizer) {
    const t = r.tokenizer;
    out.tokenizer = {
      ...t,
      source: keyword(t.source) ? t.source : rename(t.source, ['tokenizer', 'source']),
      ...(t.tokens && {
        tokens: Object.fromEntries(
          Object.entries(t.tokens).map(([tok, cfg]): [string, TokenEmbeddingConfig] => [
            tok,
            { ...cfg, source: renameSource(cfg.source, ['tokenizer', 'tokens', tok, 'source'], rename) },
          ]),
        ),
      }),
    };
  }
  const weights = r.merge_studio?.weights;
  if (weights) {
    const path = ['merge_studio', 'weights'];
    out.merge_studio = {
      ...r.merge_studio,
      weights: Object.fromEntries(Object.entries(weights).map(([m, w]) => [rename(m, [...path, m]), w])),
    };
  }
  return out;
}

function renameSource(src: TokenEmbeddingSource, path: YamlPath, rename: RenameModel): TokenEmbeddingSource {
  if (typeof src === 'string') return rename(src, path);
  if (src.kind === 'model_token') return { ...src, model: rename(src.model, [...path, 'model']) };
  return src;
}

export interface ModelReference {
  readonly ref: string;
  readonly path: YamlPath;
}

/** Every model reference of the recipe, with its path, in the order renameModels visits them. */
export function modelReferences(r: Recipe): ModelReference[] {
  const refs: ModelReference[] = [];
  renameModels(r, (ref, path) => {
    refs.push({ ref, path });
    return ref;
  });
  return refs;
}
