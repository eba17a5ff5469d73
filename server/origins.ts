/**
 * Which web pages may read the local hub. A page on any origin can send requests to
 * http://127.0.0.1:5174; CORS decides whether it may read the answers, and the hub serves a
 * user's own folders (private fine-tunes, say), so `Access-Control-Allow-Origin: *` would let
 * every site the user visits list and download them.
 *
 * Allowed by default: pages served from this machine's loopback interface (localhost,
 * 127.0.0.1, [::1]) on any port. Those are the studio's own origins: the Vite dev server
 * (5173, or the next free port, or `npm start -- --port N`), `vite preview`, the e2e suite's
 * server (E2E_PORT) and the benchmarks' harness servers (a free port each run), so no fixed
 * list of ports would do. A site elsewhere gets nothing unless the hub is started with
 * `allowOrigins` (`merge-studio serve --allow-origin ORIGIN`, `*` for every origin).
 *
 * Requests without an Origin header (curl, Node, the CLI) are not CORS requests and are
 * always answered. A page that has a DNS name rebound to 127.0.0.1 reads the hub as its own
 * origin, without CORS; `isLoopbackHost` lets the server refuse such requests by their Host.
 */
import { isLoopbackHostname } from '../workers/io/loopback.ts';

/** `*`, or an origin as a browser sends it (`https://studio.example`), else undefined. */
export function normalizeOrigin(value: string): string | undefined {
  if (value === '*') return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  const bare = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
  return (url.protocol === 'http:' || url.protocol === 'https:') && bare ? url.origin : undefined;
}

/** Whether a request's Origin header names a page allowed to read the hub. */
export function isAllowedOrigin(origin: string, allowed: readonly string[] = []): boolean {
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // `null` (a sandboxed frame, a file: page) among others
  }
  return (
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.origin === origin &&
    isLoopbackHostname(url.hostname)
  );
}

/** Whether the server binds to a loopback address (`127.0.0.1`, `::1`, `localhost`). */
export function isLoopbackAddress(address: string): boolean {
  return isLoopbackHost(address.includes(':') && !address.startsWith('[') ? `[${address}]` : address);
}

/** Whether a Host header names this machine's loopback interface (any port). */
export function isLoopbackHost(host: string): boolean {
  try {
    return isLoopbackHostname(new URL(`http://${host}`).hostname);
  } catch {
    return false;
  }
}
