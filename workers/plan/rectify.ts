/**
 * Shape agreement before a tensor is merged, as mergekit does it: embedding-like tensors
 * (vocab rows) that differ in size are cropped to a common top-left block (or to the base's
 * shape for task vectors); other mismatches skip the model (task vectors) or fail.
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

function crop<T extends PlannedInput>(x: T, rows: number, cols: number): T {
  return x.shape[0] === rows && x.shape[1] === cols ? x : { ...x, crop: [rows, cols] as const };
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
  const shape = all[0]!.shape;
  if (all.every((x) => same(x.shape, shape))) {
    return { base, inputs, shape, numel: numelOf(shape), cropped: false };
  }
  const desc = all.map((x) => `${x.model} ${JSON.stringify(x.shape)}`).join(', ');
  const twoD = all.every((x) => x.shape.length === 2);
  if (isEmbed && twoD && method.rectify === 'crop-common') {
    const rows = Math.min(...all.map((x) => x.shape[0]!));
    const cols = Math.min(...all.map((x) => x.shape[1]!));
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
    const [rows, cols] = base.shape;
    const kept: T[] = [];
    for (const x of inputs) {
      if (same(x.shape, base.shape)) kept.push(x);
      else if (isEmbed && twoD) {
        if (x.shape[0]! < rows! || x.shape[1]! < cols!) {
          throw new RecipeError([
            {
              path: [],
              message: `${name}: ${x.model} has shape ${JSON.stringify(x.shape)}, smaller than the base's ${JSON.stringify(base.shape)}; task vectors need at least the base's vocabulary`,
              severity: 'error',
            },
          ]);
        }
        warnings.add(
          `${name}: ${x.model} ${JSON.stringify(x.shape)} cropped to the base's ${JSON.stringify(base.shape)} (vocab ${rows})`,
        );
        kept.push(crop(x, rows!, cols!));
      } else {
        warnings.add(
          `${name}: ${x.model} has shape ${JSON.stringify(x.shape)}, not the base's ${JSON.stringify(base.shape)}; skipped for this tensor`,
        );
      }
    }
    return {
      base,
      inputs: kept,
      shape: base.shape,
      numel: numelOf(base.shape),
      cropped: kept.some((x) => x.crop),
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
