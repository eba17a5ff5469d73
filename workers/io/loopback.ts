/**
 * This machine's loopback names, as a URL's `hostname` writes them: the one list behind every
 * "on this machine" rule (a token over plain http, a hub from a link used without asking, the
 * local hub's allowed pages and Host check).
 */
const LOOPBACK_HOSTNAMES: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

export const isLoopbackHostname = (hostname: string): boolean => LOOPBACK_HOSTNAMES.has(hostname);
