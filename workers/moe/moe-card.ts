/**
 * The README.md of a built MoE (mergekit-moe writes none; this follows the merge command's
 * card): front matter with the Hub models as base_model and the moe tags, what the model is
 * made of, and the config. Everything comes from the config as plain text.
 */
import type { OutputArchitectureName } from './arch/types.ts';
import type { MoeConfig } from './moe-config.ts';

const GATE_TEXT: Readonly<Record<MoeConfig['gate_mode'], string>> = {
  hidden: "the base model's hidden states on each expert's prompts",
  cheap_embed: "the token embeddings of each expert's prompts",
  random: 'random normal values (to be trained)',
  uniform_random: "torch.nn.Linear's uniform initialisation (to be trained)",
};

const ARCH_TEXT: Readonly<Record<OutputArchitectureName, { what: string; load: string; shared: string }>> = {
  Mixtral: { what: 'Mixtral', load: '', shared: '' },
  'DeepSeek MoE': {
    what: 'DeepSeek MoE',
    load: " Its code is DeepSeek's own (deepseek-ai/deepseek-moe-16b-base), so load it with `trust_remote_code=True`.",
    shared: 'Every token also goes through this MLP, ungated.',
  },
  'Qwen MoE': {
    what: 'Qwen2-MoE',
    load: '',
    shared: "Every token also goes through this MLP, scaled by a gate built like the experts' routers.",
  },
  'Qwen3 MoE': { what: 'Qwen3-MoE', load: '', shared: '' },
};

const repoOf = (ref: string): string => ref.split('@')[0]!;
/** `base+adapter` (a LoRA merged in) names two repos: each is listed and linked on its own. */
const parts = (m: string): string[] => m.split('+');
const yamlString = (s: string): string => (/^[\w./@-]+$/.test(s) ? s : JSON.stringify(s));

export function moeCard(opts: {
  readonly name: string;
  readonly architecture: OutputArchitectureName;
  readonly config: MoeConfig;
  readonly configYaml: string;
  /** Models that are Hub repositories (linked, and listed as base_model). */
  readonly hubModels: ReadonlySet<string>;
}): string {
  const { config, hubModels } = opts;
  const shared = config.shared_experts ?? [];
  const models = [
    ...new Set([config.base_model, ...[...config.experts, ...shared].map((e) => e.source_model)]),
  ];
  const onHub = (m: string, p: string): boolean => hubModels.has(p) || hubModels.has(m);
  const hub = [
    ...new Set(
      models.flatMap((m) =>
        parts(m)
          .filter((p) => onHub(m, p))
          .map(repoOf),
      ),
    ),
  ];
  const link = (m: string): string =>
    parts(m)
      .map((p) => (onHub(m, p) ? `[${p}](https://huggingface.co/${repoOf(p)})` : p))
      .join('+');
  const front = [
    '---',
    hub.length > 0 ? `base_model:\n${hub.map((m) => `- ${yamlString(m)}`).join('\n')}` : 'base_model: []',
    'library_name: transformers',
    'tags:',
    '- mergekit',
    '- merge',
    '- moe',
    '---',
  ].join('\n');
  const item = (e: MoeConfig['experts'][number], i: number): string =>
    `${i}. ${link(e.source_model)}${e.positive_prompts?.length ? ` (${e.positive_prompts.length} prompt${e.positive_prompts.length > 1 ? 's' : ''})` : ''}`; // prettier-ignore
  const experts = config.experts.map(item).join('\n');
  const sharedText =
    shared.length === 0
      ? ''
      : `\n\n### Shared expert\n\n${ARCH_TEXT[opts.architecture].shared}\n\n${shared.map(item).join('\n')}`;
  return `${front}
# ${opts.name}

This is a ${ARCH_TEXT[opts.architecture].what} mixture-of-experts model built with Merge Studio, following [mergekit](https://github.com/arcee-ai/mergekit)'s \`mergekit-moe\`.${ARCH_TEXT[opts.architecture].load}

## Details

Attention, norms and embeddings come from ${link(config.base_model)}; each layer has ${config.experts.length} experts (the MLPs of the models below), ${config.experts_per_token} of them used per token. The routers were built from ${GATE_TEXT[config.gate_mode]} (gate mode \`${config.gate_mode}\`).

### Experts

${experts}${sharedText}

### Configuration

The following YAML configuration was used to produce this model:

\`\`\`yaml
${opts.configYaml.trimEnd()}
\`\`\`
`;
}
