/**
 * The angle between two models, layer by layer, for one kind of tensor (every layer's q_proj,
 * say): where fine-tuning turned a model most, and where SLERP and LERP will differ most.
 * Reads one tensor per model at a time, so memory stays at two tensors whatever the depth.
 */
import type { LoadedModel } from '../../../workers/io/load-model.ts';
import {
  ArchitectureError,
  inferArchitecture,
  layerTensorName,
  type ArchInfo,
  type ModelInfo,
} from '../../../workers/plan/architecture.ts';
import { angleOf } from './sphere-geometry.ts';
import { readWholeTensor } from './tensor-region.ts';

export interface LayerAngle {
  readonly layer: number;
  readonly tensor: string;
  readonly degrees: number;
  readonly fallsBackToLerp: boolean;
}

/** The layer index and the name after the layer prefix ("self_attn.q_proj.weight"), if a layer tensor. */
/** The model's layer layout, or undefined for models the engine cannot merge (their error shows elsewhere). */
function archOf(model: ModelInfo): ArchInfo | undefined {
  try {
    return inferArchitecture(model);
  } catch (e) {
    if (e instanceof ArchitectureError) return undefined;
    throw e;
  }
}

export function layerOf(model: ModelInfo, name: string): { layer: number; suffix: string } | undefined {
  const layerPrefix = archOf(model)?.layerPrefix;
  if (!layerPrefix || !name.startsWith(layerPrefix)) return undefined;
  const m = /^(\d+)\.(.+)$/.exec(name.slice(layerPrefix.length));
  return m ? { layer: Number(m[1]), suffix: m[2]! } : undefined;
}

/**
 * The tensor's position for gradients, as the planner gives it in a `models:` recipe (one slice
 * over every layer): layer / (layers - 1) for layer tensors, 0 for embeddings, norm and head.
 */
export function layerPosition(model: ModelInfo, name: string): number {
  const at = layerOf(model, name);
  if (!at) return 0;
  const n = archOf(model)?.numLayers ?? 0;
  return n > 1 ? at.layer / (n - 1) : 1;
}

/** The first layer's tensor kinds ("self_attn.q_proj.weight", ...), for a tensor outside the layers. */
export function layerSuffixes(model: ModelInfo): readonly string[] {
  return archOf(model)?.layerSuffixes[0] ?? [];
}

/** The names of `suffix` in every layer that both models have, with the bytes reading them takes. */
export function layerTensors(
  a: LoadedModel,
  b: LoadedModel,
  suffix: string,
): { readonly names: readonly string[]; readonly bytes: number } {
  const arch = archOf(a);
  const names: string[] = [];
  let bytes = 0;
  if (!arch) return { names, bytes };
  for (let i = 0; i < arch.numLayers; i++) {
    const name = layerTensorName(arch, i, suffix);
    const [ta, tb] = [a.tensors.get(name), b.tensors.get(name)];
    if (!ta || !tb) continue;
    names.push(name);
    bytes += ta.end - ta.begin + (tb.end - tb.begin);
  }
  return { names, bytes };
}

export async function layerAngles(
  a: LoadedModel,
  b: LoadedModel,
  suffix: string,
  signal?: AbortSignal,
): Promise<LayerAngle[]> {
  const out: LayerAngle[] = [];
  for (const name of layerTensors(a, b, suffix).names) {
    const [ra, rb] = await Promise.all([readWholeTensor(a, name, signal), readWholeTensor(b, name, signal)]);
    const angle = angleOf(ra.values, rb.values);
    out.push({ layer: layerOf(a, name)!.layer, tensor: name, ...angle });
  }
  return out;
}
