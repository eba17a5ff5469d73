/**
 * One publish of a finished job's folder, as the panel shows it: runs in its own merge worker
 * (src/engine/merge-client.ts), with progress, cancel and the result or error. The token goes
 * to the worker in memory, for the hub's origin only; it is never put in the state shown.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { MergeCancelledError, startPublish, type MergeHandle } from '../../engine/merge-client.ts';
import type { PublishProgress, PublishResult } from '../../../workers/runtime/api.ts';
import type { PublishJobRequest, SaveTarget } from '../../../workers/runtime/requests.ts';

export type PublishState =
  | { readonly status: 'idle' }
  | {
      readonly status: 'running';
      readonly progress: PublishProgress | undefined;
      readonly log: readonly string[];
    }
  | { readonly status: 'done'; readonly result: PublishResult }
  | { readonly status: 'failed' | 'cancelled'; readonly error: string };

export function usePublish(): {
  state: PublishState;
  start(request: PublishJobRequest, target: SaveTarget): void;
  cancel(): void;
  reset(): void;
} {
  const [state, setState] = useState<PublishState>({ status: 'idle' });
  const handle = useRef<MergeHandle<PublishResult> | undefined>(undefined);
  // A panel that goes away (a new merge started) stops its upload.
  useEffect(() => () => handle.current?.cancel(), []);
  const start = useCallback((request: PublishJobRequest, target: SaveTarget) => {
    setState({ status: 'running', progress: undefined, log: [] });
    const h = startPublish(request, target, {
      onProgress: (progress) => setState((s) => (s.status === 'running' ? { ...s, progress } : s)),
      onLog: (line) =>
        setState((s) => (s.status === 'running' ? { ...s, log: [...s.log, line].slice(-5) } : s)),
    });
    handle.current = h;
    h.result.then(
      (result) => setState({ status: 'done', result }),
      (e: unknown) =>
        setState({
          status: e instanceof MergeCancelledError ? 'cancelled' : 'failed',
          error: e instanceof Error ? e.message : String(e),
        }),
    );
  }, []);
  const cancel = useCallback(() => handle.current?.cancel(), []);
  const reset = useCallback(() => setState({ status: 'idle' }), []);
  return { state, start, cancel, reset };
}
