/**
 * mergekit's `chat_template:` setting, resolved to the template text the output tokenizer gets.
 *
 * - `auto`: the plurality template among the referenced models' tokenizers (each `.strip()`ped,
 *   a named set counted by its "default" entry), ties to the first seen, as Python's
 *   `Counter.most_common`; when no model has one, the donor's template is left as it is.
 * - a built-in name (alpaca, chatml, exaone, llama3, mistral, the names mergekit ships).
 * - a literal Jinja template, which mergekit accepts from 20 characters with a `{` in it.
 *
 * The built-in templates are our own, written from each published prompt format, not mergekit's
 * files. Each is one line of Jinja with every newline inside a string literal, so it renders the
 * same with and without `trim_blocks` / `lstrip_blocks` (transformers sets both, other renderers
 * may not).
 */

export class ChatTemplateError extends Error {
  override readonly name: string = 'ChatTemplateError';
}

/** A model's template as a tokenizer holds it: one string, or named templates (transformers' dict form). */
export type ModelChatTemplate = string | Readonly<Record<string, unknown>> | undefined;

export const BUILTIN_CHAT_TEMPLATE_NAMES = ['alpaca', 'chatml', 'exaone', 'llama3', 'mistral'] as const;
export type BuiltinChatTemplateName = (typeof BUILTIN_CHAT_TEMPLATE_NAMES)[number];

// String.raw keeps `\n` as Jinja's own escape inside its string literals.
const join = (...parts: string[]): string => parts.join('');

export const BUILTIN_CHAT_TEMPLATES: Readonly<Record<BuiltinChatTemplateName, string>> = {
  // Stanford Alpaca: "### Instruction:" / "### Input:" / "### Response:" sections separated by a
  // blank line; a system message is the preamble. `user_context` is the Input section (mergekit's
  // role name for it). No end-of-sequence token: the format has none of its own.
  alpaca: join(
    String.raw`{% for message in messages %}{% if not loop.first %}{{ '\n\n' }}{% endif %}`,
    String.raw`{% if message['role'] == 'system' %}{{ message['content'] | trim }}`,
    String.raw`{% elif message['role'] == 'user' %}{{ '### Instruction:\n' + (message['content'] | trim) }}`,
    String.raw`{% elif message['role'] == 'user_context' %}{{ '### Input:\n' + (message['content'] | trim) }}`,
    String.raw`{% elif message['role'] == 'assistant' %}{{ '### Response:\n' + (message['content'] | trim) }}`,
    String.raw`{% endif %}{% endfor %}`,
    String.raw`{% if add_generation_prompt %}{% if messages %}{{ '\n\n' }}{% endif %}{{ '### Response:\n' }}{% endif %}`,
  ),
  // ChatML: <|im_start|>{role}\n{content}<|im_end|>\n per message.
  chatml: join(
    String.raw`{% for message in messages %}`,
    String.raw`{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}`,
    String.raw`{% endfor %}`,
    String.raw`{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}`,
  ),
  // EXAONE 3: [|role|]{content}, a user turn closed by a newline, every other by [|endofturn|]\n;
  // a conversation without a system message opens with an empty one.
  exaone: join(
    String.raw`{% if messages and messages[0]['role'] != 'system' %}{{ '[|system|][|endofturn|]\n' }}{% endif %}`,
    String.raw`{% for message in messages %}{{ '[|' + message['role'] + '|]' + message['content'] }}`,
    String.raw`{% if message['role'] == 'user' %}{{ '\n' }}{% else %}{{ '[|endofturn|]\n' }}{% endif %}`,
    String.raw`{% endfor %}`,
    String.raw`{% if add_generation_prompt %}{{ '[|assistant|]' }}{% endif %}`,
  ),
  // Llama 3: the BOS token, then <|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|>.
  llama3: join(
    String.raw`{{ bos_token }}{% for message in messages %}`,
    String.raw`{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + (message['content'] | trim) + '<|eot_id|>' }}`,
    String.raw`{% endfor %}`,
    String.raw`{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}`,
  ),
  // Mistral instruct: <s>[INST] {user} [/INST] {assistant}</s>[INST] ... The format has no system
  // role: a leading system message goes before the first user message, a blank line between.
  // The closing [/INST] is the generation prompt, so add_generation_prompt adds nothing.
  mistral: join(
    String.raw`{{ bos_token }}{% if messages and messages[0]['role'] == 'system' %}`,
    String.raw`{% set system_prefix = (messages[0]['content'] | trim) + '\n\n' %}{% set turns = messages[1:] %}`,
    String.raw`{% else %}{% set system_prefix = '' %}{% set turns = messages %}{% endif %}`,
    String.raw`{% for message in turns %}{% if message['role'] == 'user' %}`,
    String.raw`{{ '[INST] ' + (system_prefix if loop.first else '') + (message['content'] | trim) + ' [/INST]' }}`,
    String.raw`{% elif message['role'] == 'assistant' %}{{ ' ' + (message['content'] | trim) + eos_token }}`,
    String.raw`{% endif %}{% endfor %}`,
  ),
};

