/**
 * Which tensor of the output comes from where: every BASE tensor, in the order BASE stores them,
 * taken from SUBMODEL when SUBMODEL has it (under the prefix of ./find-prefix.ts, or moved one
 * level down where BASE nests its language model, which mergekit cannot fill) and from BASE
 * otherwise. Pure: names, shapes and dtypes in, a plan or a FillMissingError out.
 *
 * Checked here where mergekit is silent: a SUBMODEL tensor whose shape differs from the BASE
 * tensor it replaces (mergekit logs a warning and writes it, and the model does not load) or
 * whose dtype does (mergekit does not look: one checkpoint then mixes dtypes),
 * and SUBMODEL tensors that replace nothing (mergekit drops them). BASE with no more tensors
 * than SUBMODEL is refused, as mergekit asserts.
 */
import type { DType } from '../io/dtypes.ts';
import type { LoadedTensor } from '../io/load-model.ts';
import { FillMissingError } from './errors.ts';
import { describeMapping, findNested, findPrefix, toBaseName, type NameMapping } from './find-prefix.ts';

export interface FillTensor {
  /** The name in BASE and in the output. */
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly from: 'base' | 'submodel';
  /** Its name in the model it is copied from. */
  readonly source: string;
}

export interface FillPlan extends NameMapping {
  readonly tensors: readonly FillTensor[];
  readonly replaced: number;
  readonly kept: number;
}

/** The models' ids, for messages. */
export interface FillNames {
  readonly base: string;
  readonly submodel: string;
}

/** Unmatched or mismatched tensors listed in a message: the first few, and how many more. */
const SHOWN = 5;

function listed(items: readonly string[], separator = ', '): string {
  const more = items.length - SHOWN;
  return items.slice(0, SHOWN).join(separator) + (more > 0 ? ` and ${more} more` : '');
}

const dims = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** BASE's tensors as its files store them: file by file, by offset. */
function storedOrder(base: ReadonlyMap<string, LoadedTensor>): string[] {
  const files = [...new Set([...base.values()].map((t) => t.file))].sort();
  const rank = new Map(files.map((f, i) => [f, i]));
  return [...base.entries()]
    .sort(([, a], [, b]) => rank.get(a.file)! - rank.get(b.file)! || a.begin - b.begin)
    .map(([name]) => name);
}

export function planFill(
  base: ReadonlyMap<string, LoadedTensor>,
  submodel: ReadonlyMap<string, LoadedTensor>,
  names: FillNames,
): FillPlan {
  if (base.size <= submodel.size) {
    throw new FillMissingError(
      'base-not-larger',
      `${names.base} has ${base.size} tensors and ${names.submodel} ${submodel.size}: the base must have more ` +
        `tensors than the submodel it is filled from (are the two the wrong way round?)`,
    );
  }
  const order = storedOrder(base);
  const subNames = [...submodel.keys()];
  const { prefix } = findPrefix(order, subNames);
  let mapping: NameMapping = { prefix };
  let unmatched = subNames.filter((s) => !base.has(toBaseName(s, mapping)));
  if (unmatched.length > 0) {
    // Beyond mergekit: BASE may keep the language model one level down (model.language_model.*).
    const nested = findNested(order, subNames);
    if (nested) {
      mapping = nested;
      unmatched = [];
    }
  }
  if (unmatched.length > 0) {
    throw new FillMissingError(
      'unmatched',
      `${unmatched.length} of ${submodel.size} tensors of ${names.submodel} have no tensor in ${names.base} ` +
        `${describeMapping(mapping)}, so they would be dropped: ${listed(unmatched)}. Is ${names.submodel} a part of ${names.base}?`,
    );
  }
  const byBaseName = new Map(subNames.map((s) => [toBaseName(s, mapping), s]));
  const mismatched: string[] = [];
  const tensors = order.map((name): FillTensor => {
    const b = base.get(name)!;
    const s = byBaseName.get(name);
    if (s === undefined) return { name, dtype: b.dtype, shape: b.shape, from: 'base', source: name };
    const t = submodel.get(s)!;
    const sameShape = t.shape.length === b.shape.length && t.shape.every((d, i) => d === b.shape[i]);
    if (!sameShape || t.dtype !== b.dtype) {
      mismatched.push(
        `${s} is ${t.dtype} ${dims(t.shape)} in ${names.submodel}, ${name} is ${b.dtype} ${dims(b.shape)} in ${names.base}`,
      );
    }
    return { name, dtype: t.dtype, shape: t.shape, from: 'submodel', source: s };
  });
  if (mismatched.length > 0) {
    throw new FillMissingError(
      'mismatch',
      `${mismatched.length} tensors of ${names.submodel} do not fit the ${names.base} tensors they would replace ` +
        `(another shape would not load; another dtype would mix dtypes in one model): ${listed(mismatched, '; ')}. Merge the submodel again with the base's shapes and dtype ` +
        `(out_dtype, tokenizer settings), or fill a base it fits.`,
    );
  }
  const replaced = byBaseName.size;
  return { ...mapping, tensors, replaced, kept: tensors.length - replaced };
}
