/**
 * Which tensors of the fine-tuned model become what in the adapter, from names and shapes
 * alone (headers, never tensor data), following mergekit's extract_lora.py
 * (`plan_extraction`). mergekit walks the modules of a transformers model built from the
 * config and asks each module's type; here the checkpoint's tensors stand for the modules:
 *
 *   <module>.weight, 2-D, an input embedding    lora_embedding_A/B (transposed) with --embed-lora,
 *                                               else saved whole (modules_to_save)
 *   <module>.weight, 2-D, anything else         a Linear: lora_A/B (the output head included:
 *                                               saved whole unless --embed-lora, as mergekit)
 *   <module>.weight of another rank             undecomposable (norms, convolutions): saved
 *                                               whole unless --skip-undecomposable
 *   <module>.bias                               goes with its weight: the bias's change as
 *                                               lora_B.bias for a LoRA module, whole otherwise
 *   anything else (buffers, bare parameters)    left out, as mergekit's module walk leaves it out
 *
 * In mergekit's order: a module named by --save-module (its full name or its last part) is
 * saved whole whatever the patterns say; an embedding without --embed-lora is added to
 * modules_to_save unless an exclude pattern matches it; every other module must pass the
 * include patterns (when any) and no exclude pattern. One difference: mergekit checks each
 * module against modules_to_save as the list grows, so once one norm was saved whole, every
 * later module with the same last name is saved whole too, even one the patterns exclude, and
 * which ones depends on the module order. Here the patterns decide for every module alike.
 */
import { patternRisk } from '../io/lora/adapter-config.ts';
import { isWritableDType, type DType, type WritableDType } from '../io/dtypes.ts';
import { LoraExtractError } from './errors.ts';

