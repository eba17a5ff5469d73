/**
 * A Mixtral MoE built from Llama/Mistral models (mergekit/moe/mixtral.py):
 *
 *   from the base    embeddings, each layer's attention and both norms, the final norm, lm_head
 *   from expert e    model.layers.N.mlp.{gate,down,up}_proj -> model.layers.N.block_sparse_moe
 *                    .experts.e.{w1,w2,w3} (w2 = down_proj is the one residual_scale scales)
 *   computed         model.layers.N.block_sparse_moe.gate.weight, the router, [experts, hidden]
 *
 * in mergekit's order (base tensors, then each layer's experts, then the routers). Tensor names
 * are the Mixtral checkpoint layout that transformers reads (mergekit's transformers-v5 branch
 * writes fused `mlp.experts.gate_up_proj` tensors instead, which transformers v5 converts the
 * classic layout to on load). Anything Mixtral cannot hold (biases, a non-Llama input, experts of
 * another shape, shared experts) is refused by name rather than dropped on the way.
 */
import type { MoeConfig } from '../moe-config.ts';
import {
  baseClassDefaults,
  finishConfig,
  L,
  layoutOf,
  LLAMA_LAYER,
  modelTypeProblem,
  withDefaults,
  type Json,
  type Models,
  type TensorList,
} from './common.ts';
import { stackedTensors } from './stacked.ts';
import type { MoeLayout, OutputArchitecture } from './types.ts';

const ATTENTION = LLAMA_LAYER.filter((s) => !s.startsWith('mlp.'));
/** Source MLP projection -> Mixtral expert weight (mixtral.py). */
const EXPERT_WEIGHTS = [
  ['gate_proj', 'w1'],
  ['down_proj', 'w2'],
  ['up_proj', 'w3'],
] as const;
/** MixtralConfig's keys that a Llama config lacks, with transformers' defaults. */
const MIXTRAL_DEFAULTS = {
  output_router_logits: false,
  router_aux_loss_coef: 0.001,
  router_jitter_noise: 0.0,
};

export const mixtral: OutputArchitecture = {
  name: 'Mixtral',
  configProblem: (config) =>
    config.shared_experts && config.shared_experts.length > 0
      ? { path: ['shared_experts'], message: 'has no shared experts' }
      : undefined,
  modelProblem: (config, models) => modelTypeProblem(config, models, ['llama', 'mistral'], false),
  layout: mixtralLayout,
};

function mixtralLayout(config: MoeConfig, models: Models): MoeLayout {
  const { list, dims } = stackedTensors('Mixtral', config, models, {
    attention: ATTENTION,
    experts: EXPERT_WEIGHTS.map(([from, to]) => [from, (l, e) => L(l, `block_sparse_moe.experts.${e}.${to}.weight`)]), // prettier-ignore
    router: (l) => L(l, 'block_sparse_moe.gate.weight'),
  });
  const counts = { experts: config.experts.length, shared: 0 };
  const base = models.get(config.base_model)!.config;
  return layoutOf('Mixtral', list, dims, counts, mixtralConfig(config, base, list.dtype));
}

/** mergekit's _generate_config: the base's config as a MixtralConfig. */
function mixtralConfig(config: MoeConfig, base: Json, dtype: TensorList['dtype']): Json {
  const out = withDefaults({ ...baseClassDefaults(base), ...structuredClone(base) }, MIXTRAL_DEFAULTS);
  out['architectures'] = ['MixtralForCausalLM'];
  out['model_type'] = 'mixtral';
  out['num_local_experts'] = config.experts.length;
  out['num_experts_per_tok'] = config.experts_per_token;
  out['sliding_window'] = null;
  return finishConfig(out, dtype);
}
