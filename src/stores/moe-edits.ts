/**
 * Pure edits of a mergekit-moe config as the MoE form makes them (the slice, ./moe-slice.ts,
 * only stores their results). The form holds a MoeConfig (workers/moe/moe-config.ts) that may
 * be unfinished: empty model names, experts without prompts. Its YAML (moeConfigToYaml) then
 * shows the CLI's own line-numbered problems, so the form needs no rules of its own.
 *
 * An expert never holds an empty prompt list or an unset number: those are left out, so the
 * form, its YAML and the YAML read back are the same config (the round trip the tests check).
 * Shared experts (DeepSeek MoE, Qwen2-MoE) are edited as experts are, in their own list.
 */
import { OUTPUT_ARCHITECTURES, type OutputArchitectureName } from '../../workers/moe/arch/types.ts';
import type { GateMode, MoeConfig, MoeExpert } from '../../workers/moe/moe-config.ts';
import { expertCountWarning } from '../../workers/moe/moe-rules.ts';

export const EMPTY_MOE: MoeConfig = {
  base_model: '',
  gate_mode: 'hidden', // mergekit-moe's default
  experts_per_token: 2,
  experts: [],
};

/** A change to one expert; an undefined value removes the key. */
export type ExpertPatch = { readonly [K in keyof MoeExpert]?: MoeExpert[K] | undefined };

/** The expert without unset keys and empty prompt lists. */
export function cleanExpert(e: ExpertPatch & { readonly source_model: string }): MoeExpert {
  const { source_model, positive_prompts, negative_prompts, noise_scale, residual_scale } = e;
  return {
    source_model,
    ...(positive_prompts && positive_prompts.length > 0 && { positive_prompts }),
    ...(negative_prompts && negative_prompts.length > 0 && { negative_prompts }),
    ...(noise_scale !== undefined && { noise_scale }),
    ...(residual_scale !== undefined && { residual_scale }),
  };
}

/** A config as the form holds it: every expert cleaned (a config read from YAML may have `[]`). */
export function cleanConfig(c: MoeConfig): MoeConfig {
  return {
    ...c,
    experts: c.experts.map(cleanExpert),
    ...(c.shared_experts && { shared_experts: c.shared_experts.map(cleanExpert) }),
  };
}

/** Which list of the config an expert is in: the routed experts or the shared ones. */
export type ExpertList = 'experts' | 'shared_experts';

function listOf(c: MoeConfig, list: ExpertList): readonly MoeExpert[] {
  return (list === 'experts' ? c.experts : c.shared_experts) ?? [];
}

/** The config with `list` replaced; an emptied shared list leaves the config, as it came. */
function withList(c: MoeConfig, list: ExpertList, experts: readonly MoeExpert[]): MoeConfig {
  if (list === 'experts') return { ...c, experts };
  const { shared_experts: _old, ...rest } = c;
  return experts.length === 0 ? rest : { ...rest, shared_experts: experts };
}

export function updateExpert(
  c: MoeConfig,
  index: number,
  patch: ExpertPatch,
  list: ExpertList = 'experts',
): MoeConfig {
  const old = listOf(c, list)[index];
  if (!old) return c;
  const experts = listOf(c, list).slice();
  experts[index] = cleanExpert({ ...old, ...patch, source_model: patch.source_model ?? old.source_model });
  return withList(c, list, experts);
}

export function addExpert(c: MoeConfig, sourceModel = '', list: ExpertList = 'experts'): MoeConfig {
  return withList(c, list, [...listOf(c, list), { source_model: sourceModel }]);
}

export function removeExpert(c: MoeConfig, index: number, list: ExpertList = 'experts'): MoeConfig {
  return withList(
    c,
    list,
    listOf(c, list).filter((_, i) => i !== index),
  );
}

/**
 * The output architecture as the config names it (mixtral, deepseek, qwen, qwen3, or any
 * prefix mergekit matches); undefined leaves the key out: mergekit then chooses from the models.
 */
