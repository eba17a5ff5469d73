/**
 * `tokenizer_source:`, `tokenizer:` and `chat_template:`, checked for shape here; whether the
 * models' tokenizers allow what the recipe asks is the planner's part (tokenizer-plan.ts), once
 * they are read.
 */
import { resolveChatTemplate } from './chat-templates.ts';
import type { YamlPath } from './problems.ts';
import type { TokenEmbeddingConfig, TokenEmbeddingSource, TokenizerConfig } from './recipe.ts';
import { quoteToken } from './tokenizer-vocab.ts';
import { checkKeys, isObj, isSet, modelRef, type Report } from './validate-common.ts';

export interface TokenizerChoice {
  readonly tokenizer_source?: string;
  readonly tokenizer?: TokenizerConfig;
}

/** 'base', 'union' or a model reference, as mergekit's pydantic reads `source`. */
function source(raw: unknown, path: YamlPath, report: Report): string | undefined {
  if (raw === 'base' || raw === 'union') return raw;
  if (typeof raw !== 'string' && !isObj(raw)) {
    report(path, `${path.join('.')} must be base, union or one of the recipe's models`);
    return undefined;
  }
  return modelRef(raw, path, report);
}

function embeddingSource(raw: unknown, path: YamlPath, report: Report): TokenEmbeddingSource | undefined {
  // Without `kind`, a mapping is a model reference ({model, lora}), as pydantic reads it.
  if (typeof raw === 'string' || (isObj(raw) && !Object.hasOwn(raw, 'kind')))
    return modelRef(raw, path, report);
  if (!isObj(raw)) {
    report(path, 'source must be a model, {kind: zero} or {kind: model_token, model, token | token_id}');
    return undefined;
  }
  if (raw['kind'] === 'zero') {
    checkKeys(raw, path, ['kind'], report);
    return { kind: 'zero' };
  }
  if (raw['kind'] !== 'model_token') {
    const kind = raw['kind'];
    const shown = typeof kind === 'string' ? quoteToken(kind) : typeof kind; // the text is the user's, unbounded
    report([...path, 'kind'], `kind must be zero or model_token${isSet(kind) ? `, not ${shown}` : ''}`);
    return undefined;
  }
  checkKeys(raw, path, ['kind', 'model', 'token', 'token_id'], report);
  const model = modelRef(raw['model'], [...path, 'model'], report);
  const token = raw['token'];
  const id = raw['token_id'];
  if (isSet(token) === isSet(id)) {
    report(path, 'give exactly one of token and token_id (mergekit: "token_id or token must be specified")');
    return undefined;
  }
  if (isSet(token) && typeof token !== 'string') {
    report([...path, 'token'], 'token must be the text of a token');
    return undefined;
  }
  if (isSet(id) && !(Number.isInteger(id) && (id as number) >= 0)) {
    report([...path, 'token_id'], 'token_id must be a whole number, 0 or more');
    return undefined;
  }
  if (model === undefined) return undefined;
  return isSet(token)
    ? { kind: 'model_token', model, token: token as string }
    : { kind: 'model_token', model, token_id: id as number };
}

function tokens(
  raw: unknown,
  path: YamlPath,
  report: Report,
): Record<string, TokenEmbeddingConfig> | undefined {
  if (!isObj(raw)) {
    report(path, 'tokens must map a token to {source, force}');
    return undefined;
  }
  const out: [string, TokenEmbeddingConfig][] = [];
  for (const [token, cfg] of Object.entries(raw)) {
    const at = [...path, token];
    if (!isObj(cfg)) {
      report(
        at,
        'write {source: <model>} (or {kind: zero}, {kind: model_token, ...}) and optionally force: true',
      );
      continue;
    }
    checkKeys(cfg, at, ['source', 'force'], report);
    if (!isSet(cfg['source'])) {
      // mergekit accepts it and then fails mid-merge (NotImplementedError in PermutedEmbeddings)
      report(
        [...at, 'source'],
        'source is required: a model, {kind: zero} or {kind: model_token, model, token}',
      );
      continue;
    }
    const src = embeddingSource(cfg['source'], [...at, 'source'], report);
    const force = cfg['force'];
    if (isSet(force) && typeof force !== 'boolean') {
      report([...at, 'force'], 'force must be true or false');
      continue;
    }
    if (src !== undefined) out.push([token, { source: src, ...(force === true && { force: true }) }]);
  }
  // Object.fromEntries, not `out[token] = ...`: a token may be "__proto__", which an
  // assignment would take for the object's prototype and lose.
  return Object.fromEntries(out);
}

export function checkTokenizer(raw: Record<string, unknown>, report: Report): TokenizerChoice {
  const legacy = raw['tokenizer_source'];
  const block = raw['tokenizer'];
  if (isSet(legacy) && isSet(block)) {
    report(
      ['tokenizer'],
      'give tokenizer_source or tokenizer, not both (mergekit stops with "Cannot specify both tokenizer_source and tokenizer")',
    );
    return {};
  }
  if (isSet(legacy)) {
    const s = source(legacy, ['tokenizer_source'], report);
    return s === undefined ? {} : { tokenizer_source: s };
  }
  if (!isSet(block)) return {};
  if (!isObj(block)) {
    report(['tokenizer'], 'tokenizer must be a mapping {source, tokens, pad_to_multiple_of}');
    return {};
  }
  const path = ['tokenizer'];
  checkKeys(block, path, ['source', 'tokens', 'pad_to_multiple_of'], report);
  // mergekit's TokenizerConfig: source defaults to union
  const s = isSet(block['source']) ? source(block['source'], [...path, 'source'], report) : 'union';
  const toks = isSet(block['tokens']) ? tokens(block['tokens'], [...path, 'tokens'], report) : undefined;
  const pad = block['pad_to_multiple_of'];
  let padTo: number | undefined;
  if (isSet(pad)) {
    if (Number.isInteger(pad) && (pad as number) > 0) padTo = pad as number;
    else report([...path, 'pad_to_multiple_of'], 'pad_to_multiple_of must be a whole number, 1 or more');
  }
  if (s === undefined) return {};
  return {
    tokenizer: {
      source: s,
      ...(toks && Object.keys(toks).length > 0 && { tokens: toks }),
      ...(padTo !== undefined && { pad_to_multiple_of: padTo }),
    },
  };
}

/** `chat_template`: auto, a built-in name or a Jinja template (resolved by the planner). */
export function checkChatTemplate(raw: unknown, report: Report): string | undefined {
  if (!isSet(raw)) return undefined;
  if (typeof raw !== 'string' || raw.trim() === '') {
    report(
      ['chat_template'],
      'chat_template must be auto, a template name (chatml, llama3, ...) or a Jinja template',
    );
    return undefined;
  }
  try {
    if (raw !== 'auto') resolveChatTemplate(raw, []);
  } catch (e) {
    report(['chat_template'], (e as Error).message);
    return undefined;
  }
  return raw;
}
