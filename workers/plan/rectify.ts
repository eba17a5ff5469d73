/**
 * Shape agreement before a tensor is merged, as mergekit does it: embedding-like tensors
 * (vocab rows) that differ in size are cropped to a common top-left block (or to the base's
 * shape for task vectors); other mismatches skip the model (task vectors) or fail. With
 * `tokenizer_source`, embeddings are first cut to the tokenizer's length (cutToTokenizer);
 * shapes here are then the cropped ones.
 */
import type { MergeMethod } from '../methods/types.ts';
import { numelOf } from '../io/safetensors/header.ts';
import type { PlannedInput } from './plan-types.ts';
import { RecipeError } from './problems.ts';

interface Rectified<T extends PlannedInput> {
  readonly base: T | undefined;
  readonly inputs: readonly T[];
  readonly shape: readonly number[];
  readonly numel: number;
  readonly cropped: boolean;
}

const same = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** The shape the merge sees: the crop, if any, else the stored shape. */
const dims = (x: PlannedInput): readonly number[] =>
  x.reindex ? [x.reindex.padded, x.shape[1]!] : (x.crop ?? x.shape);

function crop<T extends PlannedInput>(x: T, rows: number, cols: number): T {
  return x.shape[0] === rows && x.shape[1] === cols ? x : { ...x, crop: [rows, cols] as const };
}

/**
 * An embedding-like input cut to the tokenizer's first `rows` rows, as mergekit's
 * PermutedEmbeddings does when every model shares the base's tokenizer (tokenizer-plan.ts).
 */
export function cutToTokenizer<T extends PlannedInput>(name: string, x: T, rows: number): T {
  if (x.shape.length !== 2 || x.shape[0] === rows) return x;
  if (x.shape[0]! < rows) {
    throw new RecipeError([
      {
        path: [],
        message: `${name}: ${x.model} has ${x.shape[0]} rows, fewer than its tokenizer's ${rows} tokens (mergekit fails on it); remove tokenizer_source or use a model whose embeddings cover its tokenizer`,
        severity: 'error',
      },
    ]);
  }
  return { ...x, crop: [rows, x.shape[1]!] as const };
}

export function rectify<T extends PlannedInput>(
  method: MergeMethod,
  name: string,
  isEmbed: boolean,
  base: T | undefined,
  inputs: readonly T[],
  warnings: Set<string>,
): Rectified<T> {
  const all = base ? [base, ...inputs] : [...inputs];
  const shape = dims(all[0]!);
  if (all.every((x) => same(dims(x), shape))) {
    // Rows rebuilt for a tokenizer (reindex) are read chunk by chunk like any input: not "cropped".
    return { base, inputs, shape, numel: numelOf(shape), cropped: all.some((x) => x.crop) };
  }
  const desc = all.map((x) => `${x.model} ${JSON.stringify(dims(x))}`).join(', ');
  const twoD = all.every((x) => x.shape.length === 2);
  if (isEmbed && twoD && method.rectify === 'crop-common') {
    const rows = Math.min(...all.map((x) => dims(x)[0]!));
    const cols = Math.min(...all.map((x) => dims(x)[1]!));
    warnings.add(
      `${name}: sizes differ (${desc}); using the common top-left block [${rows}, ${cols}] (vocab cropped to ${rows})`,
    );
    return {
      base: base && crop(base, rows, cols),
      inputs: inputs.map((x) => crop(x, rows, cols)),
      shape: [rows, cols],
      numel: rows * cols,
      cropped: true,
    };
  }
  if (method.rectify === 'crop-to-base' && base) {
    const baseShape = dims(base);
    const [rows, cols] = baseShape;
    const kept: T[] = [];
    for (const x of inputs) {
      const own = dims(x);
      if (same(own, baseShape)) kept.push(x);
      else if (isEmbed && twoD) {
        if (own[0]! < rows! || own[1]! < cols!) {
          throw new RecipeError([
            {
              path: [],
              message: `${name}: ${x.model} has shape ${JSON.stringify(own)}, smaller than the base's ${JSON.stringify(baseShape)}; task vectors need at least the base's vocabulary`,
              severity: 'error',
            },
          ]);
        }
        warnings.add(
          `${name}: ${x.model} ${JSON.stringify(own)} cropped to the base's ${JSON.stringify(baseShape)} (vocab ${rows})`,
        );
        kept.push(crop(x, rows!, cols!));
      } else {
        warnings.add(
          `${name}: ${x.model} has shape ${JSON.stringify(own)}, not the base's ${JSON.stringify(baseShape)}; skipped for this tensor`,
        );
      }
    }
    return {
      base,
      inputs: kept,
      shape: baseShape,
      numel: numelOf(baseShape),
      cropped: kept.some((x) => x.crop) || base.crop !== undefined,
    };
  }
  throw new RecipeError([
    {
      path: [],
      message: `${name}: shapes differ (${desc}) and ${method.name} cannot reconcile them; these models are not compatible`,
      severity: 'error',
    },
  ]);
}
