/**
 * Progress of a tokensurgeon run, for the studio (the CLI logs a line every 10 s instead):
 * loading (headers, vocabularies, the embedding matrices), approximating each rebuilt matrix
 * (tokens done of its new tokens, with an estimate of the time left for that matrix), writing
 * (tensors done of the model's; tensors of shards an earlier run finished count as done), done.
 * Events come at most every `intervalMs`; a phase or matrix change always gets one.
 */

export type SurgeryPhase = 'loading' | 'approximating' | 'writing' | 'done';

export interface SurgeryProgress {
  readonly phase: SurgeryPhase;
  /** The matrix being rebuilt, its place (1-based) and how many there are (1, or 2 with a head). */
  readonly matrix?: { readonly name: string; readonly index: number; readonly of: number };
  /** New tokens approximated so far in this matrix, of tokensTotal. */
  readonly tokensDone: number;
  readonly tokensTotal: number;
  /** Tensors written (or resumed), of the output's. */
  readonly tensorsDone: number;
  readonly tensorsTotal: number;
  readonly elapsedMs: number;
  /** The time left for this matrix's approximation, once some tokens are done. */
  readonly etaMs?: number;
}

export interface SurgeryTracker {
  approximating(name: string, index: number, of: number): (done: number, total: number) => void;
  writing(tensorsTotal: number): () => void;
  done(): void;
}

export function surgeryTracker(
  onProgress: ((p: SurgeryProgress) => void) | undefined,
  intervalMs = 100,
  now: () => number = Date.now,
): SurgeryTracker {
  const started = now();
  let state: Omit<SurgeryProgress, 'elapsedMs' | 'etaMs'> = {
    phase: 'loading',
    tokensDone: 0,
    tokensTotal: 0,
    tensorsDone: 0,
    tensorsTotal: 0,
  };
  let matrixStarted = started;
  let last = -Infinity;
  const emit = (force: boolean): void => {
    const t = now();
    if (!onProgress || (!force && t - last < intervalMs)) return;
    last = t;
    const { tokensDone, tokensTotal } = state;
    const spent = t - matrixStarted;
    const eta =
      state.phase === 'approximating' && tokensDone > 0 && tokensDone < tokensTotal
        ? (spent * (tokensTotal - tokensDone)) / tokensDone
        : undefined;
    onProgress({ ...state, elapsedMs: t - started, ...(eta !== undefined && { etaMs: eta }) });
  };
  emit(true);
  return {
    approximating(name, index, of) {
      matrixStarted = now();
      state = {
        ...state,
        phase: 'approximating',
        matrix: { name, index, of },
        tokensDone: 0,
        tokensTotal: 0,
      };
      emit(true);
      return (done, total) => {
        const known = state.tokensTotal === total;
        state = { ...state, tokensDone: done, tokensTotal: total };
        emit(!known || done === total);
      };
    },
    writing(tensorsTotal) {
      const { matrix: _m, ...rest } = state;
      state = { ...rest, phase: 'writing', tokensDone: 0, tokensTotal: 0, tensorsDone: 0, tensorsTotal };
      emit(true);
      return () => {
        state = { ...state, tensorsDone: state.tensorsDone + 1 };
        emit(state.tensorsDone === state.tensorsTotal);
      };
    },
    done() {
      state = { ...state, phase: 'done' };
      emit(true);
    },
  };
}