export interface TensorInfo {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export interface Selection {
  readonly embedLora: boolean;
  /** --save-module: full module names or their last part (`lm_head`, `norm`). */
  readonly saveModules: readonly string[];
  readonly includeRegexes: readonly string[];
  readonly excludeRegexes: readonly string[];
  readonly skipUndecomposable: boolean;
}

export interface LoraModule {
  readonly kind: 'lora';
  /** `model.layers.0.self_attn.q_proj`. */
  readonly module: string;
  readonly weight: string;
  /** The module's bias, when both models have one: its change is saved as lora_B.bias. */
  readonly bias: string | undefined;
  /** The weight's shape: [out, in] for a Linear, [vocab, dim] for an embedding. */
  readonly rows: number;
  readonly cols: number;
  /** An nn.Embedding: factors transposed, as lora_embedding_A / lora_embedding_B. */
  readonly embedding: boolean;
  /** The dtype of model - base in torch (the factors' dtype in mergekit). */
  readonly dtype: WritableDType;
}

export interface WholeModule {
  readonly kind: 'whole';
  readonly module: string;
  /** The fine-tuned model's weight and bias, saved as they are. */
  readonly tensors: readonly string[];
  readonly why: 'save-module' | 'embedding' | 'undecomposable';
}

export type PlannedModule = LoraModule | WholeModule;

/** A module in neither the factors nor modules_to_save. */
export interface LeftOutModule {
  readonly module: string;
  /** `pattern`: -i / -e did not select it; `undecomposable`: not 2-D, with --skip-undecomposable. */
  readonly why: 'pattern' | 'undecomposable';
}

export interface ExtractionPlan {
  readonly modules: readonly PlannedModule[];
  /** adapter_config.json's modules_to_save: last parts of module names, in first-seen order. */
  readonly modulesToSave: readonly string[];
  /** Whether embeddings are decomposed (--embed-lora, unless the vocabularies differ). */
  readonly embedLora: boolean;
  readonly baseVocab: number | undefined;
  readonly modelVocab: number | undefined;
  /** Modules left out of the adapter, in the model's order. */
  readonly leftOut: readonly LeftOutModule[];
  /** Tensors that are no module's weight or bias (buffers), left out as mergekit leaves them. */
  readonly ignoredTensors: readonly string[];
  /** Lines for the log: what was left out or changed, and why. */
  readonly notes: readonly string[];
}

/** nn.Embedding modules by name (transformers' names for token and position embeddings). */
const INPUT_EMBEDDING =
  /(^|\.)(embed_tokens|wte|wpe|word_embeddings|tok_embeddings|embed_in|position_embeddings|token_type_embeddings)$/;
/** Output heads (nn.Linear): mergekit treats get_output_embeddings() as an embedding too. */
const OUTPUT_EMBEDDING = /(^|\.)(lm_head|embed_out)$/;

const leafOf = (module: string): string => module.slice(module.lastIndexOf('.') + 1);

/** A pattern as the extraction compiles it (JavaScript's syntax, searched anywhere), or why it is none. */
export function compilePattern(source: string): { re: RegExp } | { problem: string } {
  // Matched against the models' tensor names, which come from their repos.
  const risk = patternRisk(source);
  if (risk) return { problem: `it ${risk}; write a simpler pattern` };
  try {
    return { re: new RegExp(source) };
  } catch (e) {
    return { problem: (e as Error).message };
  }
}

function compile(sources: readonly string[], option: string): RegExp[] {
  return sources.map((s) => {
    const c = compilePattern(s);
    if ('problem' in c)
      throw new LoraExtractError(`${option} '${s}' is not a regular expression: ${c.problem}`);
    return c.re;
  });
}

/** torch's type promotion for model - base, limited to the float types a safetensors file holds. */
export function deltaDtype(a: DType, b: DType): WritableDType {
  return a === b && isWritableDType(a) ? a : 'F32';
}

const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;

export function planExtraction(
  model: ReadonlyMap<string, TensorInfo>,
  base: ReadonlyMap<string, TensorInfo>,
  selection: Selection,
  names: { readonly model: string; readonly base: string } = { model: 'the model', base: 'the base' },
): ExtractionPlan {
  const include = compile(selection.includeRegexes, '--include-regex');
  const exclude = compile(selection.excludeRegexes, '--exclude-regex');
  const excluded = (m: string): boolean => exclude.some((re) => re.test(m));
  const selected = (m: string): boolean =>
    (include.length === 0 || include.some((re) => re.test(m))) && !excluded(m);
  const notes: string[] = [];

  // Modules in the fine-tuned model's tensor order; tensors that are no module's weight or bias are left out.
  const modules = new Map<string, { weight?: string; bias?: string }>();
  const ignored: string[] = [];
  for (const name of model.keys()) {
    const m = /^(.+)\.(weight|bias)$/.exec(name);
    if (!m) {
      ignored.push(name);
      continue;
    }
    const entry = modules.get(m[1]!) ?? {};
    entry[m[2] as 'weight' | 'bias'] = name;
    modules.set(m[1]!, entry);
  }
  const weighted = [...modules].filter(([, t]) => t.weight !== undefined) as [
    string,
    { weight: string; bias?: string },
  ][];
  for (const [, t] of modules) if (!t.weight) ignored.push(t.bias!);
  if (ignored.length > 0) {
    notes.push(`left out (not the weight or bias of a module): ${ignored.join(', ')}`);
  }

  for (const s of selection.saveModules) {
    if (!weighted.some(([module]) => module === s || leafOf(module) === s)) {
      const leaves = [...new Set(weighted.map(([module]) => leafOf(module)))];
      throw new LoraExtractError(
        `--save-module ${s}: ${names.model} has no module named so (give a full name such as ` +
          `${weighted[0]?.[0] ?? 'model.norm'}, or one of the last parts ${leaves.join(', ')})`,
      );
    }
  }

  // mergekit compares the input embeddings' rows; a LoRA cannot change a matrix's shape.
  const inputEmbedding = weighted.find(([module]) => INPUT_EMBEDDING.test(module))?.[1].weight;
  const modelVocab = inputEmbedding ? model.get(inputEmbedding)!.shape[0] : undefined;
  const baseVocab = inputEmbedding ? base.get(inputEmbedding)?.shape[0] : undefined;
  let embedLora = selection.embedLora;
  if (embedLora && modelVocab !== baseVocab) {
    notes.push(
      `the vocabularies differ (${names.model} has ${modelVocab ?? 'no'} tokens, ${names.base} ` +
        `${baseVocab ?? 'no embeddings'}): embeddings are saved whole (modules_to_save), not as LoRA`,
    );
    embedLora = false;
  }

  const toSave = [...selection.saveModules];
  const addToSave = (key: string): void => {
    if (!toSave.includes(key)) toSave.push(key);
  };
  const named = (module: string): boolean =>
    selection.saveModules.includes(module) || selection.saveModules.includes(leafOf(module));
  const planned: PlannedModule[] = [];
  const skipped: string[] = [];
  const leftOut: LeftOutModule[] = [];
  for (const [module, t] of weighted) {
    const info = model.get(t.weight)!;
    const isEmbedding = info.shape.length === 2 && INPUT_EMBEDDING.test(module);
    const isHead = info.shape.length === 2 && OUTPUT_EMBEDDING.test(module);
    const tensors = t.bias ? [t.weight, t.bias] : [t.weight];
    if (named(module)) {
      planned.push({ kind: 'whole', module, tensors, why: 'save-module' });
    } else if (!embedLora && (isEmbedding || isHead) && !excluded(module)) {
      addToSave(leafOf(module));
      planned.push({ kind: 'whole', module, tensors, why: 'embedding' });
    } else if (!selected(module)) {
      leftOut.push({ module, why: 'pattern' });
    } else if (info.shape.length === 2) {
      planned.push(loraModule(module, t, model, base, isEmbedding, names));
    } else if (selection.skipUndecomposable) {
      skipped.push(module);
      leftOut.push({ module, why: 'undecomposable' });
    } else {
      addToSave(leafOf(module));
      planned.push({ kind: 'whole', module, tensors, why: 'undecomposable' });
    }
  }
  if (skipped.length > 0)
    notes.push(`skipped (not a 2-D weight, --skip-undecomposable): ${skipped.join(', ')}`);
  if (!planned.some((p) => p.kind === 'lora')) {
    throw new LoraExtractError(
      `no module of ${names.model} is left to decompose into LoRA factors (of ${weighted.length} modules, ` +
        `${planned.length} are saved whole and the rest are not selected): check -i/--include-regex, ` +
        `-e/--exclude-regex and --save-module`,
    );
  }
  return {
    modules: planned,
    modulesToSave: toSave,
    embedLora,
    baseVocab,
    modelVocab,
    leftOut,
    ignoredTensors: ignored,
    notes,
  };
}

function loraModule(
  module: string,
  t: { readonly weight: string; readonly bias?: string },
  model: ReadonlyMap<string, TensorInfo>,
  base: ReadonlyMap<string, TensorInfo>,
  embedding: boolean,
  names: { readonly model: string; readonly base: string },
): LoraModule {
  const info = model.get(t.weight)!;
  const fix = `exclude it with -e '^${module.replaceAll('.', '\\.')}$' or save it whole with --save-module ${module}`;
  const check = (name: string): TensorInfo => {
    const b = base.get(name);
    if (!b) {
      throw new LoraExtractError(`${names.base} has no tensor ${name}, which ${names.model} has: ${fix}`);
    }
    const m = model.get(name)!;
    if (shapeText(b.shape) !== shapeText(m.shape)) {
      throw new LoraExtractError(
        `${name} is ${shapeText(m.shape)} in ${names.model} but ${shapeText(b.shape)} in ${names.base}: ` +
          `a LoRA changes a weight, not its shape (are both the same architecture and size?); ${fix}`,
      );
    }
    return b;
  };
  const b = check(t.weight);
  if (t.bias) check(t.bias);
  return {
    kind: 'lora',
    module,
    weight: t.weight,
    bias: t.bias,
    rows: info.shape[0]!,
    cols: info.shape[1]!,
    embedding,
    dtype: deltaDtype(info.dtype, b.dtype),
  };
}
