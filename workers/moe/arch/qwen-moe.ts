/**
 * A Qwen MoE (transformers' Qwen2MoeForCausalLM) built from Llama, Mistral or Qwen2 models
 * (mergekit/moe/qwen.py): every tensor of the base in mergekit's Qwen2 order, each layer's MLP
 * replaced by
 *
 *   model.layers.N.mlp.experts.e.{down,gate,up}_proj    from expert e
 *   model.layers.N.mlp.shared_expert.{down,gate,up}_proj from the shared expert
 *
 * then, per layer, the router model.layers.N.mlp.gate.weight [experts, hidden] and the shared
 * expert's gate model.layers.N.mlp.shared_expert_gate.weight [1, hidden] (its row is made from
 * its prompts like an expert's: Qwen scales the shared expert's output by sigmoid(gate . x)).
 * Qwen2-MoE attention has q/k/v biases: a base without them gets zeros, as mergekit writes.
 */
import { ArchitectureError } from '../../plan/architecture.ts';
import type { MoeConfig } from '../moe-config.ts';
import {
  baseClassDefaults,
  baseDims,
  finishConfig,
  L,
  layoutOf,
  modelTypeProblem,
  outputDtype,
  positiveInt,
  qwenMoeConfig,
  refuseBiases,
  TensorList,
  type Json,
  type Models,
} from './common.ts';
import type { MoeLayout, OutputArchitecture } from './types.ts';

/** Qwen2's layer weights in mergekit's order (_data/architectures/qwen2.json). */
const LAYER = [
  'input_layernorm.weight',
  'mlp.down_proj.weight',
  'mlp.gate_proj.weight',
  'mlp.up_proj.weight',
  'post_attention_layernorm.weight',
  'self_attn.k_proj.bias',
  'self_attn.k_proj.weight',
  'self_attn.o_proj.weight',
  'self_attn.q_proj.bias',
  'self_attn.q_proj.weight',
  'self_attn.v_proj.bias',
  'self_attn.v_proj.weight',
] as const;
export const qwenMoe: OutputArchitecture = {
  name: 'Qwen MoE',
  configProblem: (config) => {
    const shared = config.shared_experts ?? [];
    if (shared.length !== 1)
      return { path: ['shared_experts'], message: `needs exactly one shared expert (found ${shared.length})` }; // prettier-ignore
    if (config.gate_mode !== 'random' && !(shared[0]!.positive_prompts?.length ?? 0))
      return { path: ['shared_experts', 0], message: `gates its shared expert: with gate_mode ${config.gate_mode} it needs positive_prompts` }; // prettier-ignore
    return undefined;
  },
  modelProblem: (config, models) => modelTypeProblem(config, models, ['llama', 'mistral', 'qwen2']),
  layout: qwenMoeLayout,
};

function qwenMoeLayout(config: MoeConfig, models: Models): MoeLayout {
  const base = models.get(config.base_model)!;
  // q/k/v biases have a place (copied), o_proj's and the MLPs' do not.
  refuseBiases('Qwen MoE', base, /\.(self_attn\.o_proj|mlp\.\w+)\.bias$/, ['mlp_bias']);
  const shared = config.shared_experts![0]!;
  for (const e of [...config.experts, shared]) refuseBiases('Qwen MoE', models.get(e.source_model)!, /\.mlp\.\w+\.bias$/, ['mlp_bias']); // prettier-ignore
  const dims = baseDims(config, models);
  const heads = positiveInt(base.config, 'num_attention_heads', base.id);
  // Absent: the base's config class default, as mergekit's out_cfg has it.
  const kvHeads = (base.config['num_key_value_heads'] ?? baseClassDefaults(base.config)['num_key_value_heads'] ?? heads) as number; // prettier-ignore
  // Qwen2-MoE's attention assumes head_dim = hidden_size / num_attention_heads.
  const headDim = Math.floor(dims.hidden / heads);
  const q = base.tensors.get(L(0, 'self_attn.q_proj.weight'));
  if (q && q.shape[0] !== heads * headDim)
    throw new ArchitectureError(`${base.id}: q_proj has ${String(q.shape[0])} rows, but a Qwen MoE model's attention has hidden_size / num_attention_heads = ${headDim} dimensions per head (${heads * headDim} rows)`); // prettier-ignore
  const dtype = outputDtype(config, base);
  const list = new TensorList('Qwen MoE', base, dims, dtype);
  list.copy(base, 'model.embed_tokens.weight', 'model.embed_tokens.weight');
  for (let l = 0; l < dims.numLayers; l++) {
    for (const s of LAYER) {
      const name = L(l, s);
      if (s.startsWith('mlp.')) {
        for (const [index, e] of config.experts.entries()) {
          const out = name.replace('.mlp.', `.mlp.experts.${index}.`);
          list.copy(models.get(e.source_model)!, name, out, { layer: l, expert: { list: 'experts', index }, mlp: true }); // prettier-ignore
        }
        const out = name.replace('.mlp.', '.mlp.shared_expert.');
        list.copy(models.get(shared.source_model)!, name, out, { layer: l, expert: { list: 'shared_experts', index: 0 }, mlp: true }); // prettier-ignore
      } else if (s.endsWith('.bias') && !base.tensors.has(name)) {
        list.zeros(name, [(s.includes('q_proj') ? heads : kvHeads) * headDim], l);
      } else {
        list.copy(base, name, name, { layer: l });
      }
    }
  }
  list.copy(base, 'model.norm.weight', 'model.norm.weight');
  list.copyIfPresent('lm_head.weight');
  const numExperts = config.experts.length;
  for (let l = 0; l < dims.numLayers; l++) {
    list.router(L(l, 'mlp.gate.weight'), l, 0, numExperts);
    list.router(L(l, 'mlp.shared_expert_gate.weight'), l, numExperts, 1);
  }
  const counts = { experts: numExperts, shared: 1 };
  return layoutOf('Qwen MoE', list, dims, counts, qwen2MoeConfig(config, base.config, list.dtype));
}

/** mergekit's QwenMoE._generate_config: the base's config as a Qwen2MoeConfig. */
function qwen2MoeConfig(config: MoeConfig, base: Json, dtype: TensorList['dtype']): Json {
  const out = qwenMoeConfig(config, base, 'Qwen2MoeForCausalLM', 'qwen2_moe');
  out['sliding_window'] = null;
  out['use_sliding_window'] = false;
  out['shared_expert_intermediate_size'] = out['intermediate_size'];
  return finishConfig(out, dtype);
}
