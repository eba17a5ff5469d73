/**
 * Validation of one `parameters:` map against a method's schema: names (with "did you mean"),
 * the level a parameter may appear at, value shapes and ranges. What mergekit's pydantic
 * models coerce is accepted with a warning and normalised: quoted numbers ("0.5") and 0/1 for
 * booleans (its parameters are all floats; a boolean field takes exactly 0 or 1).
 */
import { METHODS } from '../methods/registry.ts';
import type { MergeMethod, ParamSpec } from '../methods/types.ts';
import type { YamlPath } from './problems.ts';
import { suggest } from './problems.ts';
import type { ParameterMap, ParameterSetting, Scalar } from './recipe.ts';
import { quotedNumber } from './validate-common.ts';

export type ParamLevel = 'source' | 'slice' | 'top';

type Report = (path: YamlPath, message: string, severity?: 'error' | 'warning') => void;

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isScalar(x: unknown): x is Scalar {
  return typeof x === 'number' || typeof x === 'boolean' || typeof x === 'string';
}

/** Where else a parameter name is used, for a helpful message. */
function ownersOf(name: string): string[] {
  return METHODS.filter((m) => m.params.some((p) => p.name === name)).map((m) => m.name);
}

export function validateParameterMap(
  raw: unknown,
  path: YamlPath,
  level: ParamLevel,
  method: MergeMethod,
  report: Report,
): ParameterMap | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isPlainObject(raw)) {
    report(path, 'parameters must be a mapping of name: value');
    return undefined;
  }
  const out: Record<string, ParameterSetting> = {};
  for (const [name, value] of Object.entries(raw)) {
    const p = [...path, name];
    const spec = method.params.find((s) => s.name === name);
    if (!spec) {
      const owners = ownersOf(name);
      const hint = suggest(
        name,
        method.params.map((s) => s.name),
      );
      report(
        p,
        owners.length > 0
          ? `${method.name} has no parameter '${name}' (it is used by ${owners.slice(0, 3).join(', ')}); mergekit would ignore it silently`
          : `unknown parameter '${name}' for ${method.name}${hint ? ` (did you mean '${hint}'?)` : ''}; known: ${
              method.params.map((s) => s.name).join(', ') || 'none'
            }`,
      );
      continue;
    }
    if (level === 'source' && spec.scope === 'global') {
      report(
        p,
        `'${name}' is a global parameter of ${method.name}: mergekit ignores it on a model; put it under the top-level (or slice) parameters`,
      );
      continue;
    }
    const setting = validateSetting(value, p, spec, report);
    if (setting !== undefined) out[name] = setting;
  }
  return out;
}

function validateSetting(
  raw: unknown,
  path: YamlPath,
  spec: ParamSpec,
  report: Report,
): ParameterSetting | undefined {
  if (isScalar(raw)) return checkScalar(raw, path, spec, report);
  if (Array.isArray(raw)) {
    if (raw.length === 0) {
      report(path, 'an empty list is not a value');
      return undefined;
    }
    if (raw.every(isScalar)) return checkGradient(raw, path, spec, report);
    if (raw.every(isPlainObject)) return checkFilterList(raw, path, spec, report);
    report(path, 'a list must be all numbers (a gradient) or all {filter, value} entries');
    return undefined;
  }
  if (isPlainObject(raw)) {
    report(
      path,
      'a filtered value must be a list: write "- filter: ...\\n  value: ..." (mergekit fails on a single mapping)',
    );
    return undefined;
  }
  report(path, `expected a value for ${spec.name}`);
  return undefined;
}

/** A gradient: every anchor must itself be valid. */
function checkGradient(
  raw: readonly Scalar[],
  path: YamlPath,
  spec: ParamSpec,
  report: Report,
): Scalar[] | undefined {
  const values = raw.map((v, i) => checkScalar(v, [...path, i], spec, report));
  if (values.some((v) => v === undefined)) return undefined;
  // mergekit reads the list as floats and interpolates them; its boolean field then fails on
  // every layer between two different anchors. Equal anchors are just that value.
  if (spec.type === 'boolean' && new Set(values).size > 1) {
    report(
      path,
      `${spec.name} cannot change over the layers: mergekit interpolates a list of booleans as numbers and fails between anchors; give one value, or a filter list ("- filter: ...") for different tensors`,
    );
    return undefined;
  }
  return values as Scalar[];
}

