/**
 * Progress of an extraction, for the studio (the CLI prints one log line a module instead):
 * modules decomposed of those planned, the one being decomposed, the time so far and an
 * estimate of the time left. Events come at most every `intervalMs` (a phase change always
 * gets one), so a model of hundreds of small modules does not flood the page.
 *
 * The estimate weighs each module by the cost of its SVD rather than counting modules: a
 * module's SVD costs about rows x cols x min(short side, k) operations, where k is the short
 * side for the exact method (small modules) and max rank + 64 oversampling directions for the
 * randomized one (./linalg/truncated-svd.ts). An lm_head next to the attention matrices weighs
 * what it costs.
 *
 * The SVD blocks the worker, so nothing can be sent while a module is decomposed: a big
 * module's start is always reported (else the page would name the module before it for as
 * long as this one takes), a small one's only when the throttle allows.
 */
import type { LoraModule } from './plan-extraction.ts';

export type ExtractPhase = 'loading' | 'extracting' | 'writing' | 'done';

export interface ExtractProgress {
  readonly phase: ExtractPhase;
  /** LoRA modules decomposed so far, of modulesTotal (modules saved whole are not counted). */
  readonly modulesDone: number;
  readonly modulesTotal: number;
  /** The module being decomposed. */
  readonly currentModule?: string;
  readonly elapsedMs: number;
  /** Estimated time left, once a module is done. */
  readonly etaMs?: number;
}

export interface ProgressTracker {
  phase(phase: ExtractPhase): void;
  started(p: LoraModule): void;
  finished(p: LoraModule): void;
}

/** The randomized SVD's oversampling (linalg/truncated-svd.ts): its k is rank + this. */
const OVERSAMPLING = 64;
/** Modules with a short side up to this take the exact method, whatever the rank. */
const EXACT_SIDE = 256;
/**
 * A module this costly takes a good part of a second at least (a 4096 x 4096 module at rank
 * 128 weighs 4.3e9 and took 10 s here, docs/extract-lora.md): its start is reported unthrottled.
 */
const BIG_WORK = 2 ** 28;

export function moduleWork(p: Pick<LoraModule, 'rows' | 'cols'>, maxRank: number): number {
  const short = Math.min(p.rows, p.cols);
  return p.rows * p.cols * Math.min(short, Math.max(EXACT_SIDE, maxRank + OVERSAMPLING));
}

export function progressTracker(
  onProgress: ((p: ExtractProgress) => void) | undefined,
  modules: readonly LoraModule[],
  maxRank: number,
  intervalMs = 100,
): ProgressTracker {
  const started = Date.now();
  const total = modules.reduce((s, p) => s + moduleWork(p, maxRank), 0);
  let phase: ExtractPhase = 'loading';
  let done = 0;
  let workDone = 0;
  let current: string | undefined;
  let last = -Infinity;
  const emit = (force: boolean): void => {
    const now = Date.now();
    if (!onProgress || (!force && now - last < intervalMs)) return;
    last = now;
    const elapsedMs = now - started;
    onProgress({
      phase,
      modulesDone: done,
      modulesTotal: modules.length,
      ...(current !== undefined && phase === 'extracting' && { currentModule: current }),
      elapsedMs,
      ...(workDone > 0 && total > 0 && { etaMs: (elapsedMs * (total - workDone)) / workDone }),
    });
  };
  return {
    phase(p) {
      phase = p;
      emit(true);
    },
    started(p) {
      current = p.module;
      emit(moduleWork(p, maxRank) >= BIG_WORK);
    },
    finished(p) {
      done++;
      workDone += moduleWork(p, maxRank);
      emit(false);
    },
  };
}
