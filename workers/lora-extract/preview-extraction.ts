/**
 * What an extraction will write, from the two models' headers alone (no weight is read, no SVD
 * computed): the modules decomposed into LoRA factors and their ranks, those saved whole
 * (modules_to_save), those left out, and the size of adapter_model.safetensors. The studio
 * shows it before Extract (src/features/lora/LoraPlanPreview.tsx) through the merge worker's
 * `planLora`. It is ./plan-extraction.ts, the planning the extraction itself does, so a
 * refusal (a bad pattern, a --save-module that names nothing, shapes that differ) is the one
 * the extraction would give, before any weight is read.
 *
 * Without --sv-epsilon every rank follows from the shapes and the size is exact; with one, a
 * module's rank is known only after its SVD, and the size is an upper bound.
 */
import { loadModel, type LoadedModel } from '../io/load-model.ts';
import { planSafetensorsFile } from '../io/safetensors/layout.ts';
import type { ModelSource } from '../io/source.ts';
import { plannedRank, plannedSpecs } from './adapter-layout.ts';
import type { ExtractOptions } from './extract-lora.ts';
import { planExtraction, type LeftOutModule, type WholeModule } from './plan-extraction.ts';

/** Names listed per group; the rest are counted. */
export const PREVIEW_SAMPLE = 8;

export interface PlannedLoraModule {
  readonly module: string;
  readonly rows: number;
  readonly cols: number;
  /** Its rank without --sv-epsilon; its largest with one. */
  readonly rank: number;
  /** An input embedding, decomposed transposed (lora_embedding_A/B). */
  readonly embedding: boolean;
}

/** A group of modules: how many, and the first PREVIEW_SAMPLE of them. */
export interface ModuleGroup<T> {
  readonly count: number;
  readonly sample: readonly T[];
}

export interface LoraPlanSummary {
  readonly decomposed: ModuleGroup<PlannedLoraModule>;
  readonly whole: ModuleGroup<Pick<WholeModule, 'module' | 'why'>>;
  readonly leftOut: ModuleGroup<LeftOutModule>;
  /** Tensors that are no module's weight or bias (buffers): never in an adapter. */
  readonly ignoredTensors: number;
  /** adapter_config.json's r: the largest rank a module gets. */
  readonly rank: number;
  readonly modulesToSave: readonly string[];
  /** adapter_model.safetensors' bytes, header included. */
  readonly adapterBytes: number;
  /** With --sv-epsilon: the size and ranks are the most the extraction can write. */
  readonly upperBound: boolean;
  /** Modules whose bias change is saved (lora_B.bias): PEFT applies them, Merge Studio's reader does not. */
  readonly biasDeltas: number;
  /** What the extraction will say before it starts (vocabularies that differ, skipped modules, buffers). */
  readonly notes: readonly string[];
}

export interface PreviewOptions {
  readonly signal?: AbortSignal;
  /** Opens one model's headers (default: read afresh; the plan worker passes its cache's). */
  readonly load?: (source: ModelSource, signal?: AbortSignal) => Promise<LoadedModel>;
}

const group = <T>(items: readonly T[]): ModuleGroup<T> => ({
  count: items.length,
  sample: items.slice(0, PREVIEW_SAMPLE),
});

export async function previewExtraction(
  model: ModelSource,
  base: ModelSource,
  options: Omit<ExtractOptions, 'svd'>,
  { signal, load = loadModel }: PreviewOptions = {},
): Promise<LoraPlanSummary> {
  const [m, b] = await Promise.all([load(model, signal), load(base, signal)]);
  signal?.throwIfAborted();
  const plan = planExtraction(m.tensors, b.tensors, options, { model: m.id, base: b.id });
  const lora = plan.modules.flatMap((p) =>
    p.kind === 'lora'
      ? [{ module: p.module, rows: p.rows, cols: p.cols, rank: plannedRank(p, options.maxRank), embedding: p.embedding, bias: p.bias !== undefined }] // prettier-ignore
      : [],
  );
  const whole = plan.modules.flatMap((p) => (p.kind === 'whole' ? [{ module: p.module, why: p.why }] : []));
  const layout = planSafetensorsFile(plannedSpecs(plan, m.tensors, b.tensors, options.maxRank));
  return {
    decomposed: group(lora.map(({ bias: _bias, ...p }) => p)),
    whole: group(whole),
    leftOut: group(plan.leftOut),
    ignoredTensors: plan.ignoredTensors.length,
    rank: Math.max(...lora.map((p) => p.rank)),
    modulesToSave: plan.modulesToSave,
    adapterBytes: layout.totalSize,
    upperBound: options.svEpsilon > 0,
    biasDeltas: lora.filter((p) => p.bias).length,
    notes: plan.notes,
  };
}
