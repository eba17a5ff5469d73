/**
 * Giving the worker's event loop a turn in the middle of long synchronous work, so that reads
 * in flight (fetch bodies, file reads) move their data into the engine's buffers and send
 * their next requests instead of waiting, buffered by the browser, until a tensor is done.
 */

/**
 * One channel for the realm, held here: a port that nothing refers to may be collected in a
 * browser before its message arrives, and the awaiting merge would then never resume.
 */
let channel: MessageChannel | undefined;
const waiting: (() => void)[] = [];

/**
 * A macrotask boundary: every pending promise step runs, and I/O callbacks get their turn.
 * setImmediate in Node; elsewhere a MessageChannel round trip, not setTimeout(0), which
 * browsers clamp to 4 ms when nested.
 */
export function yieldToEventLoop(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  if (immediate) return new Promise((resolve) => void immediate(resolve));
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => waiting.shift()?.();
  }
  const port = channel.port2;
  return new Promise((resolve) => {
    waiting.push(resolve);
    port.postMessage(null);
  });
}

/** Milliseconds of merging between two turns of the event loop. */
const YIELD_INTERVAL_MS = 16;

/**
 * A pause point for a long loop: calling it gives the event loop a turn once
 * YIELD_INTERVAL_MS have passed since the last one, and otherwise returns at once.
 */
export function eventLoopTurns(now = (): number => performance.now()): () => Promise<void> | undefined {
  let last = now();
  return () => {
    if (now() - last < YIELD_INTERVAL_MS) return undefined;
    return yieldToEventLoop().then(() => void (last = now()));
  };
}

/**
 * Runs a generator that yields at safe points to the end, with event-loop turns between, and
 * at each of them waits for `pause` when it returns a promise (e.g. writes to catch up). When
 * `pause` throws (a cancel) or its promise rejects, the generator is closed first, so that its
 * `finally` blocks give back what it holds.
 */
export async function drive(
  steps: Iterator<unknown>,
  now?: () => number,
  pause?: () => Promise<void> | undefined,
): Promise<void> {
  const turn = eventLoopTurns(now);
  let done = false;
  try {
    while (!(done = steps.next().done === true)) await (pause?.() ?? turn());
  } finally {
    if (!done) steps.return?.();
  }
}
