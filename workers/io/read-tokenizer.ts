/**
 * A model's tokenizer vocabulary (tokenizer.json), read only for recipes with
 * `tokenizer_source` / `tokenizer:` (workers/plan/tokenizer-plan.ts): other merges never need
 * it, and it can be tens of megabytes.
 */
import type { ModelInfo } from '../plan/architecture.ts';
import { ChatTemplateError, readModelChatTemplate } from '../plan/chat-templates.ts';
import { tokenizerSource, type Recipe } from '../plan/recipe.ts';
import { tokenizerInfoFromJson, type TokenizerInfo } from '../plan/tokenizer-vocab.ts';
import type { LoadedModel } from './load-model.ts';
import { MAX_JSON_FILE_BYTES } from './source.ts';

/** Files that hold a vocabulary in another form: transformers could load them, we cannot. */
const OTHER_VOCAB_FILES = ['tokenizer.model', 'vocab.json', 'vocab.txt', 'spiece.model'];

export async function readTokenizerInfo(
  model: Pick<LoadedModel, 'files' | 'source'>,
  signal?: AbortSignal,
): Promise<TokenizerInfo> {
  if (!model.files.includes('tokenizer.json')) {
    const other = OTHER_VOCAB_FILES.filter((f) => model.files.includes(f));
    return other.length === 0
      ? { kind: 'none' }
      : {
          kind: 'unreadable',
          reason: `no tokenizer.json, only ${other.join(', ')}; save it with transformers' AutoTokenizer to get one`,
        };
  }
  const bytes = await model.source.readFile('tokenizer.json', signal, MAX_JSON_FILE_BYTES);
  if (!bytes) return { kind: 'none' };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    return { kind: 'unreadable', reason: `tokenizer.json is not valid JSON (${String(e)})` };
  }
  const info = tokenizerInfoFromJson(json);
  if (info.kind !== 'vocab' || !model.files.includes('tokenizer_config.json')) return info;
  // The merged tokenizer's files are rewritten from the donor's after the weights: a config
  // that cannot be rewritten has to stop the merge now, not then (transformers cannot load it
  // either).
  const config = await model.source.readFile('tokenizer_config.json', signal, MAX_JSON_FILE_BYTES);
  let parsed: unknown;
  try {
    parsed = config && JSON.parse(new TextDecoder().decode(config));
  } catch (e) {
    return { kind: 'unreadable', reason: `tokenizer_config.json is not valid JSON (${String(e)})` };
  }
  if (config && (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))) {
    return { kind: 'unreadable', reason: 'tokenizer_config.json is not a JSON object' };
  }
  return info;
}

/**
 * The model's chat template (chat_template.jinja, else tokenizer_config.json's), or null when
 * it has none or its tokenizer_config.json cannot be read (mergekit skips such a model).
 */
export async function readChatTemplate(
  model: Pick<LoadedModel, 'files' | 'source'>,
  signal?: AbortSignal,
): Promise<NonNullable<ModelInfo['chatTemplate']> | null> {
  const text = async (f: string): Promise<string | undefined> => {
    if (!model.files.includes(f)) return undefined;
    const bytes = await model.source.readFile(f, signal, MAX_JSON_FILE_BYTES);
    return bytes ? new TextDecoder().decode(bytes) : undefined;
  };
  try {
    const t = readModelChatTemplate({
      chatTemplateJinja: await text('chat_template.jinja'),
      tokenizerConfig: await text('tokenizer_config.json'),
    });
    return t ?? null;
  } catch (e) {
    if (e instanceof ChatTemplateError) return null;
    throw e;
  }
}

/**
 * The model with what the recipe's tokenizer handling needs attached (its vocabulary for
 * `tokenizer_source`, its chat template for `chat_template: auto`), else unchanged.
 */
export async function withTokenizer<M extends LoadedModel>(
  recipe: Recipe,
  model: M,
  signal?: AbortSignal,
): Promise<M> {
  let m = model;
  if (tokenizerSource(recipe) !== undefined) m = { ...m, tokenizer: await readTokenizerInfo(m, signal) };
  if (recipe.chat_template === 'auto') m = { ...m, chatTemplate: await readChatTemplate(m, signal) };
  return m;
}
