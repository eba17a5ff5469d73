/**
 * The recipe's `merge_studio:` block, Merge Studio's own options (mergekit's YAML loader drops
 * the key): seed, compute_dtype, fix, and the options mergekit has inside but does not expose,
 * consensus and rescale_norm. Unknown keys and values are errors with a suggestion; an option
 * that changes nothing for the recipe's method (or while `rescale` is off) is a warning.
 */
import { METHOD_NAMES, getMethod } from '../methods/registry.ts';
import {
  CONSENSUS_METHODS,
  RESCALE_NORMS,
  type MergeMethod,
  type StudioOptionName,
} from '../methods/types.ts';
import { suggest } from './problems.ts';
import {
  FIXES,
  type ParameterMap,
  type ParameterSetting,
  type Recipe,
  type StudioOptions,
} from './recipe.ts';
import { checkKeys, isObj, type Report } from './validate-common.ts';

const KEYS = ['seed', 'compute_dtype', 'fix', 'consensus', 'rescale_norm'] as const;

/** Other names people give the values (in the papers, in other tools), for the suggestion. */
const ALIASES: Readonly<Record<StudioOptionName, Readonly<Record<string, string>>>> = {
  consensus: { vote: 'count', votes: 'count', magnitude: 'sum', mass: 'sum' },
  rescale_norm: {
    '1': 'l1',
    '2': 'l2',
    inf: 'linf',
    infinity: 'linf',
    max: 'linf',
    l_inf: 'linf',
    '1/p': 'inverse_density',
    '1/density': 'inverse_density',
    inverse: 'inverse_density',
    dare: 'inverse_density',
  },
};

/** One of `allowed` (a string of the list), or a problem with a suggestion. */
function oneOf<T extends string>(
  raw: unknown,
  key: StudioOptionName,
  allowed: readonly T[],
  report: Report,
): T | undefined {
  if (typeof raw === 'string' && (allowed as readonly string[]).includes(raw)) return raw as T;
  const text = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : undefined;
  const hint = text === undefined ? undefined : (ALIASES[key][text.toLowerCase()] ?? suggest(text, allowed));
  const list = allowed.length === 2 ? allowed.join(' or ') : `one of ${allowed.join(', ')}`;
  const shown = typeof raw === 'string' ? `'${raw}'` : JSON.stringify(raw);
  report(
    ['merge_studio', key],
    `${key} must be ${list}, not ${shown}${hint ? ` (did you mean '${hint}'?)` : ''}`,
  );
  return undefined;
}

/** The block's shape and values (no method needed). */
export function checkStudio(raw: unknown, report: Report): StudioOptions | undefined {
  if (raw === undefined || raw === null) return undefined;
  const path = ['merge_studio'];
  if (!isObj(raw)) {
    report(path, `merge_studio must be a mapping (${KEYS.join(', ')})`);
    return undefined;
  }
  checkKeys(raw, path, KEYS, report);
  const out: { -readonly [K in keyof StudioOptions]: StudioOptions[K] } = {};
  const seed = raw['seed'];
  if (seed !== undefined) {
    if (Number.isInteger(seed) && (seed as number) >= 0 && (seed as number) < 2 ** 32)
      out.seed = seed as number;
    else report([...path, 'seed'], 'seed must be a whole number from 0 to 4294967295');
  }
  const cd = raw['compute_dtype'];
  if (cd !== undefined) {
    if (cd === 'float32') out.compute_dtype = 'float32';
    else
      report(
        [...path, 'compute_dtype'],
        'compute_dtype can only be float32 (math in float32 whatever dtype says)',
      );
  }
  const fix = raw['fix'];
  if (fix !== undefined) {
    if (Array.isArray(fix) && fix.every((f) => (FIXES as readonly unknown[]).includes(f))) {
      out.fix = fix as (typeof FIXES)[number][];
    } else report([...path, 'fix'], `fix must be a list of: ${FIXES.join(', ')}`);
  }
  if (raw['consensus'] !== undefined) {
    const c = oneOf(raw['consensus'], 'consensus', CONSENSUS_METHODS, report);
    if (c) out.consensus = c;
  }
  if (raw['rescale_norm'] !== undefined) {
    const r = oneOf(raw['rescale_norm'], 'rescale_norm', RESCALE_NORMS, report);
    if (r) out.rescale_norm = r;
  }
  return out;
}

/** The methods that take an option, for the warnings. */
const takers = (option: StudioOptionName): string =>
  METHOD_NAMES.filter((n) => getMethod(n)?.studioOptions?.includes(option)).join(', ');

const rescaleIn = (p: ParameterMap | undefined): ParameterSetting | undefined =>
  p && Object.hasOwn(p, 'rescale') ? p['rescale'] : undefined;

/**
 * Whether `rescale` is off for every tensor: the value each slice uses (its own, else the top
 * level's, else the method's default) plainly false. A gradient or a filter list may turn it
 * on somewhere: not off.
 */
function rescaleOff(r: Recipe, method: MergeMethod): boolean {
  const top = rescaleIn(r.parameters) ?? method.params.find((p) => p.name === 'rescale')?.default;
  const used = r.slices ? r.slices.map((s) => rescaleIn(s.parameters) ?? top) : [top];
  return used.every((v) => v === false);
}

/** Warnings for options that change nothing for this recipe's method. */
export function checkStudioForMethod(r: Recipe, method: MergeMethod, report: Report): void {
  const s = r.merge_studio;
  if (!s) return;
  const takes = method.studioOptions ?? [];
  if (s.consensus !== undefined && !takes.includes('consensus')) {
    report(
      ['merge_studio', 'consensus'],
      `${method.name} elects no sign, so consensus changes nothing; it applies to ${takers('consensus')}`,
      'warning',
    );
  }
  if (s.rescale_norm === undefined) return;
  if (!takes.includes('rescale_norm')) {
    report(
      ['merge_studio', 'rescale_norm'],
      `${method.name} does not rescale, so rescale_norm changes nothing; it applies to ${takers('rescale_norm')}, with rescale: true`,
      'warning',
    );
  } else if (rescaleOff(r, method)) {
    report(
      ['merge_studio', 'rescale_norm'],
      'rescale is off, so rescale_norm changes nothing: set parameters: {rescale: true}',
      'warning',
    );
  }
}
