/**
 * Validation of one `parameters:` map against a method's schema: names (with "did you mean"),
 * the level a parameter may appear at, value shapes and ranges.
 */
import { METHODS } from '../methods/registry.ts';
import type { MergeMethod, ParamSpec } from '../methods/types.ts';
import type { YamlPath } from './problems.ts';
import { suggest } from './problems.ts';
import type { ParameterMap, ParameterSetting, Scalar } from './recipe.ts';

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
  if (isScalar(raw)) return checkScalar(raw, path, spec, report) ? raw : undefined;
  if (Array.isArray(raw)) {
    if (raw.length === 0) {
      report(path, 'an empty list is not a value');
      return undefined;
    }
    if (raw.every(isScalar)) {
      // A gradient: every anchor must itself be valid.
      let ok = true;
      raw.forEach((v, i) => (ok = checkScalar(v, [...path, i], spec, report) && ok));
      return ok ? raw : undefined;
    }
    if (raw.every(isPlainObject)) {
      const list: { filter?: string; value: Scalar | Scalar[] }[] = [];
      raw.forEach((entry, i) => {
        const ep = [...path, i];
        for (const k of Object.keys(entry)) {
          if (k !== 'filter' && k !== 'value') {
            report([...ep, k], `unknown key '${k}' in a filtered value (expected 'filter' and 'value')`);
          }
        }
        if (
          entry['filter'] !== undefined &&
          entry['filter'] !== null &&
          typeof entry['filter'] !== 'string'
        ) {
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

function checkScalar(v: Scalar, path: YamlPath, spec: ParamSpec, report: Report): boolean {
  if (spec.type === 'boolean') {
    if (typeof v !== 'boolean') {
      report(path, `${spec.name} must be true or false, not ${JSON.stringify(v)}`);
      return false;
    }
    return true;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    report(path, `${spec.name} must be a number, not ${JSON.stringify(v)}`);
    return false;
  }
  if (spec.integer && !Number.isInteger(v)) {
    report(path, `${spec.name} must be a whole number`);
    return false;
  }
  const below = spec.min !== undefined && (spec.minExclusive ? v <= spec.min : v < spec.min);
  const above = spec.max !== undefined && (spec.maxExclusive ? v >= spec.max : v > spec.max);
  if (below || above) {
    const lo = spec.min === undefined ? '' : `${spec.minExclusive ? '>' : '≥'} ${spec.min}`;
    const hi = spec.max === undefined ? '' : `${spec.maxExclusive ? '<' : '≤'} ${spec.max}`;
    report(path, `${spec.name} ${v} is out of range: it must be ${[lo, hi].filter(Boolean).join(' and ')}`);
    return false;
  }
  return true;
}
