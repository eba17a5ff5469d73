/**
 * bakllama: mergekit's wrapper for the configuration files of the bakllama tool
 * (mergekit/scripts/bakllama.py): a list of layer slices, each `{model, start, end, scale?}`,
 * stacked by passthrough; `scale` multiplies that slice's down_proj weights.
 *
 * mergekit's wrapper no longer runs (it gives MergeConfiguration input slices where output
 * slices are expected, which pydantic rejects); ours builds what it meant: one output slice
 * per layer slice. `embedding_source` and `lm_head_source` are read but unused by mergekit;
 * here the embeddings come from the first slice's model and the head from the last one's (as
 * in every slices recipe), so naming another model is an error instead of a silent change.
 */
import { parse } from 'yaml';
import type { OutputSlice, Recipe } from '../plan/recipe.ts';
import { GeneratorError } from './errors.ts';

const SLICE_KEYS = ['model', 'start', 'end', 'scale'];
const TOP_KEYS = ['layer_slices', 'embedding_source', 'lm_head_source'];

function record(v: unknown, where: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new GeneratorError(`${where}: expected a mapping`);
  return v as Record<string, unknown>;
}

function unknownKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  const extra = Object.keys(obj).filter((k) => !allowed.includes(k));
  if (extra.length > 0) {
    throw new GeneratorError(
      `${where}: unknown key${extra.length > 1 ? 's' : ''} ${extra.join(', ')} (expected ${allowed.join(', ')})`,
    );
  }
}

function layer(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new GeneratorError(`${where}: expected a whole number of 0 or more`);
  return v;
}

function optionalModel(v: unknown, where: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v === '') throw new GeneratorError(`${where}: expected a model name`);
  return v;
}

export function bakllamaRecipe(text: string, options: { readonly fp16?: boolean } = {}): Recipe {
  let doc: unknown;
  try {
    doc = parse(text, { version: '1.1' });
  } catch (e) {
    throw new GeneratorError(`cannot read the configuration as YAML: ${(e as Error).message}`);
  }
  const top = record(doc, 'the configuration');
  unknownKeys(top, TOP_KEYS, 'the configuration');
  const list = top['layer_slices'];
  if (!Array.isArray(list) || list.length === 0)
    throw new GeneratorError('layer_slices: expected a list of slices {model, start, end}');
  const slices: OutputSlice[] = list.map((raw, i) => {
    const where = `layer_slices[${i}]`;
    const s = record(raw, where);
    unknownKeys(s, SLICE_KEYS, where);
    const model = optionalModel(s['model'], `${where}.model`);
    if (model === undefined) throw new GeneratorError(`${where}.model: required`);
    const start = layer(s['start'], `${where}.start`);
    const end = layer(s['end'], `${where}.end`);
    if (end <= start)
      throw new GeneratorError(
        `${where}: end (${end}) must be after start (${start}); the range is [start, end)`,
      );
    const scale = s['scale'];
    if (scale !== undefined && scale !== null && (typeof scale !== 'number' || !Number.isFinite(scale))) {
      throw new GeneratorError(`${where}.scale: expected a number`);
    }
    return {
      sources: [
        {
          model,
          layer_range: [start, end],
          ...(typeof scale === 'number' && {
            parameters: { scale: [{ filter: 'down_proj', value: scale }] },
          }),
        },
      ],
    };
  });
  const firstModel = slices[0]!.sources[0]!.model;
  const lastModel = slices.at(-1)!.sources[0]!.model;
  const embed = optionalModel(top['embedding_source'], 'embedding_source');
  if (embed !== undefined && embed !== firstModel) {
    throw new GeneratorError(
      `embedding_source ${embed}: the embeddings come from the first slice's model (${firstModel}); start with a slice of ${embed}`,
    );
  }
  const head = optionalModel(top['lm_head_source'], 'lm_head_source');
  if (head !== undefined && head !== lastModel) {
    throw new GeneratorError(
      `lm_head_source ${head}: the final norm and head come from the last slice's model (${lastModel}); end with a slice of ${head}`,
    );
  }
  return { merge_method: 'passthrough', slices, ...(options.fp16 && { dtype: 'float16' as const }) };
}
