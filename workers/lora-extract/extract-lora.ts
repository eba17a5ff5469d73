/**
 * mergekit-extract-lora: a PEFT LoRA adapter that turns `base` into (approximately) `model`,
 * module by module: the task vector D = model - base in float32 (./task-vector.ts), its
 * truncated SVD (./linalg/truncated-svd.ts) and the factors (./lora-factors.ts), written into
 * adapter_model.safetensors (./adapter-weights.ts) with adapter_config.json and a README.md
 * card (./adapter-files.ts). Which tensors become what is ./plan-extraction.ts.
 *
 * Memory: one module at a time, from the stored bytes: D as float32, one source tensor's bytes,
 * the SVD's thin k-column matrices and the factors. The factors go into the output folder's
 * checkpoint (./checkpoint.ts) in parts of at most 64 MB, so that an interrupted run resumes,
 * and adapter_model.safetensors is assembled from them once every rank is known (with
 * --sv-epsilon a rank is known only after its module's SVD, and the header comes first).
 *
 * Nothing left behind looks complete: an earlier adapter_config.json in the folder is removed
 * before the weights are written, adapter_model.safetensors is staged by the sink until it is
 * closed, and adapter_config.json, which PEFT and `base+adapter` readers open first, is
 * written last (after README.md), and the checkpoint is removed after it. A cancelled or failed
 * extraction run again with the same models and options skips the modules it finished.
 */
import { encodeFromF32, type WritableDType } from '../io/dtypes.ts';
import { loadModel, type LoadedModel } from '../io/load-model.ts';
import { ADAPTER_CONFIG } from '../io/lora/open-adapter.ts';
import type { ModelSource, OutputSink } from '../io/source.ts';
import { adapterCard, adapterConfigJson } from './adapter-files.ts';
import { inputsDigest, textFingerprint } from '../engine/job-state.ts';
import { biasDtypeOf, factorSpecs, PREFIX, wholeSpecs } from './adapter-layout.ts';
import { Checkpoint, type CheckpointLimits, type Tensor } from './checkpoint.ts';
import { openAdapterWeights, type AdapterWeights } from './adapter-weights.ts';
import { LoraExtractError } from './errors.ts';
import { loraFactors, type FactorOptions } from './lora-factors.ts';
import { truncatedSvd, type SvdMethod, type SvdOptions } from './linalg/truncated-svd.ts';
import { progressTracker, type ExtractProgress } from './extract-progress.ts';
import { planExtraction, type ExtractionPlan, type LoraModule, type Selection } from './plan-extraction.ts';
import { taskVector, tensorReader, type TensorRead } from './task-vector.ts';

export interface ExtractOptions extends Selection, FactorOptions {
  readonly svd?: SvdOptions;
  /**
   * --lora-bias: set lora_bias in adapter_config.json when bias changes are written, so that PEFT
   * applies them (PEFT's merge_and_unload then refuses the layers without a bias). Off, as
   * mergekit writes it: PEFT ignores the bias changes.
   */
  readonly loraBias?: boolean;
}

export interface CardNames {
  /** The title (mergekit: the output folder's name). */
  readonly name: string;
  /** The two models as the user named them, and which of them are huggingface.co repos. */
  readonly model: string;
  readonly base: string;
  readonly hubModels: ReadonlySet<string>;
  /** The command line for the card, without a token. */
  readonly invocation: string;
}

export interface ExtractJob {
  readonly model: ModelSource;
  readonly base: ModelSource;
  readonly sink: OutputSink;
  readonly options: ExtractOptions;
  readonly card: CardNames;
  readonly onLog?: (line: string) => void;
  /** Throttled progress (./extract-progress.ts). */
  readonly onProgress?: (p: ExtractProgress) => void;
  readonly signal?: AbortSignal;
  /** When the checkpoint writes a part (./checkpoint.ts; tests use small ones). */
  readonly checkpoint?: CheckpointLimits;
}

export interface ModuleReport {
  readonly module: string;
  readonly rows: number;
  readonly cols: number;
  readonly rank: number;
  readonly method: SvdMethod;
  readonly iterations: number;
  readonly residual: number;
  readonly seconds: number;
}

