/**
 * The router rows for a MoE config, reading from the base model only what the gate mode needs:
 * nothing (random modes), its tokenizer and embedding matrix (cheap_embed), or its tokenizer and
 * all its weights, to run it (hidden: the only step that holds a whole model in memory, as
 * float32, as mergekit holds it on its device).
 */
import { ModelTensorReader, type ReaderStats } from '../engine/tensor-reader.ts';
import { decodeToF32 } from '../io/dtypes.ts';
import type { LoadedModel } from '../io/load-model.ts';
import { ArchitectureError } from '../plan/architecture.ts';
import { readModelWeights } from '../eval/model/weights.ts';
import { cheapEmbedGates, randomGates, type PromptIds } from './gates.ts';
import { hiddenGates } from './hidden-gates.ts';
import type { MoeConfig, MoeExpert } from './moe-config.ts';
import { loadPromptTokenizer, tokenizePrompts } from './prompt-tokens.ts';

export interface GateJob {
  readonly config: MoeConfig;
  readonly base: LoadedModel;
  readonly numLayers: number;
  readonly hidden: number;
  readonly seed: number;
  readonly stats: ReaderStats;
  readonly signal?: AbortSignal;
}

const EMBED = 'model.embed_tokens.weight';

/**
 * The experts that get router rows, in row order (mergekit's need_gates): every routed expert,
 * then the shared experts when they have prompts or the gates are random (Qwen MoE's shared
 * expert gate is the row after the routed experts'; DeepSeek MoE's random shared rows are made
 * and not written, as mergekit makes them).
 */
export function gatedExperts(config: MoeConfig): MoeExpert[] {
  const shared = config.shared_experts ?? [];
  const random = config.gate_mode === 'random' || config.gate_mode === 'uniform_random';
  const prompted = shared.some((e) => (e.positive_prompts?.length ?? 0) > 0);
  return [...config.experts, ...(prompted || random ? shared : [])];
}

/** Per layer, [gatedExperts(config).length, hidden] router rows. */
export async function computeGates(job: GateJob): Promise<Float32Array[]> {
  const { config, base, numLayers, hidden } = job;
  const mode = config.gate_mode;
  const gated = gatedExperts(config);
  if (mode === 'random' || mode === 'uniform_random')
    return randomGates(mode, numLayers, gated.length, hidden, job.seed);
  const tokenizer = await loadPromptTokenizer(base.source, job.signal);
  const prompts: PromptIds[] = gated.map((e) => ({
    positive: tokenizePrompts(tokenizer, e.positive_prompts ?? []),
    negative: tokenizePrompts(tokenizer, e.negative_prompts ?? []),
  }));
  if (mode === 'hidden') return hiddenGates(await readModelWeights(base, job.signal), prompts);
  const meta = base.tensors.get(EMBED);
  if (!meta) throw new ArchitectureError(`${base.id} has no ${EMBED} for the cheap_embed gates`);
  const vocab = meta.shape[0]!;
  const outside = prompts.flatMap((p) => [...p.positive, ...p.negative]).flatMap((ids) => [...ids]).find((id) => id >= vocab); // prettier-ignore
  if (outside !== undefined)
    throw new ArchitectureError(
      `${base.id}'s tokenizer gives token id ${outside}, past its ${vocab} embedding rows`,
    );
  const reader = new ModelTensorReader(base, [EMBED], job.stats, Number.MAX_SAFE_INTEGER);
  const embed = decodeToF32(await reader.next(EMBED, job.signal), meta.dtype);
  return cheapEmbedGates(embed, hidden, prompts, numLayers);
}
