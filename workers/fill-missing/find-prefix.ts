/**
 * mergekit's prefix detection (scripts/fill_missing_params.py, ParameterNamesUtils): BASE is a
 * bigger model (a vision-language model) whose part SUBMODEL is (its language model), usually
 * with BASE's names one component longer: `language_model.model.layers.0...` in BASE for
 * `model.layers.0...` in SUBMODEL. The prefix tried are "" and every first name component of
 * BASE's names; the one under which most SUBMODEL names are found in BASE wins, and "" keeps
 * every tie with it (a prefix must do strictly better than none).
 *
 * Where mergekit picks among prefixes that tie by its set's iteration order (arbitrary from run
 * to run), the first in BASE's order wins here, so a job is reproducible.
 */

/** `name` without `prefix.` in front (unchanged when it does not start with it, or for ""). */
export function stripPrefix(name: string, prefix: string): string {
  return prefix !== '' && name.startsWith(`${prefix}.`) ? name.slice(prefix.length + 1) : name;
}

/** `name` as BASE names it under `prefix`. */
export function addPrefix(name: string, prefix: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}

export interface PrefixChoice {
  readonly prefix: string;
  /** SUBMODEL names found in BASE under it. */
  readonly matches: number;
}

/** The prefix that makes most of `subNames` names of `baseNames` (see the module comment). */
export function findPrefix(baseNames: readonly string[], subNames: readonly string[]): PrefixChoice {
  const candidates = new Set<string>();
  for (const n of baseNames) {
    const dot = n.indexOf('.');
    if (dot >= 0) candidates.add(n.slice(0, dot));
  }
  const sub = new Set(subNames);
  // mergekit strips the prefix from BASE's names and looks the SUBMODEL names up among them;
  // counting each SUBMODEL name once, as it does, even where two BASE names strip to the same.
  const count = (prefix: string): number => {
    const found = new Set<string>();
    for (const n of baseNames) {
      const s = stripPrefix(n, prefix);
      if (sub.has(s)) found.add(s);
    }
    return found.size;
  };
  let best: PrefixChoice = { prefix: '', matches: count('') };
  for (const prefix of candidates) {
    const matches = count(prefix);
    if (matches > best.matches) best = { prefix, matches };
  }
  return best;
}

/**
 * Where SUBMODEL's names go in BASE: under `prefix` (mergekit's rule), or, with `nestedUnder`,
 * names starting with `nestedUnder.` moved under `prefix.` and the others (the head) unchanged.
 */
export interface NameMapping {
  readonly prefix: string;
  readonly nestedUnder?: string;
}

export function toBaseName(name: string, m: NameMapping): string {
  if (m.nestedUnder === undefined) return addPrefix(name, m.prefix);
  const head = `${m.nestedUnder}.`;
  return name.startsWith(head) ? `${m.prefix}.${name.slice(head.length)}` : name;
}

/** For messages: "as language_model.<name>", "model.<name> as model.language_model.<name>". */
export function describeMapping(m: NameMapping): string {
  if (m.nestedUnder !== undefined) return `${m.nestedUnder}.<name> as ${m.prefix}.<name>`;
  return m.prefix === '' ? 'by the same name' : `as ${m.prefix}.<name>`;
}

/**
 * The layout newer transformers versions save vision-language models in, which mergekit's
 * prefix rule cannot map: the language model's `model.layers…` as `model.language_model.layers…`
 * and its head `lm_head.weight` at the top. Tried for every `head.inner.` of BASE's names; the
 * first (in BASE's order) under which every SUBMODEL name is found wins; undefined if none.
 */
export function findNested(
  baseNames: readonly string[],
  subNames: readonly string[],
): NameMapping | undefined {
  const base = new Set(baseNames);
  const tried = new Set<string>();
  for (const n of baseNames) {
    const parts = n.split('.');
    if (parts.length < 3) continue;
    const m: NameMapping = { prefix: `${parts[0]}.${parts[1]}`, nestedUnder: parts[0]! };
    if (tried.has(m.prefix)) continue;
    tried.add(m.prefix);
    const moved = subNames.filter((s) => s.startsWith(`${m.nestedUnder}.`));
    if (moved.length > 0 && subNames.every((s) => base.has(toBaseName(s, m)))) return m;
  }
  return undefined;
}
