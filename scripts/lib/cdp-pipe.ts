/**
 * Chromium driven over its DevTools pipe (`--remote-debugging-pipe`) with as little as the
 * benchmark needs: Runtime.evaluate on the page, and Tracing for memory dumps. No Network domain
 * and no attached workers, as in a user's browser without DevTools open.
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
  /** Evaluates an expression in the page (awaiting a promise), returning its value as JSON. */
  evaluate<T>(expression: string): Promise<T>;
  close(): Promise<void>;
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
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;

  let nextId = 1;
  const waiting = new Map<number, { resolve(r: Params): void; reject(e: Error): void; method: string }>();
  const handlers = new Map<string, Set<Handler>>();
  let pending = '';
  fromBrowser.on('data', (d: Buffer) => {
    const parts = (pending + d.toString()).split('\0');
    pending = parts.pop()!;
    for (const part of parts) {
      const m = JSON.parse(part) as Reply;
      if (m.id !== undefined) {
        const w = waiting.get(m.id);
        waiting.delete(m.id);
        if (m.error) w?.reject(new Error(`${w.method}: ${m.error.message}`));
        else w?.resolve(m.result ?? {});
      } else if (m.method && !m.sessionId) {
        for (const h of handlers.get(m.method) ?? []) h(m.params ?? {});
      }
    }
  });
  let gone = false;
  void exited.then(() => {
    gone = true;
    for (const w of waiting.values())
      w.reject(new Error(`Chromium exited (${w.method}); its last output: ${stderr}`));
    waiting.clear();
  });

  const send = <T = Params>(method: string, params: Params = {}, sessionId?: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (gone) return reject(new Error(`Chromium exited (${method}); its last output: ${stderr}`));
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (r: Params) => void, reject, method });
      toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId && { sessionId }) }) + '\0');
    });

  const page = await pageTarget(send);
  const { sessionId } = await send<{ sessionId: string }>('Target.attachToTarget', {
    targetId: page,
    flatten: true,
  });
  const evaluate = async <T>(expression: string): Promise<T> => {
    const r = await send<{
      result: { value?: unknown };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    }>('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId);
    if (r.exceptionDetails)
      throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
    return r.result.value as T;
  };
  for (let i = 0; !(await evaluate<boolean>(`Boolean(${ready})`)); i++) {
    if (i > 600) throw new Error(`the page at ${url} did not get ready in a minute`);
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    send,
    evaluate,
    on(method, handler) {
      const set = handlers.get(method) ?? new Set<Handler>();
      handlers.set(method, set.add(handler));
      return () => set.delete(handler);
    },
    async close() {
      await send('Browser.close').catch(() => undefined);
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
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
