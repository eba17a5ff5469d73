/**
 * One cancellable worker call as React state: idle, running (with progress), done (with the
 * result), failed (with the error's message, which the engine writes for users) or
 * cancelled. Starting again cancels the call in flight; leaving the page cancels too.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { PreviewCancelledError } from '../../../engine/preview-client.ts';

export interface TaskProgress {
  readonly done: number;
  readonly total: number;
  readonly label: string;
}

export type TaskState<R> =
  | { readonly status: 'idle' }
  | { readonly status: 'running'; readonly progress?: TaskProgress }
  | { readonly status: 'done'; readonly result: R }
  | { readonly status: 'failed'; readonly error: string }
  | { readonly status: 'cancelled' };

export type Start<R> = (signal: AbortSignal, report: (p: TaskProgress) => void) => Promise<R>;

export interface WorkerTask<R> {
  readonly state: TaskState<R>;
  run(start: Start<R>): Promise<void>;
  cancel(): void;
}

export function useWorkerTask<R>(): WorkerTask<R> {
  const [state, setState] = useState<TaskState<R>>({ status: 'idle' });
  const current = useRef<AbortController | undefined>(undefined);
  useEffect(() => () => current.current?.abort(), []);
  const run = useCallback(async (start: Start<R>) => {
    current.current?.abort();
    const ac = new AbortController();
    current.current = ac;
    setState({ status: 'running' });
    const report = (progress: TaskProgress): void => {
      if (current.current === ac) setState({ status: 'running', progress });
    };
    try {
      const result = await start(ac.signal, report);
      if (current.current === ac) setState({ status: 'done', result });
    } catch (e) {
      if (current.current !== ac) return;
      const cancelled = e instanceof PreviewCancelledError || ac.signal.aborted;
      setState(cancelled ? { status: 'cancelled' } : { status: 'failed', error: messageOf(e) });
    } finally {
      if (current.current === ac) current.current = undefined;
    }
  }, []);
  const cancel = useCallback(() => current.current?.abort(), []);
  return { state, run, cancel };
}

/** The error's own message (the engine's errors are written for users), with its kind when useful. */
export function messageOf(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const m = e.message.replace(/^Error: /, '');
  return m.charAt(0).toUpperCase() + m.slice(1) + (/[.!?]$/.test(m) ? '' : '.');
}
