/**
 * The compatibility report, shown before any weight is read: for each model its architecture,
 * layer count, hidden size, vocabulary and dtypes, and every difference from the base in plain
 * words, with what the merge will do about it ("vocab 32002 vs the base's 32000: embeddings
 * will be cropped to 32000") or why it cannot be merged. A pure function of the models' config
 * and tensor tables (headers only), for the CLI's validate and the studio's model picker.
 *
 * It mirrors the planner's rules (build-plan.ts, rectify.ts): a models: recipe pairs layer i
 * with layer i, every model must have the tensors the plan reads, embeddings of different
 * vocabularies are cropped as the method's `rectify` says, other shape differences are fatal.
 */
import { getMethod } from '../methods/registry.ts';
import type { EmbedRectify } from '../methods/types.ts';
import {
  ArchitectureError,
  inferArchitecture,
  isEmbedName,
  isTiedHeadName,
  layerCountFromConfig,
  type ModelInfo,
} from './architecture.ts';
import type { Recipe } from './recipe.ts';
import { referencedModels } from './recipe.ts';

export type IssueSeverity = 'error' | 'warning' | 'info';
export type IssueTopic = 'architecture' | 'layers' | 'hidden-size' | 'vocab' | 'dtype' | 'tensors' | 'shapes';

export interface CompatibilityIssue {
  readonly severity: IssueSeverity;
  readonly topic: IssueTopic;
  readonly message: string;
  /** The tensors concerned (at most 20), for a UI to list. */
  readonly tensors?: readonly string[];
}

export interface ModelSummary {
  readonly id: string;
  readonly isBase: boolean;
  /** config.architectures[0], else model_type, else 'unknown'. */
  readonly architecture: string;
  readonly layers: number | undefined;
  readonly hiddenSize: number | undefined;
  /** Rows of the input embeddings (what the weights have), else config.vocab_size. */
  readonly vocabSize: number | undefined;
  /** Parameters per stored dtype, e.g. { BF16: 804992 }. */
  readonly dtypes: Readonly<Record<string, number>>;
  readonly parameters: number;
  readonly issues: readonly CompatibilityIssue[];
}

export interface CompatibilityReport {
  /** The model the others are compared with: the recipe's base, else its first model. */
  readonly base: string;
  readonly models: readonly ModelSummary[];
  readonly errors: number;
  readonly warnings: number;
}

export interface CompatibilityOptions {
  /** How the method reconciles embeddings of different vocabularies (default 'crop-common'). */
  readonly rectify?: EmbedRectify;
  /** The recipe pairs layers itself (slices: with layer_range): different layer counts are fine. */
  readonly slices?: boolean;
}

const SKIPPED = /(^|\.)rotary_emb\.inv_freq$/;
const LAYER = /^(.*?\.)(\d+)\./;
const MAX_LISTED = 20;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;

function listed(names: readonly string[]): string {
  const shown = names.slice(0, 3).join(', ');
  return names.length > 3 ? `${shown} and ${names.length - 3} more` : shown;
}

function configOf(m: ModelInfo): Record<string, unknown> {
  const text = m.config['text_config'];
  return text && typeof text === 'object'
    ? { ...(text as Record<string, unknown>), ...m.config }
    : { ...m.config };
}

function embeddingRows(m: ModelInfo): number | undefined {
  for (const [name, t] of m.tensors) {
    if (isEmbedName(name) && !isTiedHeadName(name) && t.shape.length === 2) return t.shape[0];
  }
  return undefined;
}

function summarize(
  m: ModelInfo,
  isBase: boolean,
  issues: CompatibilityIssue[],
): Omit<ModelSummary, 'issues'> {
  const c = configOf(m);
  let layers: number | undefined;
  try {
    const arch = inferArchitecture(m);
    layers = arch.numLayers;
    if (arch.stacks.length > 1) {
      issues.push({
        severity: 'info',
        topic: 'architecture',
        message: `a multi-module (vision-language) model with ${arch.stacks.length} layer stacks (${arch.stacks
          .map((s) => `${s.prefix} ${s.numLayers}`)
          .join(
            ', ',
          )}): every module is merged, each layer at its position in its own stack; slices: per module, under modules:`,
      });
    }
  } catch (e) {
    if (!(e instanceof ArchitectureError)) throw e;
    issues.push({ severity: 'error', topic: 'architecture', message: e.message });
    layers = layerCountFromConfig(m.config);
  }
  const dtypes: Record<string, number> = {};
  let parameters = 0;
  for (const t of m.tensors.values()) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + n;
    parameters += n;
  }
  const rows = embeddingRows(m);
  const configVocab = num(c['vocab_size']);
  if (rows !== undefined && configVocab !== undefined && rows !== configVocab) {
    issues.push({
      severity: 'info',
      topic: 'vocab',
      message: `config.json says vocab ${configVocab} but the embeddings have ${rows} rows; the weights count`,
    });
  }
  const arch = Array.isArray(c['architectures']) ? str(c['architectures'][0]) : undefined;
  return {
    id: m.id,
    isBase,
    architecture: arch ?? str(c['model_type']) ?? 'unknown',
    layers,
    hiddenSize: num(c['hidden_size']) ?? num(c['n_embd']) ?? num(c['d_model']) ?? num(c['dim']),
    vocabSize: rows ?? configVocab,
    dtypes,
    parameters,
  };
}

