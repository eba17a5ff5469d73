import { describe, expect, it } from 'vitest';
import { moduleScaling, parseAdapterConfig } from '../io/lora/adapter-config.ts';
import { adapterCard, adapterConfigJson, markdownText } from './adapter-files.ts';

const ranks = new Map([
  ['model.layers.0.self_attn.q_proj', 16],
  ['model.layers.0.self_attn.k_proj', 8],
  ['lm_head', 16],
]);

describe('adapter_config.json', () => {
  it("mergekit's keys, order and indent; r the largest rank; the others in both patterns", () => {
    const text = adapterConfigJson({ baseModel: 'org/base', ranks, modulesToSave: ['norm'] });
    expect(text).toBe(`{
    "base_model_name_or_path": "org/base",
    "peft_type": "LORA",
    "use_rslora": false,
    "target_modules": [
        "k_proj",
        "lm_head",
        "q_proj"
    ],
    "modules_to_save": [
        "norm"
    ],
    "task_type": "CAUSAL_LM",
    "r": 16,
    "lora_alpha": 16,
    "rank_pattern": {
        "model.layers.0.self_attn.k_proj": 8
    },
    "alpha_pattern": {
        "model.layers.0.self_attn.k_proj": 8
    },
    "lora_dropout": 0.0,
    "fan_in_fan_out": false,
    "inference_mode": true
}`);
  });

  it("Merge Studio's reader accepts it: scaling 1 for every module", () => {
    const config = parseAdapterConfig(
      JSON.parse(adapterConfigJson({ baseModel: 'b', ranks, modulesToSave: [] })),
      'x',
    );
    for (const [module, r] of ranks) expect(moduleScaling(config, module)).toEqual({ r, scaling: 1 });
    expect(config.targets('model.layers.3.mlp.down_proj')).toBe(false);
  });
});

describe('README.md', () => {
  const input = {
    name: 'my-lora',
    model: 'org/ft',
    base: 'org/base@v2',
    hubModels: new Set(['org/ft', 'org/base@v2']),
    invocation: 'merge-studio extract-lora --model org/ft --base org/base@v2 --out my-lora',
    baseVocab: 100,
    modelVocab: 100,
  };

  it('front matter with the Hub repos, links to them, the command in a code block', () => {
    const card = adapterCard(input);
    expect(card.startsWith('---\nbase_model:\n- org/base\n- org/ft\nlibrary_name: peft\ntags:\n- mergekit\n- peft\n---\n# my-lora\n')).toBe(true); // prettier-ignore
    expect(card).toContain(
      'This LoRA adapter was extracted from [org/ft](https://huggingface.co/org/ft) and uses [org/base](https://huggingface.co/org/base) as a base.',
    );
    expect(card).toContain(`\`\`\`sh\n${input.invocation}\n\`\`\``);
    expect(card).not.toContain('WARNING');
  });

  it('local folders are named, not linked; a changed vocabulary gets mergekit’s warning', () => {
    const card = adapterCard({ ...input, hubModels: new Set(), modelVocab: 120 });
    expect(card).toContain('base_model: []');
    expect(card).toContain('extracted from org/ft and uses org/base@v2 as a base.');
    expect(card).toContain(
      "> [!WARNING]\n> The vocabulary size has been extended from the base model's 100 to 120. To load this adapter, you must first call `model.resize_token_embeddings(120)`.",
    );
  });

  it('names from the user cannot make HTML, links, emphasis or new lines; a command cannot close its fence', () => {
    const evil = '<img src=x onerror=alert(1)>](javascript:x)\n# *bold* `code`';
    const card = adapterCard({
      ...input,
      name: evil,
      model: evil,
      hubModels: new Set([evil]),
      invocation: 'merge-studio extract-lora --model "```\n<script>"',
    });
    expect(card).not.toContain('](javascript');
    expect(card).toContain(`# ${markdownText(evil)}\n`);
    expect(markdownText(evil)).toBe(
      '\\<img src=x onerror=alert\\(1\\)\\>\\]\\(javascript:x\\) # \\*bold\\* \\`code\\`',
    );
    expect(card).toContain('````sh\nmerge-studio extract-lora --model "```\n<script>"\n````\n');
    expect(card).not.toContain('huggingface.co/<');
  });
});
