/**
 * Every place a recipe names a model, with its YAML path, and the recipe with those names
 * rewritten: multi-stage files (./multi-recipe.ts) turn a stage's name into its output folder.
 * One walk serves both, so a place cannot be found by one and missed by the other. The places:
 * base_model, models[].model, slices[].base_model, slices[].sources[].model (and the same
 * under each of modules:), the tokenizer
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
  Object.assign(out, renameInputs(r, [], rename));
  if (r.modules) {
    out.modules = Object.fromEntries(
      Object.entries(r.modules).map(([name, m]) => [
        name,
        { ...m, ...renameInputs(m, ['modules', name], rename) },
      ]),
    );
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

/** The models: and slices: of a recipe or of one of its modules, renamed. */
function renameInputs(
  r: Pick<Recipe, 'models' | 'slices'>,
  at: YamlPath,
  rename: RenameModel,
): Pick<Recipe, 'models' | 'slices'> {
  return {
    ...(r.models && {
      models: r.models.map((m, i) => ({ ...m, model: rename(m.model, [...at, 'models', i, 'model']) })),
    }),
    ...(r.slices && {
      slices: r.slices.map((s, i) => ({
        ...s,
        ...(s.base_model !== undefined && {
          base_model: rename(s.base_model, [...at, 'slices', i, 'base_model']),
        }),
        sources: s.sources.map((src, j): InputSlice => ({
          ...src,
          model: rename(src.model, [...at, 'slices', i, 'sources', j, 'model']),
        })),
      })),
    }),
  };
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
