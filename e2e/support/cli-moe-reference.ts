/**
 * The CLI's output for a MoE config, as sha256 per file: `merge-studio moe` run as a user runs
 * it (bin/merge-studio.mjs, the tinymix models as `--models`), what the studio must reproduce.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO, TINYMIX } from './hub.ts';

/** `outputName` is the output folder's name, which the model card takes as its title. */
export async function cliMoeReference(
  configText: string,
  outputName: string,
): Promise<Record<string, string>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'e2e-moe-ref-'));
  try {
    const config = path.join(dir, 'moe.yml');
    await writeFile(config, configText);
    const out = path.join(dir, outputName);
    await promisify(execFile)(
      process.execPath,
      [path.join(REPO, 'bin/merge-studio.mjs'), 'moe', config, '--models', TINYMIX, '--out', out],
      { cwd: REPO },
    );
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
