/**
 * Pieces every part of recipe validation uses: the problem reporter, unknown-key checks (with
 * what mergekit would do with the key) and model references.
 */
import { suggest, type YamlPath } from './problems.ts';

export type Report = (path: YamlPath, message: string, severity?: 'error' | 'warning') => void;

export function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Set and not null: mergekit's optional fields take null as absent. */
export function isSet(x: unknown): boolean {
  return x !== undefined && x !== null;
}

export const FIELD_REQUIRED = 'Field required';

/**
 * Reports every key of `obj` not in `allowed`, with a suggestion. `required` maps the keys
 * mergekit cannot do without to what it says when one is missing: a misspelling of one of them
 * is not ignored by mergekit, it stops. `unsupported` keys get their own message unless null.
 */
export function checkKeys(
  obj: Record<string, unknown>,
  path: YamlPath,
  allowed: readonly string[],
  report: Report,
  required: Readonly<Record<string, string>> = {},
  unsupported: Readonly<Record<string, string>> = {},
): void {
  for (const k of Object.keys(obj)) {
    if (allowed.includes(k)) continue;
    if (Object.hasOwn(unsupported, k)) {
      if (isSet(obj[k])) report([...path, k], unsupported[k]!);
      continue;
    }
    const hint = suggest(k, allowed);
    const stops = hint !== undefined && Object.hasOwn(required, hint) && !isSet(obj[hint]);
    report(
      [...path, k],
      `unknown key '${k}'${hint ? ` (did you mean '${hint}'?)` : ''}; ${
        stops ? `mergekit would stop with "${required[hint]!}"` : 'mergekit would ignore it silently'
      }`,
    );
  }
}

/**
 * A model reference: org/name, org/name@revision or a local path, or mergekit's
 * `base+adapter` (a PEFT LoRA adapter merged into the model first, each part with its own
 * optional @revision, as in mergekit/common.py ModelReference.parse); dict forms refused.
 */
export function modelRef(raw: unknown, path: YamlPath, report: Report): string | undefined {
  if (typeof raw !== 'string' || raw.trim() === '') {
    report(
      path,
      isObj(raw) ? 'write the model as a string: org/name or org/name@revision' : 'a model name is required',
    );
    return undefined;
  }
  const parts = raw.split('+');
  if (parts.length > 2) {
    report(
      path,
      `'${raw}' has more than one '+': write model+adapter, one LoRA adapter per model (mergekit stops with "Can't parse ${raw}")`,
    );
    return undefined;
  }
  if (parts.some((p) => p.trim() === '')) {
    report(
      path,
      `'${raw}' names no ${parts[0]!.trim() === '' ? 'model' : 'adapter'}: write model+adapter (org/model+org/lora-adapter)`,
    );
    return undefined;
  }
  for (const p of parts) {
    if (p.split('@').length > 2) {
      report(
        path,
        `'${raw}' has more than one '@'${parts.length > 1 ? ` in '${p}'` : ''}: write org/name@revision (mergekit stops with "Invalid model path - multiple @")`,
      );
      return undefined;
    }
  }
  return raw;
}

/**
 * A number written as a string ("0.5", " 1e-5 "), which pydantic's lax mode turns into a float
 * (mergekit's parameters are floats); undefined for anything else. Only the plain decimal and
 * exponent forms are read: rarer spellings stay errors rather than risk a wrong reading.
 */
export function quotedNumber(s: string): number | undefined {
  const t = s.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}
