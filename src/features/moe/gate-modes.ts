/**
 * mergekit-moe's gate modes in one line each, for the gate-mode select (docs/moe.md, "Gate
 * modes", says more). Data, so the select and its hint cannot disagree.
 */
import type { GateMode } from '../../../workers/moe/moe-config.ts';

export interface GateModeInfo {
  readonly mode: GateMode;
  /** Short, for the option. */
  readonly label: string;
  /** One line: what the routers are made from, and what it costs. */
  readonly explain: string;
}

export const GATE_MODE_INFO: readonly GateModeInfo[] = [
  {
    mode: 'hidden',
    label: 'hidden: the base model’s hidden states (best)',
    explain:
      'Runs the base model on each expert’s prompts and routes by its hidden states, layer by layer: mergekit’s default and the best routing; the base is held in memory while the routers are made.',
  },
  {
    mode: 'cheap_embed',
    label: 'cheap_embed: the prompts’ token embeddings (fast)',
    explain:
      'Sums the token embeddings of each expert’s prompts: the same routers in every layer, made from the tokenizer and the embedding matrix alone.',
  },
  {
    mode: 'random',
    label: 'random: random routers, to be trained',
    explain:
      'Standard normal routers for a MoE you will train: needs no prompts, and routes nothing useful before training.',
  },
  {
    mode: 'uniform_random',
    label: 'uniform_random: nn.Linear’s initialisation, to be trained',
    explain:
      'Uniform routers in ±1/√hidden, as a freshly initialised torch layer, for a MoE you will train (mergekit still asks for prompts).',
  },
];
