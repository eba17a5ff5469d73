/**
 * A PEFT LoRA adapter's adapter_config.json: what a merge needs from it (rank, alpha, rsLoRA,
 * fan_in_fan_out, per-module rank and alpha patterns, which modules it targets), and a clear
 * refusal for every option that makes PEFT's merge more than `W + scaling * B @ A`
 * (huggingface/peft, src/peft/tuners/lora/config.py and layer.py). Refused here, from the
 * config alone, before any tensor is read.
 */
import { LoraAdapterError } from './lora-errors.ts';

export interface LoraAdapterConfig {
  readonly r: number;
  readonly alpha: number;
  readonly useRslora: boolean;
  /** The config's flag; a layer whose shape says otherwise follows its shape (see open-adapter.ts). */
  readonly fanInFanOut: boolean;
  /** Module-name patterns to a rank or an alpha other than the default, in the config's order. */
  readonly rankPattern: readonly (readonly [Matcher, number])[];
  readonly alphaPattern: readonly (readonly [Matcher, number])[];
  /** Whether PEFT would put a LoRA layer on a module of this name (undefined: no opinion). */
  readonly targets: (moduleKey: string) => boolean | undefined;
  readonly modulesToSave: readonly string[];
  /** lora_bias: each lora_B has a bias, merged into the layer's bias (times the scaling). */
  readonly loraBias: boolean;
}

/**
 * Options that turn the merge into something else (DoRA's magnitude, layer replication, LoRA on bare parameters, aLoRA's activation tokens, and PEFT's other LoRA
 * variants), each with what it does.
 */
const REFUSED_OPTIONS: Readonly<Record<string, string>> = {
  use_dora: 'DoRA (use_dora) rescales each merged column by a learned magnitude',
  layer_replication: 'layer_replication builds a model with repeated layers',
  target_parameters: 'target_parameters puts LoRA on bare parameters (MoE experts)',
  trainable_token_indices: 'trainable_token_indices trains single embedding rows',
  alora_invocation_tokens: 'aLoRA (alora_invocation_tokens) acts only after its tokens and cannot be merged',
  use_qalora: 'QA-LoRA (use_qalora) pools the input in groups',
  use_bdlora: 'BD-LoRA (use_bdlora) uses block-diagonal factors',
  arrow_config: 'Arrow routing (arrow_config) mixes several adapters per token',
  velora_config: 'VeLoRA (velora_config) is a LoRA variant',
  monteclora_config: 'MonteCLoRA (monteclora_config) is a LoRA variant',
  kasa_config: 'KaSA (kasa_config) is a LoRA variant',
};

/**
 * init_lora_weights values that only choose the starting A and B (which the saved tensors
 * replace). The others (PiSSA, OLoRA, CorDA, LoftQ, LoRA-GA, MiCA) change the base weights
 * or the merge when the adapter is loaded.
 */
const PLAIN_INITS: readonly unknown[] = [true, false, 'gaussian', 'orthogonal', 'eva'];

/** Python's truth value of a JSON value: null, false, 0, "", [] and {} are false. */
function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object' && v !== null) return Object.keys(v).length > 0;
  return Boolean(v);
}

/** Whether a module name matches one of the config's patterns. */
export type Matcher = (moduleKey: string) => boolean;

/**
 * The most unbounded quantifiers (`*`, `+`, `{n,}`) a compiled pattern may have. A pattern
 * without nested repetition (mayBacktrack) can still take time as a power of the name's length
 * on a name that almost matches: `.*.*.*x` took 110 ms on a 500-character name in V8 (Node 20),
 * `.*.*.*.*x` 13.6 s. PEFT's patterns have one or two (`.*\.(q_proj|v_proj)`,
 * `^(?!.*vision).*\.(q|v)_proj`).
 */
const MAX_REPEATS = 3;

/**
 * The matching time one adapter's patterns may take, over all its module names. Each test is
 * bounded (MAX_REPEATS, and open-adapter.ts's name length), but an adapter can have many names.
 */
const MATCH_BUDGET_MS = 2000;

/** Tests against `re` that count their time against the adapter's budget. */
function budgeted(re: RegExp, budget: { ms: number }, field: string, what: string): Matcher {
  return (key) => {
    const start = performance.now();
    const hit = re.test(key);
    budget.ms += performance.now() - start;
    if (budget.ms > MATCH_BUDGET_MS) {
      throw new LoraAdapterError(
        `${what}: matching ${field} against the adapter's module names took over ${MATCH_BUDGET_MS / 1000} s; ` +
          'write the module names as a list, or a simpler pattern',
      );
    }
    return hit;
  };
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** PEFT's get_pattern_key: `re.match(rf"(.*\.)?({key})$", module)`, first key in order. */
function patterns(
  raw: unknown,
  field: string,
  what: string,
  budget: { ms: number },
): (readonly [Matcher, number])[] {
  if (raw === undefined || raw === null) return [];
  if (!isObj(raw)) throw new LoraAdapterError(`${what}: ${field} must be an object of module name to number`);
  return Object.entries(raw).map(([key, value]) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new LoraAdapterError(`${what}: ${field}['${key}'] must be a positive number`);
    }
    const name = `${field} key '${key}'`;
    // The wrapper's own `.*` counts towards MAX_REPEATS.
    const re = pythonRegExp(key, (k) => `^(.*\\.)?(${k})$`, name, what, 1);
    return [budgeted(re, budget, name, what), value] as const;
  });
}