export interface ResolvedChatTemplate {
  /** The template to give the output tokenizer; absent: leave the donor's as it is. */
  readonly template?: string;
  readonly from: 'auto' | 'builtin' | 'literal';
  /** The built-in's name, when `from` is 'builtin'. */
  readonly name?: BuiltinChatTemplateName;
}

const isBuiltin = (s: string): s is BuiltinChatTemplateName =>
  (BUILTIN_CHAT_TEMPLATE_NAMES as readonly string[]).includes(s);

/** Python's len(): code points, not UTF-16 units. */
const codePoints = (s: string): number => Array.from(s).length;

/**
 * What `chat_template: SETTING` gives, `templates` being the referenced models' templates in
 * mergekit's order (base first, then the models as the recipe lists them; undefined for a model
 * without one or whose tokenizer could not be read). Throws ChatTemplateError for a setting
 * mergekit would refuse.
 */
export function resolveChatTemplate(
  setting: string,
  templates: readonly ModelChatTemplate[],
): ResolvedChatTemplate {
  if (setting === 'auto') {
    const template = pluralityTemplate(templates);
    return template === undefined ? { from: 'auto' } : { template, from: 'auto' };
  }
  // mergekit's test for a built-in name: short, one line, no Jinja in it.
  if (codePoints(setting) < 256 && !setting.includes('\n') && !setting.includes('{') && isBuiltin(setting)) {
    return { template: BUILTIN_CHAT_TEMPLATES[setting], from: 'builtin', name: setting };
  }
  if (!setting.includes('{')) {
    const shown = setting.length > 60 ? `${setting.slice(0, 57)}...` : setting;
    throw new ChatTemplateError(
      `chat_template ${JSON.stringify(shown)} is neither a known name nor a Jinja template: use "auto", ` +
        `one of ${BUILTIN_CHAT_TEMPLATE_NAMES.join(', ')}, or a Jinja template (with {{ ... }} or {% ... %})`,
    );
  }
  if (codePoints(setting) < 20) {
    throw new ChatTemplateError(
      `chat_template ${JSON.stringify(setting)} is too short to be a chat template ` +
        '(mergekit takes a literal Jinja template from 20 characters on)',
    );
  }
  return { template: setting, from: 'literal' };
}

/** `Counter(stripped templates).most_common(1)`: the most frequent, ties to the first seen. */
function pluralityTemplate(templates: readonly ModelChatTemplate[]): string | undefined {
  const counts = new Map<string, number>(); // insertion order = first seen
  for (const t of templates) {
    const text = typeof t === 'string' ? t : t === undefined ? undefined : t['default'];
    // mergekit skips a model whose template is empty (falsy) before stripping it.
    if (typeof text !== 'string' || text === '') continue;
    const key = pythonStrip(text);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let best: string | undefined;
  let bestCount = 0;
  for (const [t, n] of counts) {
    if (n > bestCount) {
      best = t;
      bestCount = n;
    }
  }
  return best;
}

// Python's str.isspace() set, which differs from String.prototype.trim's: it has \x1c-\x1f and
// \x85, and not \ufeff.
const PY_SPACE =
  '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');

/** Python's `str.strip()` with no argument. */
export function pythonStrip(s: string): string {
  return s.replace(PY_STRIP, '');
}

const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * A model's chat template as transformers loads it: chat_template.jinja when the model has one
 * (it takes priority), else tokenizer_config.json's `chat_template`, a string or a list of
 * {name, template} (returned as a name -> template record). Undefined when it has none.
 * Throws ChatTemplateError when tokenizer_config.json is not a JSON object.
 */
export function readModelChatTemplate(files: {
  readonly tokenizerConfig?: string | undefined;
  readonly chatTemplateJinja?: string | undefined;
}): ModelChatTemplate {
  if (files.chatTemplateJinja !== undefined) return files.chatTemplateJinja;
  if (files.tokenizerConfig === undefined) return undefined;
  let config: unknown;
  try {
    config = JSON.parse(files.tokenizerConfig);
  } catch (e) {
    throw new ChatTemplateError(`tokenizer_config.json is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObj(config)) throw new ChatTemplateError('tokenizer_config.json is not a JSON object');
  const t = config['chat_template'];
  if (typeof t === 'string') return t;
  if (!Array.isArray(t)) return undefined;
  const named: [string, string][] = [];
  for (const entry of t) {
    if (isObj(entry) && typeof entry['name'] === 'string' && typeof entry['template'] === 'string') {
      named.push([entry['name'], entry['template']]);
    }
  }
  return Object.fromEntries(named); // not `named[name] = ...`: a name may be "__proto__"
}

/** The template `chat_template: SETTING` sets, or undefined when the donor's stays (auto found none). */
export function chatTemplateFor(
  setting: string,
  templates: readonly ModelChatTemplate[],
): string | undefined {
  return resolveChatTemplate(setting, templates).template;
}
