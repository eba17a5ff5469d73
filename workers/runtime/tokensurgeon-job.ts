/**
 * A tokensurgeon run as the merge worker runs it (mergeApi.transplantTokenizer, ./api.ts): the
 * request's models resolved as a merge's are (opened folders, else the hub; `base+adapter`
 * too), the run itself (../tokensurgeon/run-tokensurgeon.ts, the CLI's), and the command line
 * that runs the same with the CLI. The page gets progress, log lines and this summary, never
 * tensors.
 */
import { withAdapters } from '../io/lora/with-adapters.ts';
import type { ModelSource, OutputSink } from '../io/source.ts';
import { surgeryInvocation } from '../tokensurgeon/invocation.ts';
import { previewSurgery, type PreviewIo, type SurgeryPlanSummary } from '../tokensurgeon/preview-surgery.ts';
import { runTokenSurgeon, type TokenSurgeonResult } from '../tokensurgeon/run-tokensurgeon.ts';
import type { SurgeryProgress } from '../tokensurgeon/surgery-progress.ts';
import type { TokenSurgeonPlanRequest, TokenSurgeonRequest } from './requests.ts';
import { commandHub, type ResolvedSources } from './resolve-sources.ts';

export interface SurgeryCallbacks {
  onProgress(p: SurgeryProgress): void;
  onLog(line: string): void;
}

export interface SurgeryJobResult extends TokenSurgeonResult {
  /** The CLI command that writes the same files. */
  readonly invocation: string;
  readonly bytesWritten: number;
}

export type { SurgeryPlanSummary };

/** The model and the donor, resolved as a merge's models are (`base+adapter` too). */
function resolveBoth(
  request: TokenSurgeonPlanRequest,
  sources: ResolvedSources,
  signal?: AbortSignal,
): Promise<[ModelSource, ModelSource]> {
  const resolve = withAdapters(sources.resolve);
  return Promise.all([resolve(request.model, signal), resolve(request.donor, signal)]);
}

export async function runSurgeryJob(
  request: TokenSurgeonRequest,
  sources: ResolvedSources,
  sink: OutputSink,
  callbacks: SurgeryCallbacks,
  signal?: AbortSignal,
): Promise<SurgeryJobResult> {
  const [model, donor] = await resolveBoth(request, sources, signal);
  const result = await runTokenSurgeon({
    model,
    donor,
    sink,
    options: request.options,
    ...(request.maxShardBytes !== undefined && { maxShardBytes: request.maxShardBytes }),
    ...(signal && { signal }),
    onLog: (line) => callbacks.onLog(line),
    onProgress: (p) => callbacks.onProgress(p),
  });
  return {
    ...result,
    invocation: surgeryInvocation({
      model: request.model,
      donor: request.donor,
      out: request.outputName,
      options: request.options,
      hubUrl: commandHub(request.sources, [request.model, request.donor]),
    }),
    bytesWritten: result.files.reduce((s, f) => s + f.size, 0),
  };
}

export async function planSurgeryJob(
  request: TokenSurgeonPlanRequest,
  sources: ResolvedSources,
  io: PreviewIo,
  signal?: AbortSignal,
): Promise<SurgeryPlanSummary> {
  const [model, donor] = await resolveBoth(request, sources, signal);
  return previewSurgery(model, donor, request.options, {
    io,
    ...(request.maxShardBytes !== undefined && { maxShardBytes: request.maxShardBytes }),
    ...(signal && { signal }),
  });
}
