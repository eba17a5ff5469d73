/**
 * A DeepSeek MoE (DeepSeek-MoE v1, deepseek-ai/deepseek-moe-16b-base's remote code) built from
 * Llama/Mistral models (mergekit/moe/deepseek.py): every tensor of the base in mergekit's Llama
 * order, each layer's MLP replaced by
 *
 *   model.layers.N.mlp.experts.e.{up,gate,down}_proj     from expert e
 *   model.layers.N.mlp.shared_experts.{up,gate,down}_proj from the shared expert, if there is one
 *
 * and then every layer's router, model.layers.N.mlp.gate.weight [experts, hidden]. The shared
 * expert has no router: DeepSeek adds its output to every token's, ungated, so it takes no
 * prompts. Loading the model needs transformers' trust_remote_code (config.json's auto_map
 * names the DeepSeek code on the Hub).
 */
import { ArchitectureError, type ModelInfo } from '../../plan/architecture.ts';
import type { MoeConfig } from '../moe-config.ts';
import {
  baseDims,
  finishConfig,
  L,
  LLAMA_LAYER,
  layoutOf,
  baseClassDefaults,
  modelTypeProblem,
  outputDtype,
  positiveInt,
  refuseBiases,
  TensorList,
  type Json,
  type Models,
} from './common.ts';
import type { MoeLayout, OutputArchitecture } from './types.ts';

const AUTO_MAP = {
  AutoConfig: 'deepseek-ai/deepseek-moe-16b-base--configuration_deepseek.DeepseekConfig',
  AutoModel: 'deepseek-ai/deepseek-moe-16b-base--modeling_deepseek.DeepseekModel',
  AutoModelForCausalLM: 'deepseek-ai/deepseek-moe-16b-base--modeling_deepseek.DeepseekForCausalLM',
};

export const deepseek: OutputArchitecture = {
  name: 'DeepSeek MoE',
  configProblem: (config) => {
    const shared = config.shared_experts ?? [];
    if (shared.length > 1) return { path: ['shared_experts'], message: 'takes at most one shared expert' };
    const s = shared[0];
    if (s && ((s.positive_prompts?.length ?? 0) > 0 || (s.negative_prompts?.length ?? 0) > 0))
      return { path: ['shared_experts', 0], message: 'does not gate its shared expert: it takes no prompts' }; // prettier-ignore
    return undefined;
  },
  modelProblem: (config, models) => modelTypeProblem(config, models, ['llama', 'mistral']),
  layout: deepseekLayout,
};

function deepseekLayout(config: MoeConfig, models: Models): MoeLayout {
  const base = models.get(config.base_model)!;
  refuseBiases('DeepSeek MoE', base, /\.(self_attn|mlp)\.\w+\.bias$/, ['attention_bias', 'mlp_bias']);
  const mlpModels = [...config.experts, ...(config.shared_experts ?? [])].map((e) =>
    models.get(e.source_model)!,
  );
  for (const m of mlpModels) refuseBiases('DeepSeek MoE', m, /\.mlp\.\w+\.bias$/, ['mlp_bias']);
  const dims = baseDims(config, models);
  checkRemoteAttention(base, dims.hidden);
  const dtype = outputDtype(config, base);
  const list = new TensorList('DeepSeek MoE', base, dims, dtype);
  const shared = config.shared_experts?.[0];
  list.copy(base, 'model.embed_tokens.weight', 'model.embed_tokens.weight');
  for (let l = 0; l < dims.numLayers; l++) {
    for (const s of LLAMA_LAYER) {
      const name = L(l, s);
      if (!s.startsWith('mlp.')) {
        list.copy(base, name, name, { layer: l });
        continue;
      }
      for (const [index, e] of config.experts.entries()) {
        const out = name.replace('.mlp.', `.mlp.experts.${index}.`);
        list.copy(models.get(e.source_model)!, name, out, { layer: l, expert: { list: 'experts', index }, mlp: true }); // prettier-ignore
      }
      if (shared) {
        const out = name.replace('.mlp.', '.mlp.shared_experts.');
        list.copy(models.get(shared.source_model)!, name, out, { layer: l, expert: { list: 'shared_experts', index: 0 }, mlp: true }); // prettier-ignore
      }
    }
  }
  list.copy(base, 'model.norm.weight', 'model.norm.weight');
  list.copyIfPresent('lm_head.weight');
  const numExperts = config.experts.length;
  for (let l = 0; l < dims.numLayers; l++) list.router(L(l, 'mlp.gate.weight'), l, 0, numExperts);
  const counts = { experts: numExperts, shared: shared ? 1 : 0 };
  return layoutOf('DeepSeek MoE', list, dims, counts, deepseekConfig(config, base.config, list.dtype));
}

/**
 * What DeepSeek-MoE's remote code (modeling_deepseek.py, DeepseekAttention) cannot load: a
 * head_dim other than hidden_size / num_attention_heads (it ignores head_dim), and RoPE scaling
 * other than linear or dynamic (it reads rope_scaling["type"] and raises on anything else).
 */
function checkRemoteAttention(base: ModelInfo, hidden: number): void {
  const heads = positiveInt(base.config, 'num_attention_heads', base.id);
  const q = base.tensors.get(L(0, 'self_attn.q_proj.weight'));
  if (hidden % heads !== 0 || (q && q.shape[0] !== hidden))
    throw new ArchitectureError(`${base.id}: q_proj has ${String(q?.shape[0])} rows, but a DeepSeek MoE model's attention (its remote code) has head_dim = hidden_size / num_attention_heads (${hidden} rows for ${heads} heads): choose another architecture`); // prettier-ignore
  const scaling = (base.config['rope_scaling'] ?? baseClassDefaults(base.config)['rope_scaling']) as Json | null | undefined; // prettier-ignore
  const type = scaling ? (scaling['type'] ?? scaling['rope_type']) : undefined;
  if (scaling && type !== 'linear' && type !== 'dynamic')
    throw new ArchitectureError(`${base.id} has rope_scaling of type ${JSON.stringify(type)}, which a DeepSeek MoE model's remote code cannot load (it knows linear and dynamic): choose another architecture`); // prettier-ignore
}

/** mergekit's DeepseekMoE._generate_config: the base's config with DeepSeek's MoE keys. */
function deepseekConfig(config: MoeConfig, base: Json, dtype: TensorList['dtype']): Json {
  const out: Record<string, unknown> = { ...baseClassDefaults(base), ...structuredClone(base) };
  const shared = config.shared_experts?.length ?? 0;
  out['architectures'] = ['DeepseekForCausalLM'];
  out['model_type'] = 'deepseek';
  out['n_routed_experts'] = config.experts.length;
  out['n_shared_experts'] = shared > 0 ? shared : null;
  out['num_experts_per_tok'] = config.experts_per_token;
  out['first_k_dense_replace'] = 0;
  out['moe_layer_freq'] = 1;
  out['scoring_func'] = 'softmax';
  out['norm_topk_prob'] = true;
  out['moe_intermediate_size'] = out['intermediate_size'];
  out['auto_map'] = AUTO_MAP;
  // The remote code reads rope_scaling["type"]; newer configs name it rope_type only.
  const scaling = out['rope_scaling'] as Json | null | undefined;
  if (scaling && scaling['type'] === undefined)
    out['rope_scaling'] = { ...scaling, type: scaling['rope_type'] };
  return finishConfig(out, dtype);
}