function vocabIssue(
  m: Omit<ModelSummary, 'issues'>,
  base: Omit<ModelSummary, 'issues'>,
  common: number,
  rectify: EmbedRectify,
): CompatibilityIssue {
  const head = `vocab ${m.vocabSize} vs the base's ${base.vocabSize}`;
  if (rectify === 'crop-common') {
    return {
      severity: 'warning',
      topic: 'vocab',
      message: `${head}: embeddings will be cropped to ${common}`,
    };
  }
  if (rectify === 'crop-to-base' && m.vocabSize! > base.vocabSize!) {
    return {
      severity: 'warning',
      topic: 'vocab',
      message: `${head}: embeddings will be cropped to ${base.vocabSize}`,
    };
  }
  return {
    severity: 'error',
    topic: 'vocab',
    message:
      rectify === 'crop-to-base'
        ? `${head}: task vectors need at least the base's vocabulary; choose a base with the smaller vocabulary`
        : `${head}: this method cannot merge embeddings of different sizes`,
  };
}

/** Tensor names compared with the base's, layers past the shorter model left out (the layer count says it). */
function tensorIssues(
  m: ModelInfo,
  base: ModelInfo,
  layers: number,
  hiddenDiffers: boolean,
): CompatibilityIssue[] {
  const inRange = (name: string): boolean => {
    const l = LAYER.exec(name);
    return !SKIPPED.test(name) && (!l || Number(l[2]) < layers);
  };
  const missing: string[] = [];
  const extraOuter: string[] = [];
  const extraLayer: string[] = [];
  const shapes: string[] = [];
  let tiedHead = false;
  for (const [name, t] of base.tensors) {
    if (!inRange(name)) continue;
    const other = m.tensors.get(name);
    if (!other) {
      if (isTiedHeadName(name) && embeddingRows(m) !== undefined) tiedHead = true;
      else missing.push(name);
    } else if (shapeText(other.shape) !== shapeText(t.shape) && !(isEmbedName(name) && !hiddenDiffers)) {
      shapes.push(`${name} ${shapeText(other.shape)} vs ${shapeText(t.shape)}`);
    }
  }
  let baseTied = false;
  for (const name of m.tensors.keys()) {
    if (!inRange(name) || base.tensors.has(name)) continue;
    // The base's head is tied to its embeddings: the planner reads those in its place.
    if (isTiedHeadName(name) && embeddingRows(base) !== undefined) baseTied = true;
    else (LAYER.test(name) ? extraLayer : extraOuter).push(name);
  }
  const out: CompatibilityIssue[] = [];
  const issue = (severity: IssueSeverity, topic: IssueTopic, message: string, names: string[]): void => {
    out.push({ severity, topic, message, tensors: names.slice(0, MAX_LISTED) });
  };
  if (tiedHead) {
    out.push({
      severity: 'info',
      topic: 'tensors',
      message: 'no lm_head: its head is tied to the embeddings, which are used instead',
    });
  }
  if (baseTied) {
    out.push({
      severity: 'info',
      topic: 'tensors',
      message: "the base ties its head to its embeddings: this model's lm_head is merged with them",
    });
  }
  if (missing.length > 0) {
    issue(
      'error',
      'tensors',
      `${missing.length} tensors of the base are missing (${listed(missing)}): is it another architecture?`,
      missing,
    );
  }
  if (extraOuter.length > 0) {
    issue(
      'error',
      'tensors',
      `${extraOuter.length} tensors the base does not have (${listed(extraOuter)}): every model must have them`,
      extraOuter,
    );
  }
  if (extraLayer.length > 0) {
    issue(
      'warning',
      'tensors',
      `${extraLayer.length} layer tensors the base does not have (${listed(extraLayer)}): they are not merged`,
      extraLayer,
    );
  }
  if (shapes.length > 0 && !hiddenDiffers) {
    issue(
      'error',
      'shapes',
      `${shapes.length} tensors differ in shape (${listed(shapes)}): they cannot be merged element by element`,
      shapes,
    );
  }
  return out;
}

