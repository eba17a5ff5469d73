/**
 * mergekit-moe's configuration (mergekit/moe/config.py MoEMergeConfig), read strictly: the
 * shape of the YAML, known keys, types. mergekit's pydantic model ignores unknown keys (a
 * misspelled `postive_prompts` silently gives an expert no prompts); here every unknown key is
 * an error with a suggestion. The rules that need the whole config (mergekit's is_bad_config,
 * the output architecture) are in ./moe-rules.ts; both run before any model is read.
 */
import { suggest, type RecipeProblem, type YamlPath } from '../plan/problems.ts';
import type { TorchDType } from '../plan/recipe.ts';
import {
  checkKeys,
  FIELD_REQUIRED,
  isObj,
  isSet,
  modelRef,
  quotedNumber,
  torchDtype,
  type Report,
} from '../plan/validate-common.ts';

/**
 * How the router rows are made (mergekit/moe/router.py get_gate_params). mergekit also reads
 * `hidden_last` (the same as `hidden`) and `hidden_avg` (refused, see ./moe-rules.ts).
 */
export const GATE_MODES = ['hidden', 'cheap_embed', 'random', 'uniform_random'] as const;
export type GateMode = (typeof GATE_MODES)[number];

export interface MoeExpert {
  /** A model reference as in merge recipes: org/name[@rev], a folder, or base+lora. */
  readonly source_model: string;
  readonly positive_prompts?: readonly string[];
  readonly negative_prompts?: readonly string[];
  /** Standard deviation of Gaussian noise added to this expert's MLP weights. */
  readonly noise_scale?: number;
  /** Factor on this expert's down_proj (its contribution to the residual stream). */
  readonly residual_scale?: number;
}

export interface MoeConfig {
  readonly base_model: string;
  readonly experts: readonly MoeExpert[];
  readonly gate_mode: GateMode;
  /** Output dtype; absent: the base's torch_dtype, else each tensor's own. */
  readonly dtype?: TorchDType;
  readonly experts_per_token: number;
  readonly shared_experts?: readonly MoeExpert[];
  /** Output architecture name prefix (mixtral, deepseek, qwen, qwen3), as mergekit matches it. */
  readonly architecture?: string;
}

const TOP_KEYS = [
  'base_model',
  'experts',
  'gate_mode',
  'dtype',
  'experts_per_token',
  'shared_experts',
  'architecture',
] as const;
const EXPERT_KEYS = [
  'source_model',
  'positive_prompts',
  'negative_prompts',
  'noise_scale',
  'residual_scale',
] as const;
/** mergekit's other spellings of the hidden-state mode (router.py). */
const GATE_ALIASES: Readonly<Record<string, GateMode>> = { hidden_last: 'hidden' };
const HIDDEN_AVG =
  "gate_mode hidden_avg is not supported: mergekit averages the hidden states over the padded batch (its left padding included), which depends on transformers' padding internals; use hidden (the last token's state, mergekit's default)";

export interface MoeValidation {
  readonly config: MoeConfig | undefined;
  readonly problems: readonly RecipeProblem[];
}

/** Checks the shape of a parsed YAML value; no model is read. */
export function validateMoeShape(raw: unknown): MoeValidation {
  const problems: RecipeProblem[] = [];
  const report: Report = (path, message, severity = 'error') => problems.push({ path, message, severity });
  const config = checkConfig(raw, report);
  return { config: problems.some((p) => p.severity === 'error') ? undefined : config, problems };
}

function checkConfig(raw: unknown, report: Report): MoeConfig | undefined {
  if (!isObj(raw)) {
    report([], 'a MoE config is a YAML mapping with at least base_model and experts');
    return undefined;
  }
  checkKeys(raw, [], TOP_KEYS, report, { base_model: FIELD_REQUIRED, experts: FIELD_REQUIRED });
  const base = requiredRef(raw, 'base_model', report);
  let experts: MoeExpert[] | undefined;
  if (!isSet(raw['experts'])) report(['experts'], `${FIELD_REQUIRED}: list the expert models`);
  else experts = expertList(raw['experts'], ['experts'], report);
  const shared = isSet(raw['shared_experts'])
    ? expertList(raw['shared_experts'], ['shared_experts'], report)
    : undefined;
  const gateMode = gateModeOf(raw['gate_mode'], report);
  const dtype = dtypeOf(raw['dtype'], report);
  const perToken = isSet(raw['experts_per_token'])
    ? integer(raw['experts_per_token'], ['experts_per_token'], report)
    : 2;
  const arch = raw['architecture'];
  if (isSet(arch) && typeof arch !== 'string')
    report(['architecture'], 'architecture is a name: mixtral, deepseek, qwen or qwen3');
  if (base === undefined || experts === undefined || gateMode === undefined || perToken === undefined)
    return undefined;
  return {
    base_model: base,
    experts,
    gate_mode: gateMode,
    ...(dtype && { dtype }),
    experts_per_token: perToken,
    ...(shared && { shared_experts: shared }),
    ...(typeof arch === 'string' && arch !== '' && { architecture: arch }),
  };
}

