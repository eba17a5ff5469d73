/**
 * What an output architecture of mergekit-moe (Mixtral, DeepSeek MoE, Qwen MoE, Qwen3 MoE)
 * decides before any weight is read: whether it can hold a config and its models, and the
 * tensors it writes, each with where its values come from, in mergekit's order.
 */
import type { DType } from '../../io/dtypes.ts';
import type { ModelInfo } from '../../plan/architecture.ts';
import type { YamlPath } from '../../plan/problems.ts';
import type { ShardTensor } from '../../engine/shards.ts';
import type { MoeConfig } from '../moe-config.ts';

/** mergekit's output architectures, by their name(), in its order of preference. */
export const OUTPUT_ARCHITECTURES = ['Mixtral', 'DeepSeek MoE', 'Qwen MoE', 'Qwen3 MoE'] as const;
export type OutputArchitectureName = (typeof OUTPUT_ARCHITECTURES)[number];

/** An expert of the config: `experts[index]` or `shared_experts[index]`. */
export interface ExpertRef {
  readonly list: 'experts' | 'shared_experts';
  readonly index: number;
}

/** Where an output tensor's values come from. */
export type MoeTensorSource =
  | {
      readonly kind: 'copy';
      readonly model: string;
      readonly tensor: string;
      readonly dtype: DType;
      /** The expert whose MLP this is (noise_scale, residual_scale). */
      readonly expert?: ExpertRef;
      /** down_proj: the expert's output into the residual stream (residual_scale applies). */
      readonly residual?: boolean;
    }
  /** Rows `first .. first + count` of the layer's computed router rows (./compute-gates.ts). */
  | { readonly kind: 'router'; readonly layer: number; readonly first: number; readonly count: number }
  /** All zeros (Qwen MoE's attention biases for inputs that have none). */
  | { readonly kind: 'zeros' };

export interface MoeTensor extends ShardTensor {
  readonly source: MoeTensorSource;
  readonly layer?: number;
}

export interface MoeLayout {
  readonly architecture: OutputArchitectureName;
  readonly tensors: readonly MoeTensor[];
  /** The output config.json. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly numLayers: number;
  readonly hidden: number;
  /** Routed experts per layer. */
  readonly numExperts: number;
  /** Shared experts per layer (DeepSeek MoE: 0 or 1, Qwen MoE: 1). */
  readonly numShared: number;
  readonly warnings: readonly string[];
}

/** Why an architecture cannot hold a config, with the config's path the reason is about. */
export interface ArchitectureProblem {
  readonly path: YamlPath;
  /** A phrase that follows the architecture's name ("has no shared experts"). */
  readonly message: string;
}

export interface OutputArchitecture {
  readonly name: OutputArchitectureName;
  /** What it cannot hold that the config alone tells (shared experts); undefined: nothing. */
  configProblem(config: MoeConfig): ArchitectureProblem | undefined;
  /** What it cannot hold that the models' config.json files tell (their model_type), as a phrase. */
  modelProblem(config: MoeConfig, models: ReadonlyMap<string, ModelInfo>): string | undefined;
  /** The tensors and config.json; throws an ArchitectureError for what it cannot write. */
  layout(config: MoeConfig, models: ReadonlyMap<string, ModelInfo>): MoeLayout;
}