function checkFilterList(
  raw: readonly Record<string, unknown>[],
  path: YamlPath,
  spec: ParamSpec,
  report: Report,
): { filter?: string; value: Scalar | Scalar[] }[] | undefined {
  const list: { filter?: string; value: Scalar | Scalar[] }[] = [];
  raw.forEach((entry, i) => {
    const ep = [...path, i];
    for (const k of Object.keys(entry)) {
      if (k === 'filter' || k === 'value') continue;
      const hint = suggest(k, ['filter', 'value']);
      const effect =
        hint === 'filter' && !('filter' in entry)
          ? 'mergekit would ignore it, so this entry would match every tensor'
          : hint === 'value' && !('value' in entry)
            ? 'mergekit would stop with "Field required"'
            : 'mergekit would ignore it silently';
      report(
        [...ep, k],
        `unknown key '${k}' in a filtered value${hint ? ` (did you mean '${hint}'?)` : " (expected 'filter' and 'value')"}; ${effect}`,
      );
    }
    if (entry['filter'] !== undefined && entry['filter'] !== null && typeof entry['filter'] !== 'string') {
      report([...ep, 'filter'], 'filter must be a string (a substring of tensor names, or "*")');
      return;
    }
    if (!('value' in entry)) {
      report(ep, "a filtered value needs a 'value'");
      return;
    }
    const v = entry['value'];
    if (!isScalar(v) && !(Array.isArray(v) && v.length > 0 && v.every(isScalar))) {
      report([...ep, 'value'], 'value must be a number or a list of numbers (a gradient)');
      return;
    }
    const inner = validateSetting(v, [...ep, 'value'], spec, report);
    if (inner === undefined) return;
    const filter = entry['filter'];
    list.push({ ...(typeof filter === 'string' && { filter }), value: inner as Scalar | Scalar[] });
  });
  const catchAll = list.findIndex((c) => c.filter === undefined || c.filter === '*');
  if (catchAll >= 0 && catchAll < list.length - 1) {
    report(
      [...path, catchAll],
      'a filter-less entry matches every tensor, so the entries after it are never used; put it last',
      'warning',
    );
  }
  return list.length === raw.length ? list : undefined;
}

/** A valid scalar, normalised (quoted numbers, 0/1 for booleans), or undefined after a report. */
function checkScalar(raw: Scalar, path: YamlPath, spec: ParamSpec, report: Report): Scalar | undefined {
  let v = raw;
  const quoted = typeof raw === 'string' ? quotedNumber(raw) : undefined;
  if (quoted !== undefined) {
    report(
      path,
      `quoted number ${JSON.stringify(raw)} read as ${quoted} (mergekit does the same); write it unquoted`,
      'warning',
    );
    v = quoted;
  }
  if (spec.type === 'boolean') {
    if (v === 0 || v === 1) {
      report(
        path,
        `${spec.name}: ${v} read as ${v === 1} (mergekit does the same); write ${v === 1}`,
        'warning',
      );
      return v === 1;
    }
    if (typeof v !== 'boolean') {
      report(path, `${spec.name} must be true or false, not ${JSON.stringify(raw)}`);
      return undefined;
    }
    return v;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    report(path, `${spec.name} must be a number, not ${JSON.stringify(raw)}`);
    return undefined;
  }
  if (spec.integer && !Number.isInteger(v)) {
    report(path, `${spec.name} must be a whole number`);
    return undefined;
  }
  const below = spec.min !== undefined && (spec.minExclusive ? v <= spec.min : v < spec.min);
  const above = spec.max !== undefined && (spec.maxExclusive ? v >= spec.max : v > spec.max);
  if (below || above) {
    const lo = spec.min === undefined ? '' : `${spec.minExclusive ? '>' : '≥'} ${spec.min}`;
    const hi = spec.max === undefined ? '' : `${spec.maxExclusive ? '<' : '≤'} ${spec.max}`;
    report(path, `${spec.name} ${v} is out of range: it must be ${[lo, hi].filter(Boolean).join(' and ')}`);
    return undefined;
  }
  return v;
}
