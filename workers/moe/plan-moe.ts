/**
 * What a mergekit-moe build will write, from the models' headers and config.json files alone
 * (no weight is read, no router computed): its tensors, layers and experts, the size and number
 * of its shards, and the warnings known before the build. The studio shows it before Build
 * (src/features/moe/MoePlanPreview.tsx) through the merge worker's `planMoe`.
 *
 * It plans from the config's shape and the rules that decide what is written (the output
 * architecture), not from mergekit's routing rules (prompts, experts_per_token, every expert the
 * same model): those say whether the routers can be made, not what the MoE holds, so the size
 * shows while the prompts are still being written. Routers whose prompts are too similar are
 * found only while they are computed, during the build.
 */
import { planShards } from '../engine/shards.ts';
import type { LoadedModel } from '../io/load-model.ts';
import type { ModelResolver, ModelSource } from '../io/source.ts';
import { formatProblem, RecipeError, type RecipeProblem } from '../plan/problems.ts';
import { openMoeModels } from './build-moe.ts';
import { checkArchitecture, moeLayout } from './arch/select.ts';
import type { OutputArchitectureName } from './arch/types.ts';
import type { MoeConfig } from './moe-config.ts';
import { parseMoeYaml } from './moe-yaml.ts';

export interface MoePlanSummary {
  /** The output architecture the models and config choose. */
  readonly architecture: OutputArchitectureName;
  readonly tensors: number;
  readonly layers: number;
  readonly experts: number;
  /** Shared experts per layer. */
  readonly sharedExperts: number;
  /** The safetensors shards' bytes (headers included); the small side files are not counted. */
  readonly outputBytes: number;
  readonly shards: number;
  readonly warnings: readonly string[];
}

export interface MoePlanOptions {
  /** Largest shard, as the build's (default: the merge's 5 GB). */
  readonly maxShardBytes?: number;
  readonly signal?: AbortSignal;
  /** Opens one model's headers (default: read afresh). */
  readonly load?: (source: ModelSource, signal?: AbortSignal) => Promise<LoadedModel>;
}

/**
 * The config a plan can be made of: the YAML's shape, refused only for what changes the
 * layout (a RecipeError with the YAML's lines), with the config's own warnings.
 */
export function configForPlan(text: string): { config: MoeConfig; warnings: readonly RecipeProblem[] } {
  const parsed = parseMoeYaml(text);
  if (!parsed.shape) throw new RecipeError(parsed.problems);
  const config = parsed.shape;
  const refused: RecipeProblem[] = [];
  checkArchitecture(config, (path, message, severity = 'error') => {
    // The same problem as parseMoeYaml located it, with its line.
    refused.push(parsed.problems.find((p) => p.message === message) ?? { path, message, severity });
  });
  if (refused.some((p) => p.severity === 'error')) throw new RecipeError(refused);
  // (An empty model name is no shape: parseMoeYaml refused it above.)
  if (config.experts.length === 0)
    throw new RecipeError([{ path: ['experts'], message: 'list at least one expert', severity: 'error' }]);
  return { config, warnings: parsed.problems.filter((p) => p.severity === 'warning') };
}

export async function planMoe(
  configText: string,
  resolve: ModelResolver,
  options: MoePlanOptions = {},
): Promise<MoePlanSummary> {
  const { config, warnings } = configForPlan(configText);
  const models = await openMoeModels(config, resolve, options.signal, options.load);
  options.signal?.throwIfAborted();
  const layout = moeLayout(config, models);
  const shards = planShards(layout.tensors, options.maxShardBytes);
  const all = [...warnings.map((w) => formatProblem(w)), ...layout.warnings];
  return {
    architecture: layout.architecture,
    tensors: layout.tensors.length,
    layers: layout.numLayers,
    experts: layout.numExperts,
    sharedExperts: layout.numShared,
    outputBytes: shards.reduce((s, sh) => s + sh.layout.totalSize, 0),
    shards: shards.length,
    warnings: [...new Set(all)],
  };
}
