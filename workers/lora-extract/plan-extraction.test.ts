import { describe, expect, it } from 'vitest';
import type { DType } from '../io/dtypes.ts';
import { LoraExtractError } from './errors.ts';
import {
  compilePattern,
  planExtraction,
  type ExtractionPlan,
  type Selection,
  type TensorInfo,
} from './plan-extraction.ts';

const t = (shape: number[], dtype: DType = 'BF16'): TensorInfo => ({ dtype, shape });

/** A two-layer Llama-like model: vocab 100, hidden 16, a biased q_proj, a 3-D conv. */
function model(vocab = 100): Map<string, TensorInfo> {
  const m = new Map<string, TensorInfo>([
    ['lm_head.weight', t([vocab, 16])],
    ['model.embed_tokens.weight', t([vocab, 16])],
    ['model.norm.weight', t([16])],
    ['model.rotary_emb.inv_freq', t([8], 'F32')],
    ['model.conv.weight', t([16, 4, 3])],
  ]);
  for (const l of [0, 1]) {
    m.set(`model.layers.${l}.input_layernorm.weight`, t([16]));
    m.set(`model.layers.${l}.self_attn.q_proj.weight`, t([16, 16]));
    m.set(`model.layers.${l}.self_attn.q_proj.bias`, t([16]));
    m.set(`model.layers.${l}.mlp.down_proj.weight`, t([16, 40]));
  }
  return m;
}

const NONE: Selection = {
  embedLora: false,
  saveModules: [],
  includeRegexes: [],
  excludeRegexes: [],
  skipUndecomposable: false,
};

const kinds = (p: ExtractionPlan): Record<string, string> =>
  Object.fromEntries(p.modules.map((m) => [m.module, m.kind === 'lora' ? (m.embedding ? 'embedding' : 'lora') : m.why])); // prettier-ignore

