/**
 * Opening a model for a recipe (headers, and the tokenizer parts the recipe needs), and a small
 * cache of opened models for the plan the Run panel shows as the recipe is edited
 * (../runtime/api.ts `plan`). Re-reading every safetensors header and tokenizer.json (which
 * can be tens of megabytes) on each slider move would be wasteful, while the plan itself
 * (buildPlan) is cheap: so the cache keeps what was read, and the plan is rebuilt every time.
 * A MoE's plan (`planMoe`) needs only the headers, through `headers`, from the same entries.
 *
 * Only Hub models are cached, keyed by the hub, whether a token was given, the id and the
 * commit sha the source is pinned to: resolving the id (one model-info request) is the
 * revision check, so a push to the repo, or a token that no longer reads it, is seen on the
 * next plan. Local folders (no revision; their files are read from memory, not the network)
 * and `base+adapter` models (whose revision mixes two sources) are read afresh each time.
 * Merges never use the cache: they read everything from the sources they are given.
 */
import type { LoadedModel } from '../io/load-model.ts';
import { loadModel } from '../io/load-model.ts';
import { readChatTemplate, readTokenizerInfo, withTokenizer } from '../io/read-tokenizer.ts';
import type { ModelSource } from '../io/source.ts';
import type { ModelInfo } from '../plan/architecture.ts';
import { tokenizerSource, type Recipe } from '../plan/recipe.ts';
import type { TokenizerInfo } from '../plan/tokenizer-vocab.ts';

/** Opens one model for `recipe`: its headers, and its tokenizer and chat template when the recipe needs them. */
export type ModelLoader = (recipe: Recipe, source: ModelSource, signal?: AbortSignal) => Promise<LoadedModel>;

/** Opens one model's headers and config, nothing else (a MoE's plan: workers/moe/plan-moe.ts). */
export type HeaderLoader = (source: ModelSource, signal?: AbortSignal) => Promise<LoadedModel>;

/** What merges use: everything read from the source, every time. */
export const loadFresh: ModelLoader = async (recipe, source, signal) =>
  withTokenizer(recipe, await loadModel(source, signal), signal);

interface Entry {
  readonly model: LoadedModel;
  /** Values computed from the model's files by `derived`, by key. */
  readonly derived: Map<string, unknown>;
  tokenizer?: TokenizerInfo;
  chatTemplate?: NonNullable<ModelInfo['chatTemplate']> | null;
}

/** A Hub commit: the only revision that pins a model's files (see the module comment). */
const COMMIT_SHA = /^[0-9a-f]{40}$/;

export class ModelCache {
  /** In least-recently-used order (a Map keeps insertion order). */
  private readonly entries = new Map<string, Entry>();

  /**
   * `capacity`: models kept. A header map is small, a tokenizer vocabulary a few megabytes for
   * a large vocabulary; a recipe rarely names more than a handful of models.
   */
  constructor(readonly capacity = 8) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * Headers that cache within `scope` (the hub URL and whether a token was given): a model at
   * the same commit is not read again. Sources without a commit are read every time.
   */
  headers(scope: string): HeaderLoader {
    return async (source, signal) => {
      const entry = await this.entry(scope, source, signal);
      // Reads go through the fresh source (same commit), never an earlier call's hub client.
      return entry ? { ...entry.model, source } : loadModel(source, signal);
    };
  }

  /** A loader that caches within `scope` (the hub URL and whether a token was given). */
  loader(scope: string): ModelLoader {
    return async (recipe, source, signal) => {
      const entry = await this.entry(scope, source, signal);
      if (!entry) return loadFresh(recipe, source, signal);
      // The same fields withTokenizer attaches, each read once per entry; reads go through the
      // fresh source (same commit), never an earlier call's hub client.
      const files = { files: entry.model.files, source };
      let model: LoadedModel = { ...entry.model, source };
      if (tokenizerSource(recipe) !== undefined) {
        entry.tokenizer ??= await readTokenizerInfo(files, signal);
        model = { ...model, tokenizer: entry.tokenizer };
      }
      if (recipe.chat_template === 'auto') {
        if (entry.chatTemplate === undefined) entry.chatTemplate = await readChatTemplate(files, signal);
        model = { ...model, chatTemplate: entry.chatTemplate };
      }
      return model;
    };
  }

  /**
   * `compute(model)` for a model opened through `headers(scope)`, kept with its entry under
   * `key` (a tokensurgeon preview's vocabulary: three tokenizer files read and normalised once
   * per commit); for a source without a commit, computed every time.
   */
  async derived<T>(
    scope: string,
    key: string,
    model: LoadedModel,
    compute: (model: LoadedModel) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const entry = await this.entry(scope, model.source, signal);
    if (!entry) return compute(model);
    if (!entry.derived.has(key)) entry.derived.set(key, await compute(model));
    return entry.derived.get(key) as T;
  }

  /** The cached entry of a source pinned to a commit (read now if new), else undefined. */
  private async entry(scope: string, source: ModelSource, signal?: AbortSignal): Promise<Entry | undefined> {
    if (source.revision === undefined || !COMMIT_SHA.test(source.revision)) return undefined;
    const key = JSON.stringify([scope, source.id, source.revision]);
    const entry = this.entries.get(key) ?? { model: await loadModel(source, signal), derived: new Map() };
    this.entries.delete(key);
    this.entries.set(key, entry);
    for (const old of this.entries.keys()) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(old);
    }
    return entry;
  }
}
