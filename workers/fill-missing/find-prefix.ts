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
