/**
 * An extraction as the merge worker runs it (mergeApi.extractLora, ./api.ts): the request's
 * models resolved as a merge's are (opened folders, else the hub; `base+adapter` too), the
 * model card's command line built from the request (the CLI command that writes the same
 * files, ../lora-extract/invocation.ts), and the files written recorded for the result. The
 * page gets progress, log lines and this summary, never tensors.
 */
import { withAdapters } from '../io/lora/with-adapters.ts';
import type { FileWriter, OutputSink } from '../io/source.ts';
import { extractLora, type ModuleReport } from '../lora-extract/extract-lora.ts';
import type { ExtractProgress } from '../lora-extract/extract-progress.ts';
import { extractArgs, invocationOf } from '../lora-extract/invocation.ts';
import type { OutputFileInfo } from '../protocol.ts';
import type { LoraExtractRequest } from './requests.ts';
import { commandHub, type ResolvedSources } from './resolve-sources.ts';

export interface LoraCallbacks {
  onProgress(p: ExtractProgress): void;
  onLog(line: string): void;
}

export interface LoraExtractResult {
  readonly files: readonly OutputFileInfo[];
  /** adapter_config.json's r: the largest rank. */
  readonly rank: number;
  /** Each decomposed module with its rank, in the order written. */
  readonly modules: readonly ModuleReport[];
  readonly modulesToSave: readonly string[];
  /** Modules left out because no singular value was above the epsilon. */
  readonly emptyModules: readonly string[];
  /** Modules an earlier run into the folder had extracted. */
  readonly resumedModules: number;
  /** Tensors saved whole and bias changes (`… (as lora_B.bias)`). */
  readonly otherTensors: readonly string[];
  /** Bias changes were written (as lora_B.bias). */
  readonly biasDeltas: boolean;
  /** ...with lora_bias set (--lora-bias), so PEFT and `base+adapter` apply them. */
  readonly loraBias: boolean;
  /** The CLI command that extracts the same files (the model card's). */
  readonly invocation: string;
  readonly bytesWritten: number;
  readonly elapsedMs: number;
}

/** The sink, noting each file once it is complete and forgetting those removed (the result's list). */
function recording(sink: OutputSink, files: Map<string, number>): OutputSink {
  return {
    name: sink.name,
    async createFile(path, size): Promise<FileWriter> {
      const w = await sink.createFile(path, size);
      return {
        write: (offset, data) => w.write(offset, data),
        abort: () => w.abort(),
        async close() {
          await w.close();
          files.set(path, size);
        },
      };
    },
    async writeFile(path, data) {
      await sink.writeFile(path, data);
      files.set(path, typeof data === 'string' ? new TextEncoder().encode(data).byteLength : data.byteLength);
    },
    ...(sink.remove && {
      async remove(path: string) {
        await sink.remove!(path);
        files.delete(path);
      },
    }),
    // The checkpoint's (workers/lora-extract/checkpoint.ts): resume needs them.
    ...(sink.readFile && { readFile: (path: string) => sink.readFile!(path) }),
    ...(sink.sizeOf && { sizeOf: (path: string) => sink.sizeOf!(path) }),
    ...(sink.list && { list: () => sink.list!() }),
  };
}

export async function runLoraExtraction(
  request: LoraExtractRequest,
  sources: ResolvedSources,
  sink: OutputSink,
  callbacks: LoraCallbacks,
  signal?: AbortSignal,
): Promise<LoraExtractResult> {
  const started = Date.now();
  const resolve = withAdapters(sources.resolve);
  const [model, base] = await Promise.all([resolve(request.model, signal), resolve(request.base, signal)]);
  const invocation = invocationOf(
    extractArgs({
      model: request.model,
      base: request.base,
      out: request.outputName,
      options: request.options,
      hubUrl: commandHub(request.sources, [request.model, request.base]),
    }),
  );
  const written = new Map<string, number>();
  const summary = await extractLora({
    model,
    base,
    sink: recording(sink, written),
    options: request.options,
    card: {
      name: request.outputName,
      model: request.model,
      base: request.base,
      hubModels: sources.hubModels,
      invocation,
    },
    onLog: (line) => callbacks.onLog(line),
    onProgress: (p) => callbacks.onProgress(p),
    ...(signal && { signal }),
  });
  const files = [...written].map(([path, size]) => ({ path, size }));
  return {
    files,
    rank: summary.rank,
    modules: summary.loraModules,
    modulesToSave: summary.modulesToSave,
    emptyModules: summary.emptyModules,
    resumedModules: summary.resumedModules,
    otherTensors: summary.otherTensors,
    biasDeltas: summary.otherTensors.some((t) => t.endsWith('(as lora_B.bias)')),
    loraBias:
      request.options.loraBias === true && summary.otherTensors.some((t) => t.endsWith('(as lora_B.bias)')),
    invocation,
    bytesWritten: files.reduce((s, f) => s + f.size, 0),
    elapsedMs: Date.now() - started,
  };
}
