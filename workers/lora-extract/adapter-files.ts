/**
 * The adapter's two text files, as mergekit-extract-lora writes them:
 *
 * adapter_config.json: PEFT's LoraConfig with r = the largest rank any module got and
 * lora_alpha = r, and every module of another rank (an --sv-epsilon cut, or a side shorter
 * than --max-rank) in rank_pattern and alpha_pattern with alpha = its rank, so that PEFT's
 * scaling alpha / r is 1 everywhere and the delta is B A exactly. target_modules are the
 * modules' last names (PEFT matches by suffix), sorted here (mergekit's come from a Python
 * set, in no set order). The keys, their order and the 4-space indent are mergekit's.
 *
 * README.md: mergekit's LoRA model card. Model names and the command line come from the user
 * and from the Hub: names are escaped as Markdown text (no HTML, links or emphasis can come
 * from them), only huggingface.co repos are linked (to URLs built from checked repo names),
 * and the command sits in a code fence longer than any run of backticks in it.
 */

export interface AdapterConfigInput {
  /** The base as given (mergekit writes base_ref.model.path: a `base+adapter`'s base part). */
  readonly baseModel: string;
  /** Module name to its rank, in the order extracted. */
  readonly ranks: ReadonlyMap<string, number>;
  readonly modulesToSave: readonly string[];
  /** Set lora_bias (--lora-bias with bias changes written as lora_B.bias): PEFT applies them. */
  readonly loraBias?: boolean;
}

export function adapterConfigJson(input: AdapterConfigInput): string {
  const ranks = [...input.ranks.values()];
  if (ranks.length === 0) throw new RangeError('an adapter needs at least one LoRA module');
  const r = Math.max(...ranks);
  const others = Object.fromEntries([...input.ranks].filter(([, rank]) => rank !== r));
  const leaves = [...new Set([...input.ranks.keys()].map((m) => m.slice(m.lastIndexOf('.') + 1)))].sort();
  const config = {
    base_model_name_or_path: input.baseModel,
    peft_type: 'LORA',
    use_rslora: false,
    target_modules: leaves,
    modules_to_save: input.modulesToSave,
    task_type: 'CAUSAL_LM',
    r,
    lora_alpha: r,
    rank_pattern: others,
    alpha_pattern: others,
    lora_dropout: 0,
    fan_in_fan_out: false,
    inference_mode: true,
    // --lora-bias: PEFT applies the bias changes (mergekit never sets it: PEFT ignores them).
    ...(input.loraBias && { lora_bias: true }),
  };
  // Python's json.dump writes the float 0.0 as 0.0; JSON.stringify cannot.
  return JSON.stringify(config, null, 4).replace('"lora_dropout": 0,', '"lora_dropout": 0.0,');
}

export interface CardInput {
  /** The title: mergekit uses the output folder's name. */
  readonly name: string;
  /** The fine-tuned model and the base, as given (`org/name`, a path, `base+adapter`). */
  readonly model: string;
  readonly base: string;
  /** Which of the names (or their parts) are repos on huggingface.co. */
  readonly hubModels: ReadonlySet<string>;
  /** The command line, its token already withheld. */
  readonly invocation: string;
  readonly baseVocab: number | undefined;
  readonly modelVocab: number | undefined;
}

/** Markdown text that shows `s` as it is: no emphasis, links, HTML or line breaks come from it. */
export function markdownText(s: string): string {
  return s.replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' ').replace(/[\\`*_{}[\]()<>!|~&]/g, (c) => `\\${c}`);
}

/** A Hub repo name (org/name, optionally @revision): safe in a URL path and a YAML list. */
const REPO = /^[\w.-]+(\/[\w.-]+)?(@[\w./-]+)?$/;

function modelMarkdown(ref: string, hub: ReadonlySet<string>): string {
  return ref
    .split('+')
    .map((part) => {
      const repo = part.split('@')[0]!;
      return (hub.has(part) || hub.has(ref)) && REPO.test(part)
        ? `[${markdownText(repo)}](https://huggingface.co/${repo})`
        : markdownText(part);
    })
    .join(' + ');
}

function hubRepos(refs: readonly string[], hub: ReadonlySet<string>): string[] {
  const out = refs.flatMap((ref) =>
    ref
      .split('+')
      .filter((part) => (hub.has(part) || hub.has(ref)) && REPO.test(part))
      .map((part) => part.split('@')[0]!),
  );
  return [...new Set(out)];
}

/** A fence of backticks longer than any run of them in `text`. */
function fenceFor(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  return '`'.repeat(Math.max(3, longest + 1));
}

export function adapterCard(input: CardInput): string {
  const hub = hubRepos([input.base, input.model], input.hubModels);
  const front = [
    '---',
    hub.length > 0 ? `base_model:\n${hub.map((m) => `- ${m}`).join('\n')}` : 'base_model: []',
    'library_name: peft',
    'tags:',
    '- mergekit',
    '- peft',
    '---',
  ].join('\n');
  let details =
    `This LoRA adapter was extracted from ${modelMarkdown(input.model, input.hubModels)} ` +
    `and uses ${modelMarkdown(input.base, input.hubModels)} as a base.`;
  const { baseVocab, modelVocab } = input;
  if (baseVocab && modelVocab && baseVocab !== modelVocab) {
    const verb = modelVocab > baseVocab ? 'extended' : 'reduced';
    details +=
      `\n\n> [!WARNING]\n> The vocabulary size has been ${verb} from the base model's ${baseVocab} ` +
      `to ${modelVocab}. To load this adapter, you must first call ` +
      `\`model.resize_token_embeddings(${modelVocab})\`.`;
  }
  const fence = fenceFor(input.invocation);
  return `${front}
# ${markdownText(input.name || 'Untitled LoRA Model (1)')}

This is a LoRA extracted from a language model. It was extracted with Merge Studio, which reproduces [mergekit](https://github.com/arcee-ai/mergekit)'s \`mergekit-extract-lora\`.

## LoRA Details

${details}

### Parameters

The following command was used to extract this LoRA adapter:

${fence}sh
${input.invocation}
${fence}
`;
}
