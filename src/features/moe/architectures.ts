/**
 * mergekit-moe's output architectures in a line each, for the "Output architecture" select, its
 * hint and the plan and result sentences (docs/moe.md, "Output architectures", says more).
 * Data, so the select and what it says cannot disagree. The names the engine gives
 * (workers/moe/arch/types.ts) are mergekit's; the labels are the transformers model names users
 * know (Qwen MoE is Qwen2-MoE, model_type qwen2_moe).
 */
import type { ARCHITECTURE_KEYS } from '../../../workers/moe/arch/select.ts';
import type { OutputArchitectureName } from '../../../workers/moe/arch/types.ts';
import { namedArchitectures } from '../../stores/moe-edits.ts';

export type ArchitectureKey = (typeof ARCHITECTURE_KEYS)[number];

export interface ArchitectureInfo {
  /** What `architecture:` says. */
  readonly key: ArchitectureKey;
  /** The engine's name (plan and build results). */
  readonly name: OutputArchitectureName;
  /** For the option. */
  readonly label: string;
  /** In a sentence: "Builds a …". */
  readonly noun: string;
  /** One line: the inputs and shared experts it takes, and what loading it needs. */
  readonly needs: string;
}

export const ARCHITECTURE_INFO: readonly ArchitectureInfo[] = [
  {
    key: 'mixtral',
    name: 'Mixtral',
    label: 'Mixtral',
    noun: 'Mixtral MoE',
    needs: 'Llama or Mistral models; no shared experts.',
  },
  {
    key: 'deepseek',
    name: 'DeepSeek MoE',
    label: 'DeepSeek MoE',
    noun: 'DeepSeek MoE',
    needs:
      'Llama or Mistral models; at most one shared expert, without prompts (every token goes through it). Loading it needs trust_remote_code.',
  },
  {
    key: 'qwen',
    name: 'Qwen MoE',
    label: 'Qwen2-MoE',
    noun: 'Qwen2-MoE',
    needs:
      'Llama, Mistral or Qwen2 models; exactly one shared expert, with positive prompts (its gate is made from them) unless gates are random. (qwen also names Qwen3-MoE: Qwen3 models, no shared expert.)',
  },
  {
    key: 'qwen3',
    name: 'Qwen3 MoE',
    label: 'Qwen3-MoE',
    noun: 'Qwen3-MoE',
    needs: 'Qwen3 models only; no shared experts.',
  },
];

/** The hint when `architecture` is left out: mergekit chooses. */
export const CHOSEN_FROM_MODELS =
  'Mixtral when the models and config allow it (Llama or Mistral models, no shared experts), else the first that does: DeepSeek MoE, Qwen2-MoE, Qwen3-MoE.';

/** Why a DeepSeek MoE loads only with remote code (its config.json's auto_map). */
export const REMOTE_CODE =
  'transformers loads it with trust_remote_code=True: its config.json names DeepSeek’s model code on the Hub (auto_map).';

/** How the plan and result name what is built ("DeepSeek MoE", "Mixtral MoE"). */
export function architectureNoun(name: OutputArchitectureName): string {
  return ARCHITECTURE_INFO.find((a) => a.name === name)?.noun ?? name;
}

/** What the select's hint says for `architecture` as the config has it (any text mergekit reads). */
export function architectureHint(architecture: string | undefined): string {
  if (architecture === undefined) return CHOSEN_FROM_MODELS;
  const known = ARCHITECTURE_INFO.find((a) => a.key === architecture);
  if (known) return known.needs;
  const named = namedArchitectures(architecture).map(architectureNoun);
  return named.length === 0
    ? 'No output architecture has a name that starts so: mergekit’s are mixtral, deepseek, qwen and qwen3.'
    : `mergekit matches the start of the name: this names ${named.join(', ')}.`;
}