function requiredRef(obj: Record<string, unknown>, key: string, report: Report): string | undefined {
  if (!isSet(obj[key])) {
    report([key], `${FIELD_REQUIRED}: name a model`);
    return undefined;
  }
  return modelRef(obj[key], [key], report);
}

function expertList(raw: unknown, path: YamlPath, report: Report): MoeExpert[] | undefined {
  if (!Array.isArray(raw)) {
    report(path, 'a list of experts, each a mapping with source_model (and prompts)');
    return undefined;
  }
  const out: MoeExpert[] = [];
  for (const [i, e] of raw.entries()) {
    const x = expertOf(e, [...path, i], report);
    if (x) out.push(x);
  }
  return out.length === raw.length ? out : undefined;
}

function expertOf(raw: unknown, path: YamlPath, report: Report): MoeExpert | undefined {
  if (!isObj(raw)) {
    report(path, 'an expert is a mapping: source_model, positive_prompts, negative_prompts, ...');
    return undefined;
  }
  checkKeys(raw, path, EXPERT_KEYS, report, { source_model: FIELD_REQUIRED });
  const model = requiredRef(raw, 'source_model', (p, m, s) => report([...path, ...p], m, s));
  const positive = prompts(raw['positive_prompts'], [...path, 'positive_prompts'], report);
  const negative = prompts(raw['negative_prompts'], [...path, 'negative_prompts'], report);
  const noise = float(raw['noise_scale'], [...path, 'noise_scale'], report);
  const residual = float(raw['residual_scale'], [...path, 'residual_scale'], report);
  if (model === undefined) return undefined;
  return {
    source_model: model,
    ...(positive && { positive_prompts: positive }),
    ...(negative && { negative_prompts: negative }),
    ...(noise !== undefined && { noise_scale: noise }),
    ...(residual !== undefined && { residual_scale: residual }),
  };
}

function prompts(raw: unknown, path: YamlPath, report: Report): string[] | undefined {
  if (!isSet(raw)) return undefined;
  if (!Array.isArray(raw)) {
    report(path, `a list of prompt strings (write "- ${typeof raw === 'string' ? raw : '...'}" on its own line)`); // prettier-ignore
    return undefined;
  }
  const bad = raw.findIndex((p) => typeof p !== 'string');
  if (bad >= 0) {
    report([...path, bad], `a prompt is a string: quote it ("${String(raw[bad])}")`);
    return undefined;
  }
  return raw as string[];
}

function float(raw: unknown, path: YamlPath, report: Report): number | undefined {
  if (!isSet(raw)) return undefined;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? quotedNumber(raw) : undefined;
  if (n === undefined || !Number.isFinite(n)) {
    report(path, `a number, not ${JSON.stringify(raw)}`);
    return undefined;
  }
  return n;
}

function integer(raw: unknown, path: YamlPath, report: Report): number | undefined {
  const n = float(raw, path, report);
  if (n === undefined) return undefined;
  if (!Number.isInteger(n)) {
    report(path, `a whole number, not ${JSON.stringify(raw)}`);
    return undefined;
  }
  return n;
}

function gateModeOf(raw: unknown, report: Report): GateMode | undefined {
  if (!isSet(raw)) return 'hidden'; // mergekit's default
  const path = ['gate_mode'];
  if (typeof raw === 'string') {
    if ((GATE_MODES as readonly string[]).includes(raw)) return raw as GateMode;
    if (Object.hasOwn(GATE_ALIASES, raw)) return GATE_ALIASES[raw];
    if (raw === 'hidden_avg') {
      report(path, HIDDEN_AVG);
      return undefined;
    }
  }
  const hint = typeof raw === 'string' ? suggest(raw, GATE_MODES) : undefined;
  report(
    path,
    `gate_mode must be one of ${GATE_MODES.join(', ')}, not ${JSON.stringify(raw)}${hint ? ` (did you mean ${hint}?)` : ''}`,
  );
  return undefined;
}

/** mergekit's dtype_from_name; an empty string counts as absent here, as mergekit-moe reads it. */
function dtypeOf(raw: unknown, report: Report): TorchDType | undefined {
  return raw === '' ? undefined : torchDtype(raw, ['dtype'], report);
}
