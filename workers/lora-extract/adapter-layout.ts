/**
 * The tensors of adapter_model.safetensors, from the plan and the two models' headers: names
 * and shapes as PeftModel.save_pretrained writes them (mergekit writes the same), the factors
 * in the dtype of model - base. Without --sv-epsilon every module's rank is min(max rank,
 * rows, cols), so this is the file's exact layout (the extractor streams into it, and the
 * studio's preview tells its size from headers alone); with an epsilon it is an upper bound.
 */
import type { WritableDType } from '../io/dtypes.ts';
import type { TensorSpec } from '../io/safetensors/layout.ts';
import { deltaDtype, type ExtractionPlan, type LoraModule, type TensorInfo } from './plan-extraction.ts';

/** PeftModel.save_pretrained's prefix, which mergekit writes too. */
export const PREFIX = 'base_model.model.';

/** The factor tensors of a module of rank r (and its bias change, with `biasDtype`). */
export function factorSpecs(p: LoraModule, rank: number, biasDtype: WritableDType | undefined): TensorSpec[] {
  const at = `${PREFIX}${p.module}`;
  const specs: TensorSpec[] = p.embedding
    ? [
        { name: `${at}.lora_embedding_A`, dtype: p.dtype, shape: [rank, p.rows] },
        { name: `${at}.lora_embedding_B`, dtype: p.dtype, shape: [p.cols, rank] },
      ]
    : [
        { name: `${at}.lora_A.weight`, dtype: p.dtype, shape: [rank, p.cols] },
        { name: `${at}.lora_B.weight`, dtype: p.dtype, shape: [p.rows, rank] },
      ];
  if (p.bias && biasDtype) specs.push({ name: `${at}.lora_B.bias`, dtype: biasDtype, shape: [p.rows] });
  return specs;
}

/** The dtype of a module's bias change, when it has a bias. */
export function biasDtypeOf(
  p: LoraModule,
  model: ReadonlyMap<string, TensorInfo>,
  base: ReadonlyMap<string, TensorInfo>,
): WritableDType | undefined {
  return p.bias ? deltaDtype(model.get(p.bias)!.dtype, base.get(p.bias)!.dtype) : undefined;
}

/** Tensors saved whole: the fine-tuned model's, under the prefix. */
export function wholeSpecs(tensors: readonly string[], model: ReadonlyMap<string, TensorInfo>): TensorSpec[] {
  return tensors.map((t) => {
    const info = model.get(t)!;
    return { name: `${PREFIX}${t}`, dtype: info.dtype, shape: info.shape };
  });
}

/** The rank a module gets without --sv-epsilon (its most with one). */
export const plannedRank = (p: LoraModule, maxRank: number): number => Math.min(maxRank, p.rows, p.cols);

/** Every tensor of the file, in the plan's order, each module at its planned rank. */
export function plannedSpecs(
  plan: ExtractionPlan,
  model: ReadonlyMap<string, TensorInfo>,
  base: ReadonlyMap<string, TensorInfo>,
  maxRank: number,
): TensorSpec[] {
  return plan.modules.flatMap((p) =>
    p.kind === 'whole'
      ? wholeSpecs(p.tensors, model)
      : factorSpecs(p, plannedRank(p, maxRank), biasDtypeOf(p, model, base)),
  );
}
