/**
 * The `models:` and `slices:` parts of a recipe: entries, model references, layer ranges,
 * per-source parameters, and models listed twice (which mergekit silently collapses).
 */
import type { MergeMethod } from '../methods/types.ts';
import type { YamlPath } from './problems.ts';
import type { InputModel, InputSlice, OutputModule, OutputSlice } from './recipe.ts';
import {
  checkKeys,
  FIELD_REQUIRED,
  isObj,
  isSet,
  modelRef,
  quotedNumber,
  type Report,
} from './validate-common.ts';
import { validateParameterMap } from './validate-params.ts';

export function checkModels(
  raw: unknown,
  method: MergeMethod,
  report: Report,
  at: YamlPath = ['models'],
): InputModel[] | undefined {
  if (!Array.isArray(raw)) {
    report(at, 'models must be a list of {model, parameters}');
    return undefined;
  }
  const models = raw.flatMap((item, i): (InputModel & { path: YamlPath })[] => {
    const path = [...at, i];
    if (typeof item === 'string') {
      report(path, `write "- model: ${item}" (each entry is a mapping)`);
      return [];
    }
    if (!isObj(item)) {
      report(path, 'each entry of models is a mapping {model, parameters}');
      return [];
    }
    const { layer_range: range, ...rest } = item;
    if (range !== undefined) {
      report(
        [...path, 'layer_range'],
        'layer_range only applies under slices[].sources[]; with models: every layer is merged (mergekit ignores it here)',
        'warning',
      );
    }
    checkKeys(rest, path, ['model', 'parameters'], report, { model: FIELD_REQUIRED });
    const model = modelRef(item['model'], [...path, 'model'], report);
    const params = validateParameterMap(
      item['parameters'],
      [...path, 'parameters'],
      'source',
      method,
      report,
    );
    return model ? [{ model, ...(params && { parameters: params }), path }] : [];
  });
  reportDuplicates(
    models,
    (m, first) =>
      `${m} is listed twice (models[${first}] and here); mergekit merges each model once, with the parameters of its first entry, so this entry would change nothing: list it once, and raise its weight to count it more`,
    report,
  );
  return models.map(({ path: _path, ...m }) => m);
}

/** A list given and not empty: mergekit counts models/slices by truthiness, so [] is absent. */
const given = (x: unknown): boolean => isSet(x) && !(Array.isArray(x) && x.length === 0);

/**
 * mergekit's `modules:`: for each module of a multi-module model (text_decoder, vision_tower,
 * multi_modal_projector...), its own models or slices and parameters. Which modules a model
 * has is known only from its tensors (the planner checks the names).
 */
