/**
 * A mergekit-moe YAML file to a checked MoeConfig, every problem with its line and column. The
 * YAML is read as merge recipes are (YAML 1.1 with PyYAML's booleans, duplicate keys named).
 * And back: a config written as mergekit-moe's example files lay it out (the studio's form).
 */
import { Document, LineCounter, parseDocument } from 'yaml';
import { RecipeError, type RecipeProblem, type YamlPath } from '../plan/problems.ts';
import { positionOf, YAML_PARSE_OPTIONS } from '../plan/recipe-yaml.ts';
import { yamlSyntaxProblems } from '../plan/yaml-problems.ts';
import { validateMoeShape, type MoeConfig } from './moe-config.ts';
import { checkMoeRules, type MoeRuleOptions } from './moe-rules.ts';

export interface ParsedMoeConfig {
  readonly config: MoeConfig | undefined;
  readonly problems: readonly RecipeProblem[];
  /**
   * The config as read when its shape is right (known keys, right types), even when mergekit's
   * rules refuse it: an editor can show it while the user fixes what the rules say.
   */
  readonly shape?: MoeConfig;
}

/** Parses and checks (shape, then mergekit's rules); never throws. */
export function parseMoeYaml(text: string, options: MoeRuleOptions = {}): ParsedMoeConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { ...YAML_PARSE_OPTIONS, lineCounter: lc, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const loose = parseDocument(text, { ...YAML_PARSE_OPTIONS, uniqueKeys: false });
    return {
      config: undefined,
      problems: yamlSyntaxProblems(doc.errors, loose.contents, (offset) => lc.linePos(offset)),
    };
  }
  const shaped = validateMoeShape(doc.toJS({ maxAliasCount: 100 }));
  const problems = [...shaped.problems];
  if (shaped.config) {
    checkMoeRules(
      shaped.config,
      (path: YamlPath, message: string, severity = 'error') => problems.push({ path, message, severity }),
      options,
    );
  }
  const located = problems.map((p) => {
    const pos = positionOf(doc.contents, p.path, lc);
    return pos ? { ...p, ...pos } : p;
  });
  const failed = problems.some((p) => p.severity === 'error');
  return {
    config: failed ? undefined : shaped.config,
    problems: located,
    ...(shaped.config && { shape: shaped.config }),
  };
}

/** Key order for writing, as mergekit-moe's examples have them. */
const TOP_ORDER = ['base_model', 'architecture', 'gate_mode', 'dtype', 'experts_per_token', 'experts', 'shared_experts'] as const; // prettier-ignore
const EXPERT_ORDER = ['source_model', 'positive_prompts', 'negative_prompts', 'noise_scale', 'residual_scale'] as const; // prettier-ignore

function inOrder<T extends object>(obj: T, order: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of order) {
    const v = (obj as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * A config as mergekit-moe YAML: `parseMoeYaml(moeConfigToYaml(c)).shape` is `c`. Written as
 * YAML 1.1, so a prompt PyYAML would read as a boolean or a number (`yes`, `12`) is quoted;
 * `experts_per_token` is always written, so the file says what it builds without mergekit's
 * defaults at hand.
 */
export function moeConfigToYaml(config: MoeConfig): string {
  const expert = (e: MoeConfig['experts'][number]) => inOrder(e, EXPERT_ORDER);
  const ordered = inOrder(
    {
      ...config,
      experts: config.experts.map(expert),
      ...(config.shared_experts && { shared_experts: config.shared_experts.map(expert) }),
    },
    TOP_ORDER,
  );
  const doc = new Document(ordered, { ...YAML_PARSE_OPTIONS, aliasDuplicateObjects: false });
  return doc.toString({ lineWidth: 0 });
}

/** Parses and checks, throwing a RecipeError that lists every problem. */
export function loadMoeConfig(
  text: string,
  file?: string,
  options: MoeRuleOptions = {},
): { config: MoeConfig; warnings: readonly RecipeProblem[] } {
  const { config, problems } = parseMoeYaml(text, options);
  if (!config) throw new RecipeError(problems, file);
  return { config, warnings: problems.filter((p) => p.severity === 'warning') };
}
