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
import type { MoeConfig } from './moe-config.ts';
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

export async function computeGates(job: GateJob): Promise<Float32Array[]> {
  const { config, base, numLayers, hidden } = job;
  const mode = config.gate_mode;
  if (mode === 'random' || mode === 'uniform_random')
    return randomGates(mode, numLayers, config.experts.length, hidden, job.seed);
  const tokenizer = await loadPromptTokenizer(base.source, job.signal);
  const prompts: PromptIds[] = config.experts.map((e) => ({
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
