import { describe, expect, it } from 'vitest';
import { moduleScaling, parseAdapterConfig } from './adapter-config.ts';
import { LoraAdapterError } from './lora-errors.ts';

const parse = (extra: Record<string, unknown>) =>
  parseAdapterConfig({ peft_type: 'LORA', r: 8, lora_alpha: 16, ...extra }, 'cfg');

describe('parseAdapterConfig', () => {
  it('scaling: alpha / r, rsLoRA alpha / sqrt(r), patterns by module name (first match), float32', () => {
    expect(moduleScaling(parse({}), 'model.layers.0.self_attn.q_proj')).toEqual({ r: 8, scaling: 2 });
    expect(moduleScaling(parse({ use_rslora: true }), 'x.q_proj').scaling).toBe(
      Math.fround(16 / Math.sqrt(8)),
    );
    const c = parse({
      rank_pattern: { 'layers.0.self_attn.q_proj': 4 },
      alpha_pattern: { v_proj: 2, 'layers.1.self_attn.v_proj': 64 },
    });
    expect(moduleScaling(c, 'model.layers.0.self_attn.q_proj')).toEqual({ r: 4, scaling: 4 });
    expect(moduleScaling(c, 'model.layers.10.self_attn.q_proj')).toEqual({ r: 8, scaling: 2 });
    // A pattern matches whole dotted names from the end: 'v_proj' matches every v_proj, and first.
    expect(moduleScaling(c, 'model.layers.1.self_attn.v_proj')).toEqual({ r: 8, scaling: 0.25 });
    expect(moduleScaling(c, 'model.layers.1.self_attn.xv_proj')).toEqual({ r: 8, scaling: 2 });
  });

  it('target_modules: names (whole dotted parts), a regular expression, all-linear; exclude_modules', () => {
    expect(parse({ target_modules: ['q_proj'] }).targets('model.layers.0.self_attn.q_proj')).toBe(true);
    expect(parse({ target_modules: ['q_proj'] }).targets('model.layers.0.self_attn.xq_proj')).toBe(false);
    const re = parse({ target_modules: '.*\\.(q|v)_proj' });
    expect(re.targets('model.layers.0.self_attn.v_proj')).toBe(true);
    expect(re.targets('model.layers.0.mlp.up_proj')).toBe(false);
    expect(parse({ target_modules: 'all-linear' }).targets('anything')).toBeUndefined();
    const ex = parse({ target_modules: ['q_proj'], exclude_modules: ['layers.0.self_attn.q_proj'] });
    expect(ex.targets('model.layers.0.self_attn.q_proj')).toBe(false);
    expect(ex.targets('model.layers.1.self_attn.q_proj')).toBe(true);
  });

  it('refuses regular expressions a backtracking matcher may take exponential time on; accepts the usual ones', () => {
    // `(a+)+` against 'aaa...a!' takes seconds at 27 characters and doubles with each one more.
    for (const [field, value] of [
      ['target_modules', '(a+)+'],
      ['target_modules', '.*\\.(q|q)*_proj'],
      ['exclude_modules', '(\\w+\\.)*vision'],
      ['target_modules', '((a)?b?)+c'],
      ['rank_pattern', { '(?:x|xy){2,}': 4 }],
      ['alpha_pattern', { '(a*)*': 4 }],
    ] as const) {
      expect(() => parse({ [field]: value }), `${field} ${JSON.stringify(value)}`).toThrow(
        /could take exponential time/,
      );
    }
    for (const target of [
      '.*\\.(q_proj|k_proj|v_proj|o_proj)',
      '^(?!.*vision).*(q_proj|v_proj)$',
      'model\\.layers\\.\\d+\\.(self_attn|mlp)\\.(q|k|v|gate)_proj',
      '(?:ab)+_proj',
      '[(+]+x(?:y)?',
      '(.*\\.)?(q|v)_proj',
    ]) {
      expect(() => parse({ target_modules: target }), target).not.toThrow();
    }
    expect(() => parse({ rank_pattern: { 'layers.0.self_attn.q_proj': 4 } })).not.toThrow();
  });

  it('refuses patterns with so many repetitions that a long name takes minutes to match', () => {
    // `.*.*.*.*x` took 13.6 s against a 500-character name in Node 20, `.*.*.*x` 110 ms.
    for (const [field, value] of [
      ['target_modules', '.*.*.*.*x'],
      ['exclude_modules', '.*a.*a.*a.*b'],
      ['target_modules', 'a+b*c{2,}\\d+'],
      // rank and alpha keys are wrapped in PEFT's `(.*\.)?(key)$`, whose `.*` counts.
      ['rank_pattern', { '.*a.*b.*c': 4 }],
      ['alpha_pattern', { 'x+y+z+': 4 }],
    ] as const) {
      expect(() => parse({ [field]: value }), `${field} ${JSON.stringify(value)}`).toThrow(
        /more than \d repetitions \(\*, \+, \{n,\}\), which could take minutes/,
      );
    }
    // Bounded counts, marks and escapes are not repetitions.
    for (const target of [
      '^(?!.*vision).*layers\\.\\d+\\.(q|k)_proj',
      'a{2}b{1,3}c*?d+e',
      '\\*\\+[*+]+x.*',
    ]) {
      expect(() => parse({ target_modules: target }), target).not.toThrow();
    }
    expect(() => parse({ rank_pattern: { '.*a.*b': 4 } })).not.toThrow();
  });

  it('stops matching once an adapter has spent its time budget, with what to change', () => {
    const c = parse({ target_modules: '.*.*.*x' });
    const long = `model.${'a'.repeat(490)}`;
    let thrown: unknown;
    try {
      for (let i = 0; i < 1000; i++) c.targets(`${long}${i}`);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(LoraAdapterError);
    expect((thrown as Error).message).toMatch(
      /^cfg: matching target_modules against the adapter's module names took over 2 s; write the module names as a list/,
    );
  });

  it('refuses what is not a plain LoRA, and malformed values', () => {
    for (const [extra, message] of [
      [{ peft_type: 'LOHA' }, /only LoRA adapters/],
      [{ use_dora: true }, /DoRA/],
      [{ lora_bias: 'yes' }, /lora_bias must be true or false/],
      [{ target_parameters: ['experts.gate_up_proj'] }, /bare parameters/],
      [{ trainable_token_indices: [5, 6] }, /embedding rows/],
      [{ alora_invocation_tokens: [1, 2] }, /cannot be merged/],
      [{ init_lora_weights: 'olora' }, /changes the base weights/],
      [{ bias: 'lora_only' }, /bias "lora_only"/],
      [{ r: 0 }, /r must be a positive whole number/],
      [{ lora_alpha: 'x' }, /lora_alpha must be a number/],
      [{ use_rslora: 'yes' }, /use_rslora must be true or false/],
      [{ rank_pattern: { q_proj: -1 } }, /must be a positive number/],
    ] as const) {
      expect(() => parse(extra), JSON.stringify(extra)).toThrow(LoraAdapterError);
      expect(() => parse(extra)).toThrow(message);
    }
    // Empty or false values of those options are what PEFT writes by default: accepted.
    expect(() =>
      parse({
        use_dora: false,
        layer_replication: null,
        loftq_config: {},
        trainable_token_indices: null,
        init_lora_weights: 'gaussian',
      }),
    ).not.toThrow();
  });
});
