/**
 * A Node worker thread (or its parentPort) as a comlink endpoint: Node's ports deliver the
 * message itself to 'message' listeners, where comlink expects a browser MessageEvent.
 */
import type { MessagePort, Worker } from 'node:worker_threads';
import type { Endpoint } from 'comlink';

type Listener = Parameters<Endpoint['addEventListener']>[1];

export function nodeEndpoint(port: Worker | MessagePort): Endpoint {
  const wrapped = new Map<Listener, (data: unknown) => void>();
  return {
    postMessage: (message: unknown, transfer?: Transferable[]) =>
      port.postMessage(message, transfer as never),
    addEventListener: (_type: string, listener: Listener) => {
      const onMessage = (data: unknown): void => {
        const event = { data } as MessageEvent;
        if (typeof listener === 'function') listener(event);
        else listener.handleEvent(event);
      };
      wrapped.set(listener, onMessage);
      port.on('message', onMessage);
    },
    removeEventListener: (_type: string, listener: Listener) => {
      const onMessage = wrapped.get(listener);
      if (!onMessage) return;
      port.off('message', onMessage);
      wrapped.delete(listener);
    },
  };
}
