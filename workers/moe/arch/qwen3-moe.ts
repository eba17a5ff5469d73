/**
 * A Qwen3 MoE (transformers' Qwen3MoeForCausalLM) built from Qwen3 models
 * (mergekit/moe/qwen3.py): the base's tensors but its MLPs, in mergekit's Qwen3 order, then each
 * layer's experts
 *
 *   model.layers.N.mlp.experts.e.{gate,up,down}_proj   from expert e
 *
 * then every layer's router, model.layers.N.mlp.gate.weight [experts, hidden]. No shared
 * experts. The expert tensors are the per-expert checkpoint layout of the published Qwen3 MoE
 * models (mergekit's transformers-v5 branch writes them fused as `mlp.experts.gate_up_proj` and
 * `mlp.experts.down_proj`; transformers v5 converts this layout to that one on load).
 */
import type { MoeConfig } from '../moe-config.ts';
import {
  baseDims,
  finishConfig,
  L,
  layoutOf,
  modelTypeProblem,
  outputDtype,
  qwenMoeConfig,
  refuseBiases,
  TensorList,
  type Models,
} from './common.ts';
import type { MoeLayout, OutputArchitecture } from './types.ts';

/** Qwen3's layer weights but the MLP's, in mergekit's order (_data/architectures/qwen3.json). */
const ATTENTION = [
  'input_layernorm.weight',
  'post_attention_layernorm.weight',
  'self_attn.k_norm.weight',
  'self_attn.k_proj.weight',
  'self_attn.q_norm.weight',
  'self_attn.q_proj.weight',
  'self_attn.v_proj.weight',
  'self_attn.o_proj.weight',
] as const;
const EXPERT = ['gate_proj', 'up_proj', 'down_proj'] as const;
export const qwen3Moe: OutputArchitecture = {
  name: 'Qwen3 MoE',
  configProblem: (config) =>
    config.shared_experts && config.shared_experts.length > 0
      ? { path: ['shared_experts'], message: 'has no shared experts' }
      : undefined,
  modelProblem: (config, models) => modelTypeProblem(config, models, ['qwen3']),
  layout: qwen3MoeLayout,
};

function qwen3MoeLayout(config: MoeConfig, models: Models): MoeLayout {
  const base = models.get(config.base_model)!;
  refuseBiases('Qwen3 MoE', base, /\.(self_attn|mlp)\.\w+\.bias$/, ['attention_bias', 'mlp_bias']);
  for (const e of config.experts) refuseBiases('Qwen3 MoE', models.get(e.source_model)!, /\.mlp\.\w+\.bias$/, ['mlp_bias']); // prettier-ignore
  const dims = baseDims(config, models);
  const dtype = outputDtype(config, base);
  const list = new TensorList('Qwen3 MoE', base, dims, dtype);
  list.copy(base, 'model.embed_tokens.weight', 'model.embed_tokens.weight');
  for (let l = 0; l < dims.numLayers; l++) {
    for (const s of ATTENTION) list.copy(base, L(l, s), L(l, s), { layer: l });
  }
  list.copy(base, 'model.norm.weight', 'model.norm.weight');
  list.copyIfPresent('lm_head.weight');
  for (let l = 0; l < dims.numLayers; l++) {
    for (const [index, e] of config.experts.entries()) {
      for (const p of EXPERT) {
        const out = L(l, `mlp.experts.${index}.${p}.weight`);
        list.copy(models.get(e.source_model)!, L(l, `mlp.${p}.weight`), out, { layer: l, expert: { list: 'experts', index }, mlp: true }); // prettier-ignore
      }
    }
  }
  const numExperts = config.experts.length;
  for (let l = 0; l < dims.numLayers; l++) list.router(L(l, 'mlp.gate.weight'), l, 0, numExperts);
  const counts = { experts: numExperts, shared: 0 };
  const out = qwenMoeConfig(config, base.config, 'Qwen3MoeForCausalLM', 'qwen3_moe');
  return layoutOf('Qwen3 MoE', list, dims, counts, finishConfig(out, list.dtype));
}
