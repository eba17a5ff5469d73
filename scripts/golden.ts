/**
 * `npm run golden`: run every recipe of test-data/golden through the engine and compare with
 * mergekit's expected output. Prints one line per recipe and a summary; exits 1 on a failure.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { goldenRecipes, runGolden } from './lib/golden.ts';

const only = process.argv.slice(2);
const tmp = await mkdtemp(path.join(os.tmpdir(), 'golden-'));
let failed = 0;
const recipes = (await goldenRecipes()).filter((r) => only.length === 0 || only.includes(r));
for (const name of recipes) {
  const started = performance.now();
  try {
    const r = await runGolden(name, path.join(tmp, name));
    const ms = (performance.now() - started).toFixed(0);
    const detail = !r.ok
      ? r.failures.slice(0, 3).join('; ')
      : r.mode === 'statistical'
        ? 'random method: task-vector statistics within the reference bounds'
        : r.mode === 'bf16-ulp'
          ? 'every element within one bf16 ulp'
          : r.worst > 0
            ? `worst error ${(r.worst * 100).toFixed(1)}% of tolerance`
            : 'bit-exact';
    console.log(
      `${r.ok ? 'PASS' : 'FAIL'}  ${name.padEnd(30)} ${String(r.result.tensors).padStart(3)} tensors  ${ms.padStart(5)} ms  ${detail}`,
    );
    if (!r.ok) failed++;
  } catch (e) {
    failed++;
    console.log(`FAIL  ${name.padEnd(30)} ${(e as Error).message}`);
  }
}
await rm(tmp, { recursive: true, force: true });
console.log(`\n${recipes.length - failed} of ${recipes.length} golden recipes match mergekit`);
process.exit(failed ? 1 : 0);
