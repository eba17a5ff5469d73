#!/usr/bin/env node
/** `npm start`: the studio's dev server (the local hub with the demo models joins it in the next step). */
import { spawn } from 'node:child_process';

const vite = spawn(process.execPath, ['node_modules/vite/bin/vite.js', ...process.argv.slice(2)], {
  stdio: 'inherit',
});
vite.on('exit', (code) => process.exit(code ?? 0));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => vite.kill(sig));
