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
import { finishConfig, L, layoutOf, modelTypeProblem, qwenMoeConfig, type Models } from './common.ts';
import { stackedTensors } from './stacked.ts';
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
  const { list, dims } = stackedTensors('Qwen3 MoE', config, models, {
    attention: ATTENTION,
    experts: EXPERT.map((p) => [p, (l, e) => L(l, `mlp.experts.${e}.${p}.weight`)]),
    router: (l) => L(l, 'mlp.gate.weight'),
  });
  const counts = { experts: config.experts.length, shared: 0 };
  const out = qwenMoeConfig(
    config,
    models.get(config.base_model)!.config,
    'Qwen3MoeForCausalLM',
    'qwen3_moe',
  );
  return layoutOf('Qwen3 MoE', list, dims, counts, finishConfig(out, list.dtype));
}