export function compatibilityReport(
  models: readonly ModelInfo[],
  baseId: string,
  options: CompatibilityOptions = {},
): CompatibilityReport {
  const baseModel = models.find((m) => m.id === baseId);
  if (!baseModel) throw new Error(`compatibilityReport: the base ${baseId} is not among the models`);
  const rectify = options.rectify ?? 'crop-common';
  const issuesOf = new Map(models.map((m) => [m.id, [] as CompatibilityIssue[]]));
  const summaries = new Map(models.map((m) => [m.id, summarize(m, m.id === baseId, issuesOf.get(m.id)!)]));
  const base = summaries.get(baseId)!;
  const vocabs = [...summaries.values()].map((s) => s.vocabSize).filter((v): v is number => v !== undefined);
  const common = Math.min(...vocabs);
  for (const m of models) {
    if (m.id === baseId) continue;
    const s = summaries.get(m.id)!;
    const issues = issuesOf.get(m.id)!;
    if (s.architecture !== base.architecture) {
      issues.push({
        severity: 'warning',
        topic: 'architecture',
        message: `architecture ${s.architecture} vs the base's ${base.architecture}: merging needs the same tensor names and shapes (checked below)`,
      });
    }
    if (s.layers !== base.layers && s.layers !== undefined && base.layers !== undefined) {
      issues.push(
        options.slices
          ? {
              severity: 'info',
              topic: 'layers',
              message: `${s.layers} layers vs the base's ${base.layers}: the recipe's slices choose which layers are paired`,
            }
          : {
              severity: 'error',
              topic: 'layers',
              message: `${s.layers} layers vs the base's ${base.layers}: models: pairs layer i with layer i; use slices: with layer_range to choose the layers`,
            },
      );
    }
    const hiddenDiffers =
      s.hiddenSize !== undefined && base.hiddenSize !== undefined && s.hiddenSize !== base.hiddenSize;
    if (hiddenDiffers) {
      issues.push({
        severity: 'error',
        topic: 'hidden-size',
        message: `hidden size ${s.hiddenSize} vs the base's ${base.hiddenSize}: models of different widths cannot be merged`,
      });
    }
    if (s.vocabSize !== undefined && base.vocabSize !== undefined && s.vocabSize !== base.vocabSize) {
      issues.push(vocabIssue(s, base, common, rectify));
    }
    const dt = Object.keys(s.dtypes).sort().join('/');
    const bdt = Object.keys(base.dtypes).sort().join('/');
    if (dt !== bdt) {
      issues.push({
        severity: 'info',
        topic: 'dtype',
        message: `stored as ${dt}, the base as ${bdt}: every input is read as float32 for the merge, without loss`,
      });
    }
    const layers = Math.min(s.layers ?? Infinity, base.layers ?? Infinity);
    issues.push(...tensorIssues(m, baseModel, layers, hiddenDiffers));
  }
  const all = [...issuesOf.values()].flat();
  return {
    base: baseId,
    models: models.map((m) => ({ ...summaries.get(m.id)!, issues: issuesOf.get(m.id)! })),
    errors: all.filter((i) => i.severity === 'error').length,
    warnings: all.filter((i) => i.severity === 'warning').length,
  };
}

/** The report for a recipe's models: base as the planner picks it, the method's rectify rule. */
export function compatibilityForRecipe(
  recipe: Recipe,
  models: ReadonlyMap<string, ModelInfo>,
): CompatibilityReport {
  const ids = referencedModels(recipe);
  const rectify = getMethod(recipe.merge_method)?.rectify;
  return compatibilityReport(
    ids.map((id) => models.get(id)!),
    recipe.base_model ?? ids[0]!,
    // Per module, slices may pair layers of models whose layer counts differ.
    { ...(rectify && { rectify }), slices: recipe.slices !== undefined || recipe.modules !== undefined },
  );
}

/** Plain text, one model per paragraph (the CLI's validate prints it). */
export function formatCompatibilityReport(r: CompatibilityReport): string {
  const lines: string[] = [];
  for (const m of r.models) {
    const dtypes = Object.keys(m.dtypes).sort().join('/') || 'no tensors';
    const facts = [
      m.architecture,
      `${m.layers ?? '?'} layers`,
      `hidden ${m.hiddenSize ?? '?'}`,
      `vocab ${m.vocabSize ?? '?'}`,
      dtypes,
      `${(m.parameters / 1e6).toFixed(m.parameters < 1e7 ? 2 : 0)}M params`,
    ];
    lines.push(`${m.id}${m.isBase ? ' (base)' : ''}: ${facts.join(', ')}`);
    for (const i of m.issues) lines.push(`  ${i.severity}: ${i.message}`);
  }
  const verdict = r.errors > 0 ? `not compatible: ${r.errors} error(s)` : 'compatible';
  lines.push(`${verdict}${r.warnings > 0 ? `, ${r.warnings} warning(s)` : ''}`);
  return `${lines.join('\n')}\n`;
}
