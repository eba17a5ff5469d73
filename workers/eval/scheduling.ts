/**
 * Yielding to the event loop between batches of work, so that a worker sees an AbortSignal's
 * abort (it arrives as a message) and progress reaches the page while a long evaluation runs.
 * A macrotask is needed: awaiting a resolved promise lets no message in. setTimeout(0) would do,
 * but nested timers are clamped to 4 ms, a tenth of a batch; a MessageChannel round trip is not.
 */
type Immediate = (cb: () => void) => unknown;

export function nextMacrotask(): Promise<void> {
  const setImmediate = (globalThis as { setImmediate?: Immediate }).setImmediate;
  if (setImmediate) return new Promise((resolve) => setImmediate(resolve)); // Node
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