/**
 * Why matching `source` against long names could take minutes (too many repetitions, or a
 * repeated group that repeats: see repeats and mayBacktrack), in words that end a sentence
 * about the pattern; undefined when it cannot. `wrapperRepeats`: repetitions the caller wraps
 * around it. Also used for the patterns a user types (extract-lora's include/exclude), which
 * are matched against names from a model's repo.
 */
export function patternRisk(source: string, wrapperRepeats = 0): string | undefined {
  if (repeats(source) + wrapperRepeats > MAX_REPEATS) {
    return (
      `has more than ${MAX_REPEATS - wrapperRepeats} repetitions (*, +, {n,}), which could take ` +
      'minutes to match a long module name'
    );
  }
  if (mayBacktrack(source)) {
    return 'repeats a group that itself repeats or has alternatives, which could take exponential time to match';
  }
  return undefined;
}

/** `wrap(source)` compiled, where `source` is the config's own pattern. */
function pythonRegExp(
  source: string,
  wrap: (s: string) => string,
  field: string,
  what: string,
  wrapperRepeats = 0,
): RegExp {
  const risk = patternRisk(source, wrapperRepeats);
  if (risk) {
    const many = risk.startsWith('has more');
    throw new LoraAdapterError(
      `${what}: ${field} ${risk} (and hang the page); write the module names as a list, or ${many ? 'a simpler pattern' : 'the pattern without nested repetition'}`,
    );
  }
  try {
    return new RegExp(wrap(source));
  } catch {
    throw new LoraAdapterError(`${what}: ${field} is not a regular expression this reader understands`);
  }
}

/**
 * Whether `source` repeats (`*`, `+`, `{n,}`) a group that contains a quantifier or an
 * alternation: `(a+)+`, `(a|ab)*`, `(\w+\.)*`. On such a pattern a backtracking matcher, as
 * JavaScript's and Python's are, can take exponential time on a name that almost matches
 * (`(a+)+` takes seconds on 27 characters, twice as long with each one more), and both the
 * pattern and the module names come from the adapter's repo. A pattern without them takes
 * polynomial time, bounded by the names' length (open-adapter.ts caps it). PEFT's configs
 * use lists of names or patterns like `.*\.(q_proj|v_proj)`, which pass.
 */
function mayBacktrack(source: string): boolean {
  /** For each open group: whether it contains a quantifier or an alternation. */
  const open: boolean[] = [];
  /** The group that just closed was such a group (undefined: the last atom was not a group). */
  let closed: boolean | undefined;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      i++;
      closed = undefined;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    const quantifier = c === '*' || c === '+' || c === '?' || c === '{';
    if (quantifier) {
      const exact = c === '{' && /^\{\d+\}/.test(source.slice(i));
      if (closed === true && c !== '?' && !exact) return true;
      if (open.length > 0) open[open.length - 1] = true;
      // A lazy or possessive mark after a quantifier is part of it.
      if (c === '{') i = Math.max(i, source.indexOf('}', i));
      if (source[i + 1] === '?' || source[i + 1] === '+') i++;
      closed = undefined;
      continue;
    }
    closed = undefined;
    if (c === '[') inClass = true;
    else if (c === '|') {
      if (open.length > 0) open[open.length - 1] = true;
    } else if (c === '(') {
      open.push(false);
      // (?:, (?=, (?!, (?<=, (?<!, (?<name>, (?P<name>: the marks are not quantifiers.
      const mark = /^\?(?:P?<[A-Za-z_]\w*>|<[=!]|[:=!])/.exec(source.slice(i + 1));
      if (mark) i += mark[0].length;
    } else if (c === ')') {
      const inner = open.pop() ?? false;
      if (inner && open.length > 0) open[open.length - 1] = true;
      closed = inner;
    }
  }
  return false;
}

/** How many unbounded quantifiers (`*`, `+`, `{n,}`) `source` has outside character classes. */
function repeats(source: string): number {
  let n = 0;
  let inClass = false;
  /** The last token was a quantifier: a `+` or `?` right after it is a mark, not a repetition. */
  let quantified = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    const wasQuantified = quantified;
    quantified = false;
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if ((c === '+' || c === '?') && wasQuantified) continue;
    else if (c === '*' || c === '+') {
      n++;
      quantified = true;
    } else if (c === '?') quantified = true;
    else if (c === '{') {
      const m = /^\{(\d*)(,?)(\d*)\}/.exec(source.slice(i));
      if (m) {
        if (m[2] && !m[3]) n++;
        i += m[0].length - 1;
        quantified = true;
      }
    }
  }
  return n;
}

