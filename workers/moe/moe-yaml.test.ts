import { describe, expect, it } from 'vitest';
import { formatProblem, RecipeError } from '../plan/problems.ts';
import { loadMoeConfig, moeConfigToYaml, parseMoeYaml } from './moe-yaml.ts';

const GOOD = `base_model: tinymix-base
gate_mode: cheap_embed
dtype: bfloat16
experts:
  - source_model: tinymix-code
    positive_prompts:
      - "def f(x):"
  - source_model: tinymix-math
    positive_prompts: ["12+30="]
    negative_prompts: ["def"]
    noise_scale: 0.01
    residual_scale: "0.5"
`;

/** The errors of a config, as `line: path: message`. */
function errors(text: string, allowAllSame = false): string[] {
  return parseMoeYaml(text, { allowAllSame })
    .problems.filter((p) => p.severity === 'error')
    .map((p) => formatProblem(p));
}

describe('mergekit-moe config', () => {
  it('reads a config with mergekit defaults', () => {
    const { config } = loadMoeConfig(GOOD);
    expect(config).toEqual({
      base_model: 'tinymix-base',
      gate_mode: 'cheap_embed',
      dtype: 'bfloat16',
      experts_per_token: 2,
      experts: [
        { source_model: 'tinymix-code', positive_prompts: ['def f(x):'] },
        {
          source_model: 'tinymix-math',
          positive_prompts: ['12+30='],
          negative_prompts: ['def'],
          noise_scale: 0.01,
          residual_scale: 0.5,
        },
      ],
    });
    const minimal = loadMoeConfig(
      'base_model: a\nexperts:\n  - source_model: b\n  - source_model: c\ngate_mode: random\n',
    );
    expect(minimal.config.gate_mode).toBe('random');
    expect(loadMoeConfig(GOOD.replace('cheap_embed', 'hidden_last')).config.gate_mode).toBe('hidden');
    expect(loadMoeConfig(GOOD.replace('gate_mode: cheap_embed\n', '')).config.gate_mode).toBe('hidden');
  });

  it('names unknown keys with their line and a suggestion', () => {
    const text = GOOD.replace('negative_prompts', 'negativ_prompts').replace('gate_mode', 'gate_mdoe');
    expect(errors(text)).toEqual([
      "2:1: gate_mdoe: unknown key 'gate_mdoe' (did you mean 'gate_mode'?); mergekit would ignore it silently",
      "10:5: experts[1].negativ_prompts: unknown key 'negativ_prompts' (did you mean 'negative_prompts'?); mergekit would ignore it silently",
    ]);
    expect(() => loadMoeConfig(text, 'moe.yml')).toThrow(RecipeError);
    expect(() => loadMoeConfig(text, 'moe.yml')).toThrow(/^moe\.yml:2:1: gate_mdoe/);
  });

  it('refuses bad values, each at its line', () => {
    const text = GOOD.replace('cheap_embed', 'cheap_embedding')
      .replace('bfloat16', 'bf16x')
      .replace('"0.5"', 'lots')
      .replace('- "def f(x):"', '- 12');
    expect(errors(text)).toEqual([
      '7:9: experts[0].positive_prompts[0]: a prompt is a string: quote it ("12")',
      '12:5: experts[1].residual_scale: a number, not "lots"',
      '2:1: gate_mode: gate_mode must be one of hidden, cheap_embed, random, uniform_random, not "cheap_embedding" (did you mean cheap_embed?)',
      '3:1: dtype: dtype must be one of float32, float16, bfloat16, not "bf16x"',
    ]);
    expect(errors(GOOD.replace('cheap_embed', 'hidden_avg'))[0]).toMatch(
      /^2:1: gate_mode: gate_mode hidden_avg is not supported/,
    );
    expect(errors(GOOD.replace('bfloat16', 'bf16'))).toEqual([
      '3:1: dtype: dtype must be one of float32, float16, bfloat16, not "bf16" (did you mean bfloat16?)',
    ]);
    expect(loadMoeConfig(GOOD.replace('bfloat16', 'torch.float16')).config.dtype).toBe('float16');
    expect(errors('experts: []\n')).toEqual(['1:1: base_model: Field required: name a model']);
    expect(errors('base_model: a\nexperts: {source_model: b}\n')[0]).toMatch(
      /^2:1: experts: a list of experts/,
    );
  });

  it("applies mergekit's is_bad_config rules", () => {
    // More experts per token than experts.
    expect(errors(GOOD.replace('dtype:', 'experts_per_token: 3\ndtype:'))).toEqual([
      '5:1: experts: 2 expert(s) for experts_per_token 3: list at least as many experts as experts_per_token',
    ]);
    expect(errors(GOOD.replace('dtype:', 'experts_per_token: 0\ndtype:'))[0]).toMatch(
      /experts_per_token must be at least 1/,
    );
    // An expert without prompts, unless the gates are random.
    const noPrompts = GOOD.replace('    positive_prompts:\n      - "def f(x):"\n', '');
    expect(errors(noPrompts)).toEqual([
      "5:5: experts[0]: expert 0 has no positive_prompts: gate_mode cheap_embed builds each expert's router row from example prompts of what it should get (gate_mode random needs none)",
    ]);
    expect(errors(noPrompts.replace('cheap_embed', 'random'))).toEqual([]);
    expect(errors(noPrompts.replace('cheap_embed', 'uniform_random'))).toHaveLength(1);
    // The same prompts for every expert.
    const same = GOOD.replace('["12+30="]', '["def f(x):"]').replace('    negative_prompts: ["def"]\n', '');
    expect(errors(same)[0]).toMatch(
      /^4:1: experts: the positive and negative prompts are identical for all experts/,
    );
    // The same model for every expert: only with the flag.
    const oneModel = GOOD.replace('tinymix-math', 'tinymix-code');
    expect(errors(oneModel)[0]).toMatch(
      /all the expert models are the same \(tinymix-code\).*--i-understand-this-is-not-useful-without-training/,
    );
    expect(errors(oneModel, true)).toEqual([]);
    expect(errors(oneModel.replace('cheap_embed', 'random'))).toEqual([]); // mergekit skips it for random
  });

  it('names an output architecture by prefix; what no named one can hold is refused at its line', () => {
    for (const name of ['mixtral', 'Mix', 'deepseek', 'qwen', 'qwen3', 'QWEN3']) {
      expect(errors(`${GOOD}architecture: ${name}\n`), name).toEqual([]);
    }
    expect(errors(`${GOOD}architecture: llama\n`)).toEqual([
      '13:1: architecture: no output architecture is called "llama": mergekit\'s are Mixtral, DeepSeek MoE, Qwen MoE, Qwen3 MoE (architecture: mixtral, deepseek, qwen, qwen3, or leave it out)',
    ]);
    const shared = (s: string): string => `${GOOD}shared_experts:\n  - source_model: tinymix-law\n${s}`;
    // One shared expert without prompts: DeepSeek MoE holds it (no architecture named).
    expect(errors(shared(''))).toEqual([]);
    expect(errors(`${shared('')}architecture: mixtral\n`)).toEqual([
      '13:1: shared_experts: Mixtral has no shared experts (architecture: mixtral)',
    ]);
    expect(errors(`${shared('')}architecture: qwen3\n`)[0]).toMatch(/Qwen3 MoE has no shared experts/);
    // Qwen MoE gates its shared expert, so it needs prompts (but not with random gates)...
    expect(errors(`${shared('')}architecture: qwen\n`)).toEqual([
      '14:5: shared_experts[0]: no output architecture can hold these shared experts: Qwen MoE gates its shared expert: with gate_mode cheap_embed it needs positive_prompts; Qwen3 MoE has no shared experts',
    ]);
    expect(errors(`${shared('')}architecture: qwen\n`.replace('cheap_embed', 'random'))).toEqual([]);
    // ...which DeepSeek MoE refuses.
    const prompted = shared('    positive_prompts: ["everything"]\n');
    expect(errors(prompted)).toEqual([]);
    expect(errors(`${prompted}architecture: deepseek\n`)).toEqual([
      '14:5: shared_experts[0]: DeepSeek MoE does not gate its shared expert: it takes no prompts (architecture: deepseek)',
    ]);
    const two = `${shared('')}  - source_model: tinymix-code\n`;
    expect(errors(two)[0]).toMatch(
      /^13:1: shared_experts: no output architecture can hold these shared experts: Mixtral has no shared experts; DeepSeek MoE takes at most one shared expert; Qwen MoE needs exactly one shared expert \(found 2\); Qwen3 MoE/,
    );
  });

  it('reports YAML syntax errors and duplicate keys with lines', () => {
    expect(errors(`${GOOD}gate_mode: random\n`)[0]).toMatch(/^13:1: gate_mode: 'gate_mode' is given twice/);
    expect(errors('base_model: [a\n')[0]).toMatch(/YAML syntax/);
  });
});

