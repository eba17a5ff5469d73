/**
 * Pieces every part of recipe validation uses: the problem reporter, unknown-key checks (with
 * what mergekit would do with the key) and model references.
 */
import { suggest, type YamlPath } from './problems.ts';
import { COMPUTE_DTYPES, type TorchDType } from './recipe.ts';

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
 * optional @revision, as in mergekit/common.py ModelReference.parse). mergekit's mapping form,
 * `{model: {path, revision} | "org/name@rev", lora: ..., override_architecture}`, is read into
 * the same string (it is how mergekit itself writes a reference without an override).
 */
export function modelRef(raw: unknown, path: YamlPath, report: Report): string | undefined {
  if (isObj(raw)) return mappedModelRef(raw, path, report);
  if (typeof raw !== 'string' || raw.trim() === '') {
    report(path, 'a model name is required');
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

/** `{model, lora?, override_architecture?}`, mergekit's ModelReference written out. */
function mappedModelRef(raw: Record<string, unknown>, path: YamlPath, outer: Report): string | undefined {
  const [report, errors] = counting(outer);
  checkKeys(raw, path, ['model', 'lora', 'override_architecture'], report, { model: FIELD_REQUIRED });
  if (isSet(raw['override_architecture'])) {
    // Our engine reads a model's layout from its tensor names, never from `architectures`, so
    // the override would only relabel config.json: refused rather than half honoured.
    report(
      [...path, 'override_architecture'],
      "override_architecture is not supported: Merge Studio reads a model's layers from its tensor names, not from config.json's architectures; remove it (and edit architectures in the merged config.json if it must change)",
    );
  }
  if (!isSet(raw['model'])) {
    if (!Object.hasOwn(raw, 'model'))
      report(path, 'a model reference mapping needs model: (its path, or {path, revision})');
    else report([...path, 'model'], 'a model name is required');
    return undefined;
  }
  const model = modelPath(raw['model'], [...path, 'model'], 'model', report);
  const lora = isSet(raw['lora']) ? modelPath(raw['lora'], [...path, 'lora'], 'adapter', report) : '';
  if (model === undefined || lora === undefined || errors() > 0) return undefined;
  return lora ? `${model}+${lora}` : model;
}

/** A reporter that passes problems on and counts the errors among them. */
function counting(report: Report): [Report, () => number] {
  let n = 0;
  return [
    (path, message, severity) => {
      if (severity !== 'warning') n++;
      report(path, message, severity);
    },
    () => n,
  ];
}

/** mergekit's ModelPath: "path", "path@revision" or {path, revision}; the string form back. */
function modelPath(raw: unknown, path: YamlPath, what: string, outer: Report): string | undefined {
  const [report, errors] = counting(outer);
  if (typeof raw === 'string') {
    if (raw.trim() === '') report(path, `a ${what} name is required`);
    else if (raw.includes('+'))
      report(path, `'${raw}' has a '+': give the adapter as lora:, not in the ${what}'s path`);
    else if (raw.split('@').length > 2) {
      report(
        path,
        `'${raw}' has more than one '@': write path@revision (mergekit stops with "Invalid model path - multiple @")`,
      );
    } else return raw;
    return undefined;
  }
  if (!isObj(raw)) {
    report(path, `the ${what} is a path string (org/name, org/name@revision) or {path, revision}`);
    return undefined;
  }
  checkKeys(raw, path, ['path', 'revision'], report, { path: FIELD_REQUIRED });
  const p = raw['path'];
  const rev = raw['revision'];
  if (typeof p !== 'string' || p.trim() === '') report([...path, 'path'], `a ${what} path is required`);
  // The string form is the only one kept (and written back), so neither part may hold the
  // characters that split it again.
  else if (/[@+]/.test(p))
    report(
      [...path, 'path'],
      `'${p}' has a '${p.includes('@') ? '@' : '+'}': give the revision as revision:, the adapter as lora:`,
    );
  if (isSet(rev) && (typeof rev !== 'string' || rev.trim() === '' || /[@+]/.test(rev))) {
    report([...path, 'revision'], 'revision is a branch, tag or commit name (no @ or +)');
  }
  if (errors() > 0) return undefined;
  return isSet(rev) ? `${p as string}@${rev as string}` : (p as string);
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

/** Common spellings of the dtypes (mergekit refuses them too, in dtype_from_name). */
const DTYPE_ALIASES: Readonly<Record<string, TorchDType>> = {
  bf16: 'bfloat16',
  fp16: 'float16',
  f16: 'float16',
  half: 'float16',
  fp32: 'float32',
  f32: 'float32',
  float: 'float32',
};

/** mergekit's dtype_from_name: bfloat16, float16, float32, with or without `torch.`; null is absent. */
export function torchDtype(raw: unknown, path: YamlPath, report: Report): TorchDType | undefined {
  if (raw === undefined || raw === null) return undefined;
  const s = typeof raw === 'string' && raw.startsWith('torch.') ? raw.slice(6) : raw;
  if (typeof s === 'string' && (COMPUTE_DTYPES as readonly string[]).includes(s)) return s as TorchDType;
  // No "did you mean" between two real dtypes (float64 is not a typo of float32).
  const hint =
    typeof s !== 'string'
      ? undefined
      : (DTYPE_ALIASES[s.toLowerCase()] ??
        (/^(b?float|u?int)\d+$/.test(s) ? undefined : suggest(s, COMPUTE_DTYPES)));
  report(
    path,
    `dtype must be one of ${COMPUTE_DTYPES.join(', ')}, not ${JSON.stringify(raw)}${hint ? ` (did you mean ${hint}?)` : ''}`,
  );
  return undefined;
}
