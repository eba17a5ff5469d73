/**
 * A mergekit-moe YAML file to a checked MoeConfig, every problem with its line and column. The
 * YAML is read as merge recipes are (YAML 1.1 with PyYAML's booleans, duplicate keys named).
 */
import { LineCounter, parseDocument } from 'yaml';
import { RecipeError, type RecipeProblem, type YamlPath } from '../plan/problems.ts';
import { positionOf, YAML_PARSE_OPTIONS } from '../plan/recipe-yaml.ts';
import { yamlSyntaxProblems } from '../plan/yaml-problems.ts';
import { validateMoeShape, type MoeConfig } from './moe-config.ts';
import { checkMoeRules, type MoeRuleOptions } from './moe-rules.ts';

export interface ParsedMoeConfig {
  readonly config: MoeConfig | undefined;
  readonly problems: readonly RecipeProblem[];
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
  return { config: failed ? undefined : shaped.config, problems: located };
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
