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
import { checkArchitecture } from './arch/select.ts';
import type { MoeConfig, MoeExpert } from './moe-config.ts';

export { expertCountWarning } from './arch/common.ts';

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

/** Both prompt lists as one comparable string (mergekit compares the tuples). */
function promptKey(e: MoeExpert): string {
  return JSON.stringify([e.positive_prompts ?? [], e.negative_prompts ?? []]);
}
