/**
 * AbortSignal across the worker boundary. A signal cannot be cloned (DataCloneError), so both
 * sides register this comlink transfer handler: the page sends a MessagePort, and the worker
 * gets a fresh signal that aborts when the page's does. Every long engine call takes one.
 */
import * as Comlink from 'comlink';

interface Serialized {
  readonly port: MessagePort;
  readonly aborted: boolean;
}

const handler: Comlink.TransferHandler<AbortSignal, Serialized> = {
  canHandle: (v): v is AbortSignal => typeof AbortSignal !== 'undefined' && v instanceof AbortSignal,
  serialize(signal) {
    const { port1, port2 } = new MessageChannel();
    if (!signal.aborted) signal.addEventListener('abort', () => port1.postMessage('abort'), { once: true });
    return [{ port: port2, aborted: signal.aborted }, [port2]];
  },
  deserialize({ port, aborted }) {
    const ac = new AbortController();
    if (aborted) ac.abort();
    port.onmessage = () => {
      ac.abort();
      port.close();
    };
    return ac.signal;
  },
};

let registered = false;

/** Idempotent: call once on each side before any call that passes a signal. */
export function registerAbortTransfer(): void {
  if (registered) return;
  Comlink.transferHandlers.set('abort-signal', handler as Comlink.TransferHandler<unknown, unknown>);
  registered = true;
}