export function setArchitecture(c: MoeConfig, architecture: string | undefined): MoeConfig {
  const { architecture: _old, ...rest } = c;
  return architecture === undefined || architecture === '' ? rest : { ...rest, architecture };
}

/**
 * The output architectures `architecture` names, as mergekit matches it (a name prefix, in any
 * case); all of them when it is absent.
 */
export function namedArchitectures(architecture: string | undefined): OutputArchitectureName[] {
  const wanted = architecture?.toLowerCase();
  return OUTPUT_ARCHITECTURES.filter((a) => wanted === undefined || a.toLowerCase().startsWith(wanted));
}

/**
 * What a shared expert's prompts are to the architectures the config names: Qwen2-MoE gates its
 * shared expert by a router row made from them ('needed', or 'unused' with random gates), a
 * DeepSeek MoE sends every token through it ungated and takes none ('refused'); with both named
 * (no `architecture`), prompts choose Qwen2-MoE and none DeepSeek ('optional'). Neither named:
 * the architecture has no shared experts at all ('none'; the YAML's problems say so).
 */
export type SharedPrompts = 'needed' | 'unused' | 'refused' | 'optional' | 'none';

export function sharedPrompts(c: MoeConfig): SharedPrompts {
  const named = namedArchitectures(c.architecture);
  const qwen = named.includes('Qwen MoE');
  const deepseek = named.includes('DeepSeek MoE');
  if (qwen && deepseek) return 'optional';
  if (qwen) return c.gate_mode === 'random' ? 'unused' : 'needed';
  return deepseek ? 'refused' : 'none';
}

export function setGateMode(c: MoeConfig, gate_mode: GateMode): MoeConfig {
  return { ...c, gate_mode };
}

/**
 * The models chosen in the model picker as the MoE's models: `base` (else the first) is the
 * base, every other one an expert. An expert of a model already listed keeps its prompts and
 * scales; experts of models no longer chosen go. Shared experts stay.
 */
export function fromChosenModels(c: MoeConfig, ids: readonly string[], base?: string): MoeConfig {
  const baseModel = base ?? ids[0] ?? c.base_model;
  const experts = ids
    .filter((id) => id !== baseModel)
    .map((id) => c.experts.find((e) => e.source_model === id) ?? { source_model: id });
  return { ...c, base_model: baseModel, experts };
}

/** A prompt list as the text area shows it: one prompt a line. */
export function promptsToText(prompts: readonly string[] | undefined): string {
  return (prompts ?? []).join('\n');
}

/** The text area's lines as prompts: blank lines are not prompts; other lines are kept as typed. */
export function textToPrompts(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.trim() !== '');
}

/**
 * Whether a prompt spans lines: such a list cannot be edited one prompt a line without
 * changing it, so the form leaves it to the YAML (where `|` blocks hold it).
 */
export function hasMultilinePrompt(prompts: readonly string[] | undefined): boolean {
  return (prompts ?? []).some((p) => /[\r\n]/.test(p));
}

/**
 * What mergekit-moe warns about that the config alone tells (the build says it again once the
 * models are open): an expert count that is not a power of two.
 */
export function moeFormWarnings(c: MoeConfig): string[] {
  const w = expertCountWarning(c.experts.length);
  return w ? [w] : [];
}

/** The models the config reads, each once, in order: base first, then experts, then shared experts. */
export function moeModelIds(c: MoeConfig): string[] {
  const experts = [...c.experts, ...(c.shared_experts ?? [])];
  const ids = [c.base_model, ...experts.map((e) => e.source_model)].map((id) => id.trim());
  return [...new Set(ids.filter((id) => id !== ''))];
}

const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/** A config in a line, for "Recent recipes": "MoE (hidden): base + 3 experts + 1 shared expert". */
export function moeSummary(c: MoeConfig): string {
  const shared = c.shared_experts?.length ?? 0;
  return `MoE (${c.gate_mode}): ${c.base_model || 'no base'} + ${count(c.experts.length, 'expert')}${shared > 0 ? ` + ${count(shared, 'shared expert')}` : ''}`;
}