export function checkModules(
  raw: unknown,
  method: MergeMethod,
  report: Report,
): Record<string, OutputModule> | undefined {
  if (!isObj(raw)) {
    report(
      ['modules'],
      'modules must be a mapping of module name (text_decoder, vision_tower, ...) to {models | slices, parameters}',
    );
    return undefined;
  }
  const out: Record<string, OutputModule> = {};
  for (const [name, def] of Object.entries(raw)) {
    const path = ['modules', name];
    if (!isObj(def)) {
      report(path, 'each module is a mapping {models | slices, parameters}');
      continue;
    }
    checkKeys(def, path, ['models', 'slices', 'parameters'], report);
    const hasModels = given(def['models']);
    if (hasModels === given(def['slices'])) {
      report(
        path,
        `give this module models: or slices:${hasModels ? ', not both' : ''} (mergekit: "Must specify either output slices or models to merge")`,
      );
      continue;
    }
    const models = hasModels ? checkModels(def['models'], method, report, [...path, 'models']) : undefined;
    const slices = hasModels ? undefined : checkSlices(def['slices'], method, report, [...path, 'slices']);
    // Between a slice's parameters and the recipe's: global and per-model values alike.
    const parameters = validateParameterMap(
      def['parameters'],
      [...path, 'parameters'],
      'top',
      method,
      report,
    );
    Object.defineProperty(out, name, {
      value: { ...(models && { models }), ...(slices && { slices }), ...(parameters && { parameters }) },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Reports each later entry whose model an earlier entry already names. */
function reportDuplicates(
  entries: readonly { readonly model: string; readonly path: YamlPath }[],
  message: (model: string, first: number | string) => string,
  report: Report,
): void {
  const seen = new Map<string, YamlPath>();
  for (const e of entries) {
    const first = seen.get(e.model);
    if (first) report([...e.path, 'model'], message(e.model, first[first.length - 1]!));
    else seen.set(e.model, e.path);
  }
}

export function checkSlices(
  raw: unknown,
  method: MergeMethod,
  report: Report,
  at: YamlPath = ['slices'],
): OutputSlice[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) {
    report(at, 'slices must be a non-empty list of {sources, ...}');
    return undefined;
  }
  return raw.flatMap((item, i): OutputSlice[] => {
    const path = [...at, i];
    if (!isObj(item)) {
      report(path, 'each slice is a mapping with sources');
      return [];
    }
    checkKeys(item, path, ['sources', 'base_model', 'parameters', 'residual_weight'], report, {
      sources: FIELD_REQUIRED,
    });
    const sourcesRaw = item['sources'];
    if (!Array.isArray(sourcesRaw) || sourcesRaw.length === 0) {
      report([...path, 'sources'], 'a slice needs a non-empty list of sources');
      return [];
    }
    const sources = sourcesRaw.flatMap((s, j) => checkSource(s, [...path, 'sources', j], method, report));
    reportDuplicates(
      sources,
      (m, first) =>
        `${m} is already a source of this slice (sources[${first}]); mergekit merges each model once per slice, reading the layers of its last entry with the parameters of its first: list it once (to repeat or mix a model's own layers, give each range its own slice)`,
      report,
    );
    const lengths = new Set(sources.map((s) => s.layer_range[1] - s.layer_range[0]));
    if (lengths.size > 1) {
      report(
        [...path, 'sources'],
        `all sources of a slice must span the same number of layers (got ${[...lengths].join(', ')})`,
      );
    }
    const base = isSet(item['base_model'])
      ? modelRef(item['base_model'], [...path, 'base_model'], report)
      : undefined;
    const params = validateParameterMap(item['parameters'], [...path, 'parameters'], 'slice', method, report);
    const residual = item['residual_weight'];
    if (isSet(residual) && typeof residual !== 'number') {
      report(
        [...path, 'residual_weight'],
        'residual_weight must be a number (mergekit reads it but never uses it)',
      );
    }
    return [
      {
        sources: sources.map(({ path: _path, ...s }) => s),
        ...(base !== undefined && { base_model: base }),
        ...(params && { parameters: params }),
        ...(typeof residual === 'number' && { residual_weight: residual }),
      },
    ];
  });
}

/** A layer_range bound: a whole number, or one quoted (pydantic reads "8" as 8). */
function layerBound(x: unknown, path: YamlPath, report: Report): unknown {
  if (typeof x !== 'string') return x;
  const n = quotedNumber(x);
  if (n === undefined || !Number.isInteger(n) || !/^\s*[+-]?\d+\s*$/.test(x)) return x;
  report(
    path,
    `quoted number ${JSON.stringify(x)} read as ${n} (mergekit does the same); write it unquoted`,
    'warning',
  );
  return n;
}

function checkSource(
  raw: unknown,
  path: YamlPath,
  method: MergeMethod,
  report: Report,
): (InputSlice & { path: YamlPath })[] {
  if (!isObj(raw)) {
    report(path, 'each source is a mapping {model, layer_range, parameters}');
    return [];
  }
  checkKeys(raw, path, ['model', 'layer_range', 'parameters'], report, {
    model: FIELD_REQUIRED,
    layer_range: FIELD_REQUIRED,
  });
  const model = modelRef(raw['model'], [...path, 'model'], report);
  const lrRaw = raw['layer_range'];
  const lr = Array.isArray(lrRaw)
    ? lrRaw.map((x, k) => layerBound(x, [...path, 'layer_range', k], report))
    : lrRaw;
  let range: [number, number] | undefined;
  if (
    Array.isArray(lr) &&
    lr.length === 2 &&
    lr.every((x) => Number.isInteger(x) && (x as number) >= 0) &&
    (lr[0] as number) <= (lr[1] as number)
  ) {
    range = [lr[0] as number, lr[1] as number];
  } else {
    report([...path, 'layer_range'], 'layer_range must be [start, end] with 0 ≤ start ≤ end (end excluded)');
  }
  const params = validateParameterMap(raw['parameters'], [...path, 'parameters'], 'source', method, report);
  return model && range ? [{ model, layer_range: range, ...(params && { parameters: params }), path }] : [];
}
