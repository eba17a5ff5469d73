// The `merge-studio eval` command, run as a user would (a child process through bin/).
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REFERENCE_LOSSES, TINYMIX } from './test-helpers.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/merge-studio.mjs');

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, 'eval', ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const model = (name: string): string => path.join(TINYMIX, `tinymix-${name}`);
const text = (name: string): string => path.join(TINYMIX, `eval-${name}.txt`);

describe('merge-studio eval', () => {
  it('prints the mean loss per text, matching tinymix-losses.json to 1e-3', async () => {
    const r = await cli(model('code-b'), '--text', text('general'));
    expect(r.code).toBe(0);
    const m = /^(\d+\.\d{4}) nats\/token {2}.*eval-general\.txt \(312 windows\)$/m.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(Math.abs(Number(m![1]) - REFERENCE_LOSSES['code-b'].general)).toBeLessThan(1e-3);
  });

  it('evaluates only the first K windows with --windows, and prints JSON with --json', async () => {
    const r = await cli(model('math'), '--text', text('math'), '--windows', '3', '--json');
    expect(r.code).toBe(0);
    const [row] = JSON.parse(r.stdout) as { loss: number; windows: number; availableWindows: number; tokens: number }[]; // prettier-ignore
    expect(row).toMatchObject({ windows: 3, availableWindows: 139, tokens: 384 });
    expect(row!.loss).toBeGreaterThan(1);
  });

  it('exits 2 with a message for a missing folder, a missing text, an unsupported model or bad usage', async () => {
    const missing = await cli(path.join(TINYMIX, 'nope'), '--text', text('math'));
    expect([missing.code, missing.stderr]).toEqual([
      2,
      expect.stringMatching(/model folder .*nope not found/),
    ]);
    const noText = await cli(model('math'), '--text', path.join(TINYMIX, 'nope.txt'));
    expect([noText.code, noText.stderr]).toEqual([
      2,
      expect.stringMatching(/cannot read text file .*nope\.txt/),
    ]);
    const gpt2 = await mkdtemp(path.join(os.tmpdir(), 'eval-cli-'));
    try {
      await writeFile(path.join(gpt2, 'config.json'), JSON.stringify({ architectures: ['GPT2LMHeadModel'] }));
      await writeFile(
        path.join(gpt2, 'model.safetensors'),
        Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d),
      ); // header "{}"
      const arch = await cli(gpt2, '--text', text('math'));
      expect([arch.code, arch.stderr]).toEqual([
        2,
        expect.stringMatching(/is a GPT2LMHeadModel; evaluation supports/),
      ]);
    } finally {
      await rm(gpt2, { recursive: true, force: true });
    }
    const usage = await cli(model('math'));
    expect(usage.code).toBe(2);
    const k = await cli(model('math'), '--text', text('math'), '--windows', 'two');
    expect([k.code, k.stderr]).toEqual([2, expect.stringMatching(/--windows must be a whole number/)]);
  });
});
