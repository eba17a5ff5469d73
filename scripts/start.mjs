#!/usr/bin/env node
/**
 * `npm start`: the studio works offline out of the box. It starts
 *   1. the local hub serving the bundled demo models (test-data/tinymix) at
 *      http://127.0.0.1:5174, or at a free port when 5174 is taken, accepting uploads into
 *      .hub-uploads/ (git-ignored), so "Publish to the hub" works against it too, and
 *   2. Vite's dev server for the studio, with VITE_LOCAL_HUB_URL set to the hub's URL (the
 *      studio's default for it is http://127.0.0.1:5174),
 * and prints both URLs. Arguments go to Vite (`npm start -- --port 3000`). Ctrl-C stops both.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { register } from 'tsx/esm/api';

register();
const { DEFAULT_LOCAL_HUB_PORT, HubServerError, startHubServer } = await import('../server/hub-server.ts');
const { findServedRepos } = await import('../server/model-folders.ts');

const root = path.resolve(import.meta.dirname, '..');
const demo = path.join(root, 'test-data', 'tinymix');
// No write tokens: the hub answers only this machine's loopback pages and programs anyway.
const uploads = { root: path.join(root, '.hub-uploads') };

let hub;
try {
  hub = await startHubServer({ root: demo, port: DEFAULT_LOCAL_HUB_PORT, uploads });
} catch (e) {
  if (!(e instanceof HubServerError)) throw e;
  hub = await startHubServer({ root: demo, port: 0, uploads });
  console.log(`port ${DEFAULT_LOCAL_HUB_PORT} is taken: the demo hub uses ${hub.url} instead`);
}
const models = [...(await findServedRepos(demo, uploads.root)).keys()];

const vite = spawn(
  process.execPath,
  [path.join(root, 'node_modules/vite/bin/vite.js'), ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: ['inherit', 'pipe', 'inherit'],
    env: { ...process.env, VITE_LOCAL_HUB_URL: hub.url },
  },
);

// Vite picks another port when 5173 is taken: read the one it chose from its banner.
let told = false;
vite.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  // Vite colours its banner: strip the ANSI escapes before matching.
  // oxlint-disable-next-line no-control-regex
  const m = /Local:\s+(http\S+)/.exec(String(chunk).replace(/\x1b\[[0-9;]*m/g, ''));
  if (m && !told) {
    told = true;
    console.log(`\n  Merge Studio:  ${m[1]}`);
    console.log(`  Demo hub:      ${hub.url}  (${models.length} models: ${models.join(', ')})`);
    console.log(`                 the studio can publish to it (into .hub-uploads/)\n`);
  }
});

const stop = async (code) => {
  await hub.close();
  process.exit(code);
};
vite.on('exit', (code) => void stop(code ?? 0));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => vite.kill(sig));
