/**
 * Chromium driven over its DevTools pipe (`--remote-debugging-pipe`) with as little as the
 * benchmark needs: Runtime.evaluate on the page (and Inspector, to hear of a crash), Tracing for
 * memory dumps. No Network domain and no attached workers, as in a user's browser without
 * DevTools open.
 *
 * Why not Playwright here: it enables the Network domain in every worker it sees, and Chromium's
 * DevTools agent then copies the first megabytes of every fetch body the merge worker reads into
 * buffers of its own (kept for DevTools' response viewer). Measured on the browser benchmark
 * (docs/browser.md): 40-60 MB of the renderer's peak (Blink's `buffer` partition, 2 MB blocks per
 * request, against about 1 MB without it) and about half of the renderer's CPU while reading.
 * The e2e tests keep Playwright; only measurements need the browser as users run it.
 */
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

type Params = Record<string, unknown>;
type Handler = (params: Params) => void;

export interface PipeBrowser {
  /** Sends a command to the browser target (or to a session). */
  send<T = Params>(method: string, params?: Params, sessionId?: string): Promise<T>;
  /** Listens to an event of the browser target. */
  on(method: string, handler: Handler): () => void;
  /** The DevTools session of the page (for commands to the page itself). */
  readonly pageSession: string;
  /** Evaluates an expression in the page (awaiting a promise), returning its value as JSON. */
  evaluate<T>(expression: string): Promise<T>;
  close(): Promise<void>;
}

interface Waiter {
  resolve(r: Params): void;
  reject(e: Error): void;
  readonly method: string;
  readonly sessionId: string | undefined;
}

interface Reply {
  id?: number;
  method?: string;
  params?: Params;
  sessionId?: string;
  result?: Params;
  error?: { message: string };
}

/** Starts Chromium on `url` and attaches to that page once `ready` (an expression) is true. */
export async function launchOverPipe(
  executable: string,
  args: readonly string[],
  url: string,
  ready: string,
): Promise<PipeBrowser> {
  const child = spawn(executable, [...args, '--remote-debugging-pipe', url], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let gone: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (e) => (fail(new Error(`Chromium did not start: ${e.message}`)), resolve()));
  });
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;
  toBrowser.on('error', () => undefined); // a write after Chromium died: its exit says why

  let nextId = 1;
  const waiting = new Map<number, Waiter>();
  const handlers = new Map<string, Set<Handler>>();
  /** Every command still waiting fails (Chromium gone, or the page's session lost). */
  function fail(e: Error, sessionId?: string): void {
    if (sessionId === undefined) gone ??= e;
    for (const [id, w] of waiting)
      if (sessionId === undefined || w.sessionId === sessionId) {
        waiting.delete(id);
        w.reject(e);
      }
  }
  function dispatch(text: string): void {
    let m: Reply;
    try {
      m = JSON.parse(text) as Reply;
    } catch {
      return fail(new Error(`Chromium sent a message that is not JSON: ${text.slice(0, 200)}`));
    }
    if (m.id !== undefined) {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.error) w?.reject(new Error(`${w.method}: ${m.error.message}`));
      else w?.resolve(m.result ?? {});
      return;
    }
    // A crashed or detached page answers nothing more: what waits on it fails.
    if (m.method === 'Inspector.targetCrashed' && m.sessionId)
      fail(new Error(`the page crashed; Chromium's last output: ${stderr}`), m.sessionId);
    if (m.method === 'Target.detachedFromTarget' && typeof m.params?.['sessionId'] === 'string')
      fail(new Error('the page went away'), m.params['sessionId']);
    if (m.method && !m.sessionId) for (const h of handlers.get(m.method) ?? []) h(m.params ?? {});
  }
  let pending = '';
  fromBrowser.setEncoding('utf8'); // a character split between chunks stays whole
  fromBrowser.on('data', (d: string) => {
    // Only the new chunk is searched: a trace message can be megabytes long.
    let from = 0;
    for (let end = d.indexOf('\0'); end >= 0; end = d.indexOf('\0', from)) {
      const text = pending + d.slice(from, end);
      pending = '';
      from = end + 1;
      dispatch(text);
    }
    pending += d.slice(from);
  });
  void exited.then(() => fail(gone ?? new Error(`Chromium exited; its last output: ${stderr}`)));

  const send = <T = Params>(method: string, params: Params = {}, sessionId?: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (gone) return reject(new Error(`${method}: ${gone.message}`));
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (r: Params) => void, reject, method, sessionId });
      toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId && { sessionId }) }) + '\0');
    });
  const close = async (): Promise<void> => {
    await send('Browser.close').catch(() => undefined);
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  };

  try {
    const page = await pageTarget(send);
    const { sessionId } = await send<{ sessionId: string }>('Target.attachToTarget', {
      targetId: page,
      flatten: true,
    });
    await send('Inspector.enable', {}, sessionId); // so that a crash of the page is told
    const evaluate = async <T>(expression: string): Promise<T> => {
      const r = await send<{
        result: { value?: unknown };
        exceptionDetails?: { text: string; exception?: { description?: string } };
      }>('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId);
      if (r.exceptionDetails)
        throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
      return r.result.value as T;
    };
    const isReady = (): Promise<boolean> =>
      evaluate<boolean>(`Boolean(${ready})`).catch((e: unknown) => {
        if (betweenDocuments(e)) return false;
        throw e;
      });
    for (let i = 0; !(await isReady()); i++) {
      if (i > 600) throw new Error(`the page at ${url} did not get ready in a minute`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      send,
      pageSession: sessionId,
      evaluate,
      on(method, handler) {
        const set = handlers.get(method) ?? new Set<Handler>();
        handlers.set(method, set.add(handler));
        return () => set.delete(handler);
      },
      close,
    };
  } catch (e) {
    await close(); // a browser that never became usable is not left running
    throw e;
  }
}

/**
 * Whether an evaluation failed only because the page had no document yet (it was still
 * navigating: seen on a fast 16-core machine right after start). Not ready, not an error.
 */
export function betweenDocuments(e: unknown): boolean {
  return (
    e instanceof Error &&
    /Cannot find default execution context|Execution context was destroyed|Inspected target navigated or closed/.test(
      e.message,
    )
  );
}

/** The page Chromium opened on its command line's URL. */
async function pageTarget(send: PipeBrowser['send']): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const { targetInfos } = await send<{ targetInfos: { targetId: string; type: string }[] }>(
      'Target.getTargets',
    );
    const page = targetInfos.find((t) => t.type === 'page');
    if (page) return page.targetId;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('Chromium opened no page');
}
