/**
 * The rules mergekit-moe applies to a config before reading any model: is_bad_config
 * (mergekit/moe/config.py) and the choice of output architecture (scripts/moe.py
 * select_output_arch), as errors on the config's paths so that they carry YAML lines.
 *
 * mergekit's quirks are kept on purpose: `random` gates skip every prompt and same-model check
 * (but `uniform_random` does not), and "all experts have the same prompts" also fires for a
 * single expert.
 */
import type { Report } from '../plan/validate-common.ts';
import type { MoeConfig, MoeExpert } from './moe-config.ts';

/** mergekit's output architectures (their name()), matched by prefix as select_output_arch does. */
export const OUTPUT_ARCHITECTURES = ['Mixtral', 'DeepSeek MoE', 'Qwen MoE', 'Qwen3 MoE'] as const;
/** The ones Merge Studio writes. */
export const SUPPORTED_OUTPUT = ['Mixtral'] as const;

/** mergekit-moe's option for a MoE whose experts are all one model (sparse upcycling). */
export const ALLOW_ALL_SAME_OPTION = 'i-understand-this-is-not-useful-without-training';
export const ALLOW_ALL_SAME_FLAG = `--${ALLOW_ALL_SAME_OPTION}`;

export interface MoeRuleOptions {
  /** The flag above was given. */
  readonly allowAllSame?: boolean;
}

export function checkMoeRules(config: MoeConfig, report: Report, options: MoeRuleOptions = {}): void {
  checkBadConfig(config, report, options.allowAllSame === true);
  checkArchitecture(config, report);
}

function checkBadConfig(config: MoeConfig, report: Report, allowAllSame: boolean): void {
  const k = config.experts_per_token;
  if (k < 1) {
    report(['experts_per_token'], `experts_per_token must be at least 1 (found ${k})`);
    return;
  }
  if (config.experts.length < k) {
    report(
      ['experts'],
      `${config.experts.length} expert(s) for experts_per_token ${k}: list at least as many experts as experts_per_token`,
    );
    return;
  }
  if (config.gate_mode === 'random') return; // mergekit: "eh we're good"
  const missing = config.experts.findIndex((e) => !e.positive_prompts || e.positive_prompts.length === 0);
  if (missing >= 0) {
    report(
      ['experts', missing],
      `expert ${missing} has no positive_prompts: gate_mode ${config.gate_mode} builds each expert's router row from example prompts of what it should get (gate_mode random needs none)`,
    );
    return;
  }
  const [first, ...rest] = config.experts;
  const key = promptKey(first!);
  if (rest.every((e) => promptKey(e) === key)) {
    report(
      ['experts'],
      'the positive and negative prompts are identical for all experts, which will not produce a functioning MoE: ' +
        'give each expert positive_prompts reflecting what should be routed to it',
    );
    return;
  }
  if (!allowAllSame && rest.every((e) => e.source_model === first!.source_model)) {
    report(
      ['experts'],
      `all the expert models are the same (${first!.source_model}): the MoE would use more resources for the exact same output. ` +
        `If you plan to train it after merging, run with ${ALLOW_ALL_SAME_FLAG}`,
    );
  }
}

/**
 * mergekit-moe's warning for an expert count that is not a power of two (the MoE builds and
 * runs, but llama.cpp cannot load it); undefined for a power of two.
 */
export function expertCountWarning(numExperts: number): string | undefined {
  return numExperts > 0 && (numExperts & (numExperts - 1)) !== 0
    ? `the model has ${numExperts} experts, which is not a power of two: it will not be usable in llama.cpp`
    : undefined;
}

/** Both prompt lists as one comparable string (mergekit compares the tuples). */
function promptKey(e: MoeExpert): string {
  return JSON.stringify([e.positive_prompts ?? [], e.negative_prompts ?? []]);
}

/**
 * The requested architecture, as mergekit selects it: by name prefix, Mixtral first. Anything
 * else (DeepSeek and Qwen MoE, with their shared experts) is refused for now. The rules that
 * decide what is written, so a plan (./plan-moe.ts) checks these alone.
 */
export function checkArchitecture(config: MoeConfig, report: Report): void {
  const wanted = config.architecture?.toLowerCase();
  if (wanted !== undefined) {
    const matches = OUTPUT_ARCHITECTURES.filter((a) => a.toLowerCase().startsWith(wanted));
    if (matches.length === 0) {
      report(
        ['architecture'],
        `no output architecture is called ${JSON.stringify(config.architecture)}: mergekit's are ${OUTPUT_ARCHITECTURES.join(', ')} (Merge Studio writes ${SUPPORTED_OUTPUT.join(', ')} only, for now)`,
      );
      return;
    }
    if (!matches.includes('Mixtral')) {
      report(
        ['architecture'],
        `${matches.join(' / ')} output is not supported yet: Merge Studio writes only Mixtral MoE models for now (architecture: mixtral, or leave it out)`,
      );
      return;
    }
  }
  if (config.shared_experts && config.shared_experts.length > 0) {
    report(
      ['shared_experts'],
      'Mixtral has no shared experts, and the architectures that do (DeepSeek MoE, Qwen MoE) are not supported yet: remove shared_experts to build a Mixtral MoE',
    );
  }
}
