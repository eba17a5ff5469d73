/**
 * The CLI's adapter, as sha256 per file: `merge-studio extract-lora ARGS` run as a user runs it
 * (bin/merge-studio.mjs), in a fresh working directory so that `--out NAME` is the folder NAME
 * there, as the studio's command line says it. What the studio must reproduce.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO } from './hub.ts';

/** `args` follow `merge-studio extract-lora`, `--out outputName` among them. */
export async function cliLoraReference(
  args: readonly string[],
  outputName: string,
): Promise<Record<string, string>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'e2e-lora-ref-'));
  try {
    await promisify(execFile)(
      process.execPath,
      [path.join(REPO, 'bin/merge-studio.mjs'), 'extract-lora', ...args],
      {
        cwd: dir,
      },
    );
    const out = path.join(dir, outputName);
    const files: Record<string, string> = {};
    for (const f of await readdir(out))
      files[f] = createHash('sha256')
        .update(await readFile(path.join(out, f)))
        .digest('hex');
    return files;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
