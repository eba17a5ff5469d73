/**
 * The one place that creates preview workers. Each call (an analysis, an evaluation, a sweep,
 * a soup, a generation) runs in its own module worker, wrapped with comlink: the tab never
 * freezes, calls can overlap, and the memory of an in-memory merge is returned the moment
 * the worker ends. Progress comes back through comlink-proxied callbacks. Aborting the signal
 * asks the engine to stop (it checks between batches); a worker that has not stopped within
 * a second is terminated, which is always safe: nothing is written anywhere.
 */
import * as Comlink from 'comlink';
import { registerAbortTransfer } from '../../workers/runtime/abort-transfer.ts';
import type {
  AnalysisProgress,
  AnalysisResult,
  AnalyzeRequest,
  EvaluateRequest,
  EvaluateResult,
  GenerateRequest,
  GenerateResult,
  GreedySoupResult,
  PreviewApi,
  PreviewProgress,
  SoupRequest,
  SoupStep,
  SweepPoint,
  SweepProgress,
  SweepRequest,
  SweepResult,
} from '../../workers/runtime/preview-api.ts';
import type { ModelSources } from '../../workers/runtime/requests.ts';

export class PreviewCancelledError extends Error {
  override readonly name: string = 'PreviewCancelledError';
  constructor() {
    super('Cancelled.');
  }
}

/** How long a cancelled worker gets to stop by itself before it is terminated. */
const CANCEL_GRACE_MS = 1000;

/** A promise and the function that rejects it (ES2024's Promise.withResolvers, for ES2023). */
function rejecter(): { promise: Promise<never>; reject: (e: Error) => void } {
  const box: { reject?: (e: Error) => void } = {};
  const promise = new Promise<never>((_, r) => {
    box.reject = r;
  });
  return { promise, reject: (e) => box.reject?.(e) };
}

/** Runs `call` on a fresh worker, ending the worker when the call settles or is cancelled. */
async function inWorker<T>(
  call: (api: Comlink.Remote<PreviewApi>) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  if (signal?.aborted) throw new PreviewCancelledError();
  registerAbortTransfer();
  const worker = new Worker(new URL('../../workers/runtime/preview.worker.ts', import.meta.url), {
    type: 'module',
  });
  const api = Comlink.wrap<PreviewApi>(worker);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const killed = rejecter();
  const onAbort = (): void => {
    timer = setTimeout(() => {
      worker.terminate();
      killed.reject(new PreviewCancelledError());
    }, CANCEL_GRACE_MS);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.race([
      call(api).catch((e: unknown) => {
        throw signal?.aborted ? new PreviewCancelledError() : e;
      }),
      killed.promise,
    ]);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    clearTimeout(timer);
    worker.terminate();
  }
}

export function analyzeRecipe(
  request: AnalyzeRequest,
  onProgress: (p: AnalysisProgress) => void,
  signal?: AbortSignal,
): Promise<AnalysisResult> {
  return inWorker((api) => api.analyze(request, Comlink.proxy({ onProgress }), signal), signal);
}

export function evaluateModels(
  request: EvaluateRequest,
  onProgress: (p: PreviewProgress) => void,
  signal?: AbortSignal,
): Promise<EvaluateResult> {
  return inWorker((api) => api.evaluate(request, Comlink.proxy({ onProgress }), signal), signal);
}

export function runSweep(
  request: SweepRequest,
  callbacks: { onProgress(p: SweepProgress): void; onPoint(p: SweepPoint): void },
  signal?: AbortSignal,
): Promise<SweepResult> {
  return inWorker((api) => api.sweep(request, Comlink.proxy(callbacks), signal), signal);
}

export function greedySoup(
  request: SoupRequest,
  onStep: (s: SoupStep) => void,
  signal?: AbortSignal,
): Promise<GreedySoupResult> {
  return inWorker((api) => api.soup(request, Comlink.proxy({ onStep }), signal), signal);
}

export function generateText(
  request: GenerateRequest,
  onText: (textSoFar: string) => void,
  signal?: AbortSignal,
): Promise<GenerateResult> {
  return inWorker((api) => api.generate(request, Comlink.proxy({ onText }), signal), signal);
}

/** The last position's logits of `inputIds` under `model` (parity checks). */
export function lastLogits(
  request: { sources: ModelSources; model: string; inputIds: readonly number[] },
  signal?: AbortSignal,
): Promise<{ logits: number[]; kernel: string }> {
  return inWorker((api) => api.lastLogits(request, signal), signal);
}