describe('moeConfigToYaml', () => {
  it('writes a config that reads back as itself, prompts PyYAML would misread quoted', () => {
    const config = {
      base_model: 'tinymix-base',
      gate_mode: 'cheap_embed',
      dtype: 'bfloat16',
      experts_per_token: 2,
      experts: [
        {
          source_model: 'tinymix-code',
          positive_prompts: ['def f(x):', 'yes', '12', 'two\nlines', '  indented', '# not a comment', 'a: b'],
          negative_prompts: ['on'],
          noise_scale: 0.01,
        },
        { source_model: 'org/math@main', positive_prompts: ['37+45=82'], residual_scale: 0.5 },
      ],
    } as const;
    const text = moeConfigToYaml(config);
    expect(text.split('\n').slice(0, 6)).toEqual([
      'base_model: tinymix-base',
      'gate_mode: cheap_embed',
      'dtype: bfloat16',
      'experts_per_token: 2',
      'experts:',
      '  - source_model: tinymix-code',
    ]);
    expect(text).toContain('- "yes"');
    expect(text).toContain('- "12"');
    const parsed = parseMoeYaml(text);
    expect(parsed.problems).toEqual([]);
    expect(parsed.config).toEqual(config);
    expect(parsed.shape).toEqual(config);
  });

  it('gives the shape of a config that only breaks mergekit’s rules, and none for a wrong shape', () => {
    const noPrompts = 'base_model: a\nexperts:\n  - source_model: b\n  - source_model: c\n';
    const parsed = parseMoeYaml(noPrompts);
    expect(parsed.config).toBeUndefined();
    expect(parsed.shape).toEqual({
      base_model: 'a',
      gate_mode: 'hidden',
      experts_per_token: 2,
      experts: [{ source_model: 'b' }, { source_model: 'c' }],
    });
    expect(parseMoeYaml(`${noPrompts}gate_mdoe: random\n`).shape).toBeUndefined();
    // An unfinished form (no model names yet) is written, and its YAML says what is missing.
    const unfinished = moeConfigToYaml({ base_model: '', gate_mode: 'hidden', experts_per_token: 2, experts: [{ source_model: '' }] }); // prettier-ignore
    expect(errors(unfinished)).toEqual([
      '1:1: base_model: a model name is required',
      '5:5: experts[0].source_model: a model name is required',
    ]);
  });
});