export interface ExtractSummary {
  /** r in adapter_config.json: the largest rank. */
  readonly rank: number;
  readonly loraModules: readonly ModuleReport[];
  readonly modulesToSave: readonly string[];
  /** Modules left out because no singular value was above --sv-epsilon. */
  readonly emptyModules: readonly string[];
  /** Modules an earlier run into the folder had extracted (not computed again). */
  readonly resumedModules: number;
  /**
   * Tensors in the file that are not plain LoRA factors (whole modules, bias deltas): PEFT
   * applies them all, Merge Studio's own `base+adapter` reader the whole modules only.
   */
  readonly otherTensors: readonly string[];
}

interface Source {
  readonly info: LoadedModel;
  readonly read: TensorRead;
}

/** A Hub reference's `@revision` is not part of base_model_name_or_path (mergekit's model.path). */
function basePath(base: string): string {
  const model = base.split('+')[0]!;
  return /^[\w.-]+\/[\w.-]+@/.test(model) ? model.slice(0, model.indexOf('@')) : model;
}

export async function extractLora(job: ExtractJob): Promise<ExtractSummary> {
  const { options, signal, onLog } = job;
  const [modelInfo, baseInfo] = await Promise.all([
    loadModel(job.model, signal),
    loadModel(job.base, signal),
  ]);
  for (const note of [...(job.model.notes ?? []), ...(job.base.notes ?? [])]) onLog?.(`warning: ${note}`);
  const plan = planExtraction(modelInfo.tensors, baseInfo.tensors, options, {
    model: modelInfo.id,
    base: baseInfo.id,
  });
  for (const note of plan.notes) onLog?.(note);
  const model: Source = { info: modelInfo, read: tensorReader(modelInfo, signal) };
  const base: Source = { info: baseInfo, read: tensorReader(baseInfo, signal) };
  const biasDtype = (p: LoraModule): WritableDType | undefined =>
    biasDtypeOf(p, modelInfo.tensors, baseInfo.tensors);
  const copyWhole = async (out: AdapterWeights, tensors: readonly string[]): Promise<void> => {
    for (const t of tensors) await out.write(`${PREFIX}${t}`, await model.read(t));
  };
  const loraModules = plan.modules.filter((p): p is LoraModule => p.kind === 'lora');
  // PEFT's lora.Embedding refuses lora_bias (ValueError), and lora_bias is the whole adapter's.
  const embedded = loraModules.find((p) => p.embedding);
  const biased = loraModules.find((p) => p.bias);
  if (options.loraBias && embedded && biased) {
    throw new LoraExtractError(
      `--lora-bias with an embedding LoRA (${embedded.module}, --embed-lora): PEFT cannot load lora_bias with an embedding LoRA layer; ` +
        `leave out --lora-bias (PEFT then ignores the bias changes), or extract without --embed-lora (the embeddings are then saved whole), or exclude ${embedded.module} with -e`,
    );
  }
  const progress = progressTracker(job.onProgress, loraModules, options.maxRank);

  const reports: ModuleReport[] = [];
  const empty: string[] = [];
  // An earlier adapter's config would make the folder look complete while its weights change.
  await job.sink.remove?.(ADAPTER_CONFIG);
  const checkpoint = await Checkpoint.open<ModuleReport | null>(
    job.sink,
    extractionFingerprint(modelInfo, baseInfo, options, plan),
    job.checkpoint,
  );
  /** One module's factors (and bias delta) into the checkpoint; its report, or null for rank 0. */
  const extractModule = async (p: LoraModule, index: number, count: number): Promise<ModuleReport | null> => {
    const started = performance.now();
    progress.started(p);
    const d = await taskVector(p.weight, model, base);
    const svd = truncatedSvd(d, p.rows, p.cols, options.maxRank, options.svd);
    const f = loraFactors(svd, options, p.embedding);
    const seconds = (performance.now() - started) / 1000;
    const { method, iterations, residual } = svd;
    progress.finished(p);
    if (f.rank === 0) {
      onLog?.(`${p.module}: no singular value is above --sv-epsilon ${options.svEpsilon}; left out`);
      await checkpoint.add(p.module, null, []);
      return null;
    }
    const report = { module: p.module, rows: p.rows, cols: p.cols, rank: f.rank, method, iterations, residual, seconds }; // prettier-ignore
    const how =
      method === 'randomized'
        ? `randomized, ${iterations} rounds, residual ${residual.toExponential(1)}`
        : method;
    onLog?.(
      `[${index}/${count}] ${p.module} ${p.rows}x${p.cols}: rank ${f.rank} (${how}), ${seconds.toFixed(2)} s`,
    );
    const [a, b, bias] = factorSpecs(p, f.rank, biasDtype(p));
    const tensors: Tensor[] = [
      { ...a!, data: encodeFromF32(f.a, p.dtype) },
      { ...b!, data: encodeFromF32(f.b, p.dtype) },
    ];
    if (bias && p.bias) {
      const delta = await taskVector(p.bias, model, base);
      tensors.push({ ...bias, data: encodeFromF32(delta, bias.dtype as WritableDType) });
    }
    await checkpoint.add(p.module, report, tensors);
    return report;
  };

  progress.phase('extracting');
  const count = loraModules.length;
  let index = 0;
  let resumed = 0;
  try {
    for (const p of loraModules) {
      signal?.throwIfAborted();
      index++;
      const done = checkpoint.finished(p.module);
      let report: ModuleReport | null;
      if (done) {
        report = done.report;
        resumed++;
        progress.started(p);
        progress.finished(p);
      } else {
        report = await extractModule(p, index, count);
      }
      if (report) reports.push(report);
      else empty.push(p.module);
    }
  } finally {
    // Also when cancelled or failed: the modules finished so far are kept for the next run.
    await checkpoint.flush();
  }
  if (resumed > 0) onLog?.(`resume: ${resumed} of ${count} modules were extracted by an earlier run`);
  if (reports.length === 0) {
    await checkpoint.finish(); // nothing worth resuming: the same options fail the same way
    throw new LoraExtractError(
      `no singular value of any module is above --sv-epsilon ${options.svEpsilon}: nothing to extract; use a smaller epsilon`,
    );
  }

  // Every rank is known: lay the file out and copy the factors in, whole modules from the model.
  progress.phase('writing');
  const specs = plan.modules.flatMap((p) =>
    p.kind === 'whole'
      ? wholeSpecs(p.tensors, modelInfo.tensors)
      : (checkpoint.finished(p.module)?.tensors ?? []).map((t) => checkpoint.spec(t)),
  );
  const out: AdapterWeights = await openAdapterWeights(job.sink, specs);
  try {
    for (const p of plan.modules) {
      signal?.throwIfAborted();
      if (p.kind === 'whole') await copyWhole(out, p.tensors);
      else
        for (const t of checkpoint.finished(p.module)!.tensors) await out.write(t, await checkpoint.read(t));
    }
    signal?.throwIfAborted();
    await out.close();
  } catch (e) {
    await out.abort();
    throw e;
  }

  const ranks = new Map(reports.map((r) => [r.module, r.rank]));
  const biases = plan.modules.flatMap((p) =>
    p.kind === 'lora' && p.bias && ranks.has(p.module) ? [`${p.bias} (as lora_B.bias)`] : [],
  );
  const config = adapterConfigJson({
    baseModel: basePath(job.card.base),
    ranks,
    modulesToSave: plan.modulesToSave,
    loraBias: options.loraBias === true && biases.length > 0,
  });
  await job.sink.writeFile(
    'README.md',
    adapterCard({ ...job.card, baseVocab: plan.baseVocab, modelVocab: plan.modelVocab }),
  );
  signal?.throwIfAborted();
  // Last: the file that makes the folder an adapter.
  await job.sink.writeFile(ADAPTER_CONFIG, `${config}\n`);
  await checkpoint.finish();
  progress.phase('done');
  const whole = plan.modules.flatMap((p) => (p.kind === 'whole' ? p.tensors : []));
  return {
    rank: Math.max(...ranks.values()),
    loraModules: reports,
    modulesToSave: plan.modulesToSave,
    emptyModules: empty,
    resumedModules: resumed,
    otherTensors: [...whole, ...biases],
  };
}

/**
 * Names the job for resume: the two models' contents (Hub commits, local files' sizes and
 * times), every option (the ranks and factors depend on them all) and the plan's modules.
 */
function extractionFingerprint(
  model: LoadedModel,
  base: LoadedModel,
  options: ExtractOptions,
  plan: ExtractionPlan,
): string {
  const text = JSON.stringify({
    inputs: inputsDigest(
      new Map([
        ['model', model],
        ['base', base],
      ]),
    ),
    // An unset --lora-bias (the CLI) and a false one (the studio) are the same job.
    options: { ...options, loraBias: options.loraBias === true },
    modules: plan.modules.map((p) => (p.kind === 'whole' ? p.tensors : [p.module, p.rows, p.cols, p.dtype, p.bias ?? null])), // prettier-ignore
  });
  return `lora-${textFingerprint(text)}`;
}
