/**
 * The local hub in a process of its own, for the browser bench: its CPU seconds are then
 * measured apart from the bench's own (Vite, the memory sampler). Started by `forkHub`; sends
 * `{ url }` once it listens, closes and exits when the bench disconnects.
 *
 *   argv: <models folder> <delay ms> [<link bytes per second>]
 */
import { startHubServer } from '../../server/hub-server.ts';

const [root, delayMs, bytesPerSecond] = process.argv.slice(2);
const hub = await startHubServer({
  root: root!,
  port: 0,
  delayMs: Number(delayMs ?? 0),
  ...(bytesPerSecond && { bytesPerSecond: Number(bytesPerSecond) }),
});
process.send!({ url: hub.url });
process.once('disconnect', () => void hub.close().finally(() => process.exit(0)));