function nameList(raw: unknown, field: string, what: string): readonly string[] | string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string') return raw;
  if (Array.isArray(raw) && raw.every((x) => typeof x === 'string')) return raw as string[];
  throw new LoraAdapterError(`${what}: ${field} must be a list of module names or a regular expression`);
}

/** A name list matches a module named so, or ending in `.name`. */
function listed(names: readonly string[], key: string): boolean {
  return names.some((n) => key === n || key.endsWith(`.${n}`));
}

/** PEFT's check_target_module_exists, less layers_to_transform (whose layers have no tensors anyway). */
function targetMatcher(
  raw: Record<string, unknown>,
  what: string,
  budget: { ms: number },
): (moduleKey: string) => boolean | undefined {
  const target = nameList(raw['target_modules'], 'target_modules', what);
  const exclude = nameList(raw['exclude_modules'], 'exclude_modules', what);
  const full = (source: string, field: string): Matcher =>
    budgeted(
      pythonRegExp(source, (s) => `^(?:${s})$`, field, what),
      budget,
      field,
      what,
    );
  const excluded =
    exclude === undefined
      ? () => false
      : typeof exclude === 'string'
        ? full(exclude, 'exclude_modules')
        : (key: string) => listed(exclude, key);
  // 'all-linear' depends on the module types, which the tensors do not tell.
  if (target === undefined || (typeof target === 'string' && target.toLowerCase() === 'all-linear')) {
    return (key) => (excluded(key) ? false : undefined);
  }
  const included =
    typeof target === 'string' ? full(target, 'target_modules') : (key: string) => listed(target, key);
  return (key) => !excluded(key) && included(key);
}

export function parseAdapterConfig(json: unknown, what: string): LoraAdapterConfig {
  if (!isObj(json)) throw new LoraAdapterError(`${what} is not a JSON object`);
  const peftType = json['peft_type'];
  if (peftType !== 'LORA') {
    throw new LoraAdapterError(
      `${what}: peft_type is ${JSON.stringify(peftType ?? null)}; only LoRA adapters (peft_type "LORA") can be merged`,
    );
  }
  for (const [key, why] of Object.entries(REFUSED_OPTIONS)) {
    if (truthy(json[key])) throw new LoraAdapterError(`${what}: ${why}, which is not supported`);
  }
  const init = json['init_lora_weights'] ?? true;
  if (!PLAIN_INITS.includes(init)) {
    throw new LoraAdapterError(
      `${what}: init_lora_weights ${JSON.stringify(init)} changes the base weights when the adapter is loaded; ` +
        'convert the adapter to a plain LoRA first (PEFT: save_pretrained with path_initial_model_for_weight_conversion)',
    );
  }
  const bias = json['bias'] ?? 'none';
  if (bias !== 'none') {
    throw new LoraAdapterError(
      `${what}: bias "${String(bias)}" trains the layers' biases, which is not supported (only bias "none")`,
    );
  }
  const r = json['r'];
  if (typeof r !== 'number' || !Number.isInteger(r) || r <= 0) {
    throw new LoraAdapterError(
      `${what}: r must be a positive whole number, not ${JSON.stringify(r ?? null)}`,
    );
  }
  // PEFT's default alpha is 8 (LoraConfig.lora_alpha).
  const alpha = json['lora_alpha'] ?? 8;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) {
    throw new LoraAdapterError(`${what}: lora_alpha must be a number, not ${JSON.stringify(alpha)}`);
  }
  const flag = (key: string): boolean => {
    const v = json[key] ?? false;
    if (typeof v !== 'boolean') throw new LoraAdapterError(`${what}: ${key} must be true or false`);
    return v;
  };
  const modulesToSave = nameList(json['modules_to_save'], 'modules_to_save', what) ?? [];
  const budget = { ms: 0 };
  return {
    r,
    alpha,
    useRslora: flag('use_rslora'),
    fanInFanOut: flag('fan_in_fan_out'),
    rankPattern: patterns(json['rank_pattern'], 'rank_pattern', what, budget),
    alphaPattern: patterns(json['alpha_pattern'], 'alpha_pattern', what, budget),
    targets: targetMatcher(json, what, budget),
    modulesToSave: typeof modulesToSave === 'string' ? [modulesToSave] : modulesToSave,
    loraBias: flag('lora_bias'),
  };
}

/**
 * A module's rank and scaling as PEFT's update_layer sets them: alpha / r, or alpha / sqrt(r)
 * with rsLoRA, from the patterns' values where one matches. The scaling is a Python float
 * that torch applies to a float32 tensor, so it is rounded to float32.
 */
export function moduleScaling(c: LoraAdapterConfig, moduleKey: string): { r: number; scaling: number } {
  const pick = (p: LoraAdapterConfig['rankPattern'], fallback: number): number =>
    p.find(([matches]) => matches(moduleKey))?.[1] ?? fallback;
  const r = pick(c.rankPattern, c.r);
  const alpha = pick(c.alphaPattern, c.alpha);
  return { r, scaling: Math.fround(c.useRslora ? alpha / Math.sqrt(r) : alpha / r) };
}
