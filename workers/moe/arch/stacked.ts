/**
 * The tensor order Mixtral and Qwen3 MoE share (mergekit's mixtral.py and qwen3.py): the base's
 * tensors but its MLPs, then each layer's experts, then every layer's router. Neither has a
 * place for biases, so a base with attention or MLP biases, or an expert with MLP biases, is
 * refused rather than dropped.
 */
import type { MoeConfig } from '../moe-config.ts';
import { baseDims, L, outputDtype, refuseBiases, TensorList, type BaseDims, type Models } from './common.ts';
import type { OutputArchitectureName } from './types.ts';

export interface StackedSpec {
  /** A layer's weights taken from the base (its attention and norms). */
  readonly attention: readonly string[];
  /** Each expert's weights: the source MLP projection and its name in the output. */
  readonly experts: readonly (readonly [from: string, out: (layer: number, expert: number) => string])[];
  readonly router: (layer: number) => string;
}

export function stackedTensors(
  arch: OutputArchitectureName,
  config: MoeConfig,
  models: Models,
  spec: StackedSpec,
): { readonly list: TensorList; readonly dims: BaseDims } {
  const base = models.get(config.base_model)!;
  refuseBiases(arch, base, /\.(self_attn|mlp)\.\w+\.bias$/, ['attention_bias', 'mlp_bias']);
  for (const e of config.experts) refuseBiases(arch, models.get(e.source_model)!, /\.mlp\.\w+\.bias$/, ['mlp_bias']); // prettier-ignore
  const dims = baseDims(config, models);
  const list = new TensorList(arch, base, dims, outputDtype(config, base));
  list.copy(base, 'model.embed_tokens.weight', 'model.embed_tokens.weight');
  for (let l = 0; l < dims.numLayers; l++) {
    for (const s of spec.attention) list.copy(base, L(l, s), L(l, s), { layer: l });
  }
  list.copy(base, 'model.norm.weight', 'model.norm.weight');
  // Optional, as in mergekit's descriptions: tied checkpoints have no lm_head.
  list.copyIfPresent('lm_head.weight');
  for (let l = 0; l < dims.numLayers; l++) {
    for (const [index, e] of config.experts.entries()) {
      const m = models.get(e.source_model)!;
      for (const [from, out] of spec.experts) {
        list.copy(m, L(l, `mlp.${from}.weight`), out(l, index), { layer: l, expert: { list: 'experts', index }, mlp: true }); // prettier-ignore
      }
    }
  }
  for (let l = 0; l < dims.numLayers; l++) list.router(spec.router(l), l, 0, config.experts.length);
  return { list, dims };
}