describe('planExtraction', () => {
  it("mergekit's defaults: Linears decomposed, embeddings and the head whole, norms and the conv whole", () => {
    const p = planExtraction(model(), model(), NONE);
    expect(kinds(p)).toEqual({
      lm_head: 'embedding',
      'model.embed_tokens': 'embedding',
      'model.norm': 'undecomposable',
      'model.conv': 'undecomposable',
      'model.layers.0.input_layernorm': 'undecomposable',
      'model.layers.0.self_attn.q_proj': 'lora',
      'model.layers.0.mlp.down_proj': 'lora',
      'model.layers.1.input_layernorm': 'undecomposable',
      'model.layers.1.self_attn.q_proj': 'lora',
      'model.layers.1.mlp.down_proj': 'lora',
    });
    expect(p.modulesToSave).toEqual(['lm_head', 'embed_tokens', 'norm', 'conv', 'input_layernorm']);
    expect(p.notes).toEqual(['left out (not the weight or bias of a module): model.rotary_emb.inv_freq']);
    const q = p.modules.find((m) => m.module === 'model.layers.0.self_attn.q_proj')!;
    expect(q).toMatchObject({ kind: 'lora', bias: 'model.layers.0.self_attn.q_proj.bias', rows: 16, cols: 16, dtype: 'BF16' }); // prettier-ignore
    const down = p.modules.find((m) => m.module === 'model.layers.0.mlp.down_proj')!;
    expect(down).toMatchObject({ rows: 16, cols: 40, bias: undefined });
  });

  it('--embed-lora: the input embedding transposed, the head a Linear; --skip-undecomposable drops the rest', () => {
    const p = planExtraction(model(), model(), { ...NONE, embedLora: true, skipUndecomposable: true });
    expect(kinds(p)).toMatchObject({ lm_head: 'lora', 'model.embed_tokens': 'embedding' });
    expect(p.modules.filter((m) => m.kind === 'whole')).toEqual([]);
    expect(p.modulesToSave).toEqual([]);
    expect(p.notes.at(-1)).toBe(
      'skipped (not a 2-D weight, --skip-undecomposable): model.norm, model.conv, model.layers.0.input_layernorm, model.layers.1.input_layernorm',
    );
  });

  it('--embed-lora with different vocabularies: embeddings saved whole, with a note', () => {
    const p = planExtraction(
      model(120),
      model(100),
      { ...NONE, embedLora: true },
      { model: 'ft', base: 'b' },
    );
    expect(p.embedLora).toBe(false);
    expect(kinds(p)).toMatchObject({ lm_head: 'embedding', 'model.embed_tokens': 'embedding' });
    expect(p).toMatchObject({ modelVocab: 120, baseVocab: 100 });
    expect(p.notes).toContain(
      'the vocabularies differ (ft has 120 tokens, b 100): embeddings are saved whole (modules_to_save), not as LoRA',
    );
  });

  it('--save-module by last name or full name, whatever the patterns say', () => {
    const p = planExtraction(model(), model(), {
      ...NONE,
      saveModules: ['down_proj', 'model.layers.1.self_attn.q_proj'],
      excludeRegexes: ['down_proj'],
    });
    expect(kinds(p)).toMatchObject({
      'model.layers.0.mlp.down_proj': 'save-module',
      'model.layers.1.mlp.down_proj': 'save-module',
      'model.layers.0.self_attn.q_proj': 'lora',
      'model.layers.1.self_attn.q_proj': 'save-module',
    });
    expect(p.modulesToSave.slice(0, 2)).toEqual(['down_proj', 'model.layers.1.self_attn.q_proj']);
    const whole = p.modules.find((m) => m.module === 'model.layers.1.self_attn.q_proj');
    expect(whole).toMatchObject({ tensors: ['model.layers.1.self_attn.q_proj.weight', 'model.layers.1.self_attn.q_proj.bias'] }); // prettier-ignore
  });

  it('-i and -e (re.search on module names): only included, not excluded modules; excluded embeddings are left out', () => {
    const p = planExtraction(model(), model(), {
      ...NONE,
      includeRegexes: ['layers\\.0\\.'],
      excludeRegexes: ['embed_tokens', 'layernorm'],
    });
    expect(kinds(p)).toEqual({
      lm_head: 'embedding', // not excluded: saved whole, as in mergekit, whatever -i says
      'model.layers.0.self_attn.q_proj': 'lora',
      'model.layers.0.mlp.down_proj': 'lora',
    });
  });

  it('the dtype of model - base follows torch: the same dtype, else float32', () => {
    const ft = model();
    const b = model();
    b.set('model.layers.0.mlp.down_proj.weight', t([16, 40], 'F16'));
    const p = planExtraction(ft, b, NONE);
    expect(p.modules.find((m) => m.module === 'model.layers.0.mlp.down_proj')).toMatchObject({
      dtype: 'F32',
    });
  });

  describe('errors a user can act on', () => {
    it('a shape that differs between the model and the base', () => {
      const b = model();
      b.set('model.layers.1.mlp.down_proj.weight', t([16, 48]));
      expect(() => planExtraction(model(), b, NONE, { model: 'ft', base: 'b' })).toThrow(
        new LoraExtractError(
          "model.layers.1.mlp.down_proj.weight is [16, 40] in ft but [16, 48] in b: a LoRA changes a weight, not its shape (are both the same architecture and size?); exclude it with -e '^model\\.layers\\.1\\.mlp\\.down_proj$' or save it whole with --save-module model.layers.1.mlp.down_proj",
        ),
      );
    });

    it('a tensor the base lacks (a bias too)', () => {
      const b = model();
      b.delete('model.layers.0.self_attn.q_proj.bias');
      expect(() => planExtraction(model(), b, NONE, { model: 'ft', base: 'b' })).toThrow(
        /^b has no tensor model\.layers\.0\.self_attn\.q_proj\.bias, which ft has/,
      );
    });

    it('an unknown --save-module', () => {
      expect(() =>
        planExtraction(model(), model(), { ...NONE, saveModules: ['mlp'] }, { model: 'ft', base: 'b' }),
      ).toThrow(
        'ft has no module named so (give a full name such as lm_head, or one of the last parts lm_head, embed_tokens, norm, conv, input_layernorm, q_proj, down_proj)',
      );
    });

    it('patterns that leave no module to decompose', () => {
      expect(() => planExtraction(model(), model(), { ...NONE, includeRegexes: ['nothing'] })).toThrow(
        /^no module of the model is left to decompose into LoRA factors \(of 10 modules, 2 are saved whole/,
      );
    });

    it('a pattern that is not a regular expression', () => {
      expect(() => planExtraction(model(), model(), { ...NONE, excludeRegexes: ['(unclosed'] })).toThrow(
        /^--exclude-regex '\(unclosed' is not a regular expression/,
      );
    });
  });
});

describe('compilePattern (the patterns a user types, matched against names from a repo)', () => {
  it('compiles ordinary patterns; refuses bad ones and ones that could take minutes on a long name', () => {
    expect('re' in compilePattern('layers\\.[0-3]\\..*q_proj')).toBe(true);
    expect(compilePattern('(q_proj')).toEqual({
      problem: expect.stringMatching(/Unterminated group|unterminated/i),
    });
    expect(compilePattern('.*.*.*.*x')).toEqual({
      problem:
        'it has more than 3 repetitions (*, +, {n,}), which could take minutes to match a long module name; write a simpler pattern',
    });
    expect(compilePattern('(a+)+b')).toEqual({
      problem: expect.stringMatching(/^it repeats a group that itself repeats or has alternatives/),
    });
  });
});
