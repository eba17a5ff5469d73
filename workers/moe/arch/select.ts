/**
 * The output architecture, chosen as mergekit-moe's select_output_arch chooses it: those whose
 * name starts with the config's `architecture` (all of them when it is absent), then those that
 * can hold the config and its models, Mixtral first (for older configs), else the first in
 * mergekit's order. Split in two stages: what the config alone decides is a problem with a YAML
 * line (checkArchitecture, before any model is read); what the models' types decide is an
 * ArchitectureError naming every candidate's reason (selectArchitecture).
 */
import { ArchitectureError } from '../../plan/architecture.ts';
import type { Report } from '../../plan/validate-common.ts';
import type { MoeConfig } from '../moe-config.ts';
import type { Models } from './common.ts';
import { deepseek } from './deepseek.ts';
import { mixtral } from './mixtral.ts';
import { qwen3Moe } from './qwen3-moe.ts';
import { qwenMoe } from './qwen-moe.ts';
import { OUTPUT_ARCHITECTURES, type MoeLayout, type OutputArchitecture } from './types.ts';

/** In mergekit's order (ALL_OUTPUT_ARCHITECTURES). */
export const ARCHITECTURES: readonly OutputArchitecture[] = [mixtral, deepseek, qwenMoe, qwen3Moe];

/** What `architecture:` takes (matched as a name prefix, in any case). */
export const ARCHITECTURE_KEYS = ['mixtral', 'deepseek', 'qwen', 'qwen3'] as const;

function named(config: MoeConfig): readonly OutputArchitecture[] {
  const wanted = config.architecture?.toLowerCase();
  return wanted === undefined
    ? ARCHITECTURES
    : ARCHITECTURES.filter((a) => a.name.toLowerCase().startsWith(wanted));
}

/** The config-stage rules: `architecture` names one, and one of those named can hold the config. */
export function checkArchitecture(config: MoeConfig, report: Report): void {
  const candidates = named(config);
  if (candidates.length === 0) {
    report(
      ['architecture'],
      `no output architecture is called ${JSON.stringify(config.architecture)}: mergekit's are ${OUTPUT_ARCHITECTURES.join(', ')} (architecture: ${ARCHITECTURE_KEYS.join(', ')}, or leave it out)`,
    );
    return;
  }
  const problems = candidates.map((a) => a.configProblem(config));
  if (problems.some((p) => p === undefined)) return;
  const first = problems[0]!;
  const why = candidates.map((a, i) => `${a.name} ${problems[i]!.message}`);
  report(
    first.path,
    candidates.length === 1
      ? `${why[0]!} (architecture: ${config.architecture ?? ''})`
      : `no output architecture can hold these shared experts: ${why.join('; ')}`,
  );
}

export interface Selected {
  readonly architecture: OutputArchitecture;
  /** mergekit's warning when more than one would do and no Mixtral decides it. */
  readonly warning?: string;
}

export function selectArchitecture(config: MoeConfig, models: Models): Selected {
  const reasons: string[] = [];
  const fits = named(config).filter((a) => {
    const why = a.configProblem(config)?.message ?? a.modelProblem(config, models);
    if (why) reasons.push(`${a.name} ${why}`);
    return why === undefined;
  });
  if (fits.length === 0)
    throw new ArchitectureError(`no MoE output architecture can be built from these models and this config: ${reasons.join('; ')}`); // prettier-ignore
  const mixtralFits = fits.find((a) => a.name === 'Mixtral');
  if (mixtralFits || fits.length === 1) return { architecture: mixtralFits ?? fits[0]! };
  return {
    architecture: fits[0]!,
    warning: `${fits.map((a) => a.name).join(' and ')} can all hold this config: building ${fits[0]!.name} (set architecture: to choose)`,
  };
}

/** The chosen architecture's tensors and config.json, with the choice's warning. */
export function moeLayout(config: MoeConfig, models: Models): MoeLayout {
  const { architecture, warning } = selectArchitecture(config, models);
  const layout = architecture.layout(config, models);
  return warning ? { ...layout, warnings: [warning, ...layout.warnings] } : layout;
}
