/**
 * Acceptance (CLI): `merge --hub-url` against the local hub writes the same files as
 * `merge --models`, also through injected faults; a gated repo needs --token or HF_TOKEN, which
 * never appears in the output or the terminal; `validate` prints the compatibility report;
 * `serve` offers a folder until interrupted.
 */
import { execFile, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { GOLDEN_DIR, MODELS_DIR, ROOT } from '../scripts/lib/golden.ts';
import { startHubServer, type HubServer, type HubServerOptions } from './hub-server.ts';

const run = promisify(execFile);
const BIN = path.join(ROOT, 'bin/merge-studio.mjs');
const RECIPE = path.join(GOLDEN_DIR, 'ties-gradient', 'recipe.yml');
const TOKEN = 'hf_CliTokenThatMustNeverLeak7';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'cli-hub-'));
const servers: HubServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await rm(tmp, { recursive: true, force: true });
});

async function hub(opts: Partial<HubServerOptions> = {}): Promise<HubServer> {
  const s = await startHubServer({ root: MODELS_DIR, ...opts });
  servers.push(s);
  return s;
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI asynchronously (the hub answers from this process meanwhile). */
async function cli(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<CliResult> {
  const clean = { ...process.env, HF_TOKEN: '', HF_ENDPOINT: '', ...env };
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: clean, cwd });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const r = e as { code: number; stdout: string; stderr: string };
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  }
}

async function folderFiles(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const f of (await readdir(dir)).sort()) out.set(f, await readFile(path.join(dir, f)));
  return out;
}

let reference: Map<string, Buffer> | undefined;
async function referenceFiles(): Promise<Map<string, Buffer>> {
  if (!reference) {
    const dir = path.join(tmp, 'ref');
    const r = await cli(['merge', RECIPE, '--models', MODELS_DIR, '--out', dir, '--name', 'merged']);
    expect(r.code, r.stderr).toBe(0);
    reference = await folderFiles(dir);
  }
  return reference;
}

async function expectSameAsReference(dir: string): Promise<Map<string, Buffer>> {
  const got = await folderFiles(dir);
  const ref = await referenceFiles();
  expect([...got.keys()]).toEqual([...ref.keys()]);
  for (const [f, bytes] of got) expect(bytes.equals(ref.get(f)!), f).toBe(true);
  return got;
}

describe('merge-studio with a hub', () => {
  it('merge --hub-url writes the same files as merge --models, and reports its requests', async () => {
    const s = await hub();
    const out = path.join(tmp, 'plain');
    const r = await cli(['merge', RECIPE, '--hub-url', s.url, '--out', out, '--name', 'merged']);
    expect(r.code, r.stderr).toBe(0);
    await expectSameAsReference(out);
    expect(r.stderr).toContain(`hub: 32 HTTP requests to ${s.url}\n`);
  });

  it('rides out every 5th request failing and truncated bodies, showing the retries', async () => {
    const s = await hub({ failEvery: 5, truncateEvery: 4, truncateMode: 'cut' });
    const out = path.join(tmp, 'faulty');
    const r = await cli(['merge', RECIPE, '--hub-url', s.url, '--out', out, '--name', 'merged']);
    expect(r.code, r.stderr).toBe(0);
    await expectSameAsReference(out);
    const retries = r.stderr.split('\n').filter((l) => /^hub: .*; try \d of 6 in/.test(l));
    expect(retries.length).toBe(s.counters.failed + s.counters.truncated);
    expect(r.stderr).toMatch(/hub: \d+ HTTP requests to .* \(\d+ retried\)/);
  });

  it('needs a token for a gated repo (exit 2), works with --token or HF_TOKEN for $HF_ENDPOINT, never shows it', async () => {
    const s = await hub({ tokens: { 'tinymix-math': TOKEN } });
    const denied = await cli(['merge', RECIPE, '--hub-url', s.url, '--out', path.join(tmp, 'denied')]);
    expect(denied.code).toBe(2);
    expect(denied.stderr).toContain(
      'error: tinymix-math on ' +
        `${s.url}: this model is gated or private: accept its licence on its Hub page and give a token with read access` +
        ' (no token was given: HTTP 401; give it with --token; HF_TOKEN goes only to huggingface.co or $HF_ENDPOINT)',
    );
    // $HF_TOKEN goes only to huggingface.co or $HF_ENDPOINT: not to any other --hub-url.
    const envElsewhere = await cli(
      ['merge', RECIPE, '--hub-url', s.url, '--out', path.join(tmp, 'denied-env')],
      {
        HF_TOKEN: TOKEN,
      },
    );
    expect(envElsewhere.code).toBe(2);
    expect(envElsewhere.stderr).toContain(
      `HF_TOKEN is not sent to ${s.url} (only to huggingface.co or $HF_ENDPOINT)`,
    );
    const viaEnv = path.join(tmp, 'gated-env');
    const r1 = await cli(['merge', RECIPE, '--hub-url', s.url, '--out', viaEnv, '--name', 'merged'], {
      HF_TOKEN: TOKEN,
      HF_ENDPOINT: s.url,
    });
    expect(r1.code, r1.stderr).toBe(0);
    const viaFlag = path.join(tmp, 'gated-flag');
    const r2 = await cli([
      'merge',
      RECIPE,
      '--hub-url',
      s.url,
      '--token',
      TOKEN,
      '--out',
      viaFlag,
      '--name',
      'merged',
    ]);
    expect(r2.code, r2.stderr).toBe(0);
    for (const dir of [viaEnv, viaFlag]) {
      for (const [f, bytes] of await expectSameAsReference(dir)) expect(bytes.includes(TOKEN), f).toBe(false);
    }
    for (const text of [
      denied.stdout,
      denied.stderr,
      envElsewhere.stderr,
      r1.stdout,
      r1.stderr,
      r2.stdout,
      r2.stderr,
    ]) {
      expect(text).not.toContain(TOKEN);
    }
  });

  it('validate --hub-url prints the compatibility report; a local folder wins over the hub', async () => {
    const s = await hub();
    const r = await cli(['validate', RECIPE, '--hub-url', s.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      [
        'tinymix-base (base): LlamaForCausalLM, 4 layers, hidden 128, vocab 260, BF16, 0.80M params',
        'tinymix-code: LlamaForCausalLM, 4 layers, hidden 128, vocab 260, BF16, 0.80M params',
        'tinymix-math: LlamaForCausalLM, 4 layers, hidden 128, vocab 260, BF16, 0.80M params',
        'compatible',
        `${RECIPE}: valid; with these models it writes 39 tensors in 4 layers`,
        '',
      ].join('\n'),
    );
    expect(r.stderr).toContain('hub: 22 HTTP requests');
    const both = await cli(['validate', RECIPE, '--hub-url', s.url, '--models', MODELS_DIR]);
    expect(both.code, both.stderr).toBe(0);
    expect(both.stderr).not.toContain('hub:'); // every model was a local folder: no request
    const missing = await cli([
      'validate',
      RECIPE.replace('ties-gradient', 'linear-soup'),
      '--hub-url',
      s.url,
      '--models',
      tmp,
    ]);
    expect(missing.code, missing.stderr).toBe(0); // not in tmp: read from the hub
  });

  it('reads local paths (absolute, or from the working directory) beside hub repos, as mergekit', async () => {
    const s = await hub();
    const work = path.join(tmp, 'work');
    await cp(path.join(MODELS_DIR, 'tinymix-code'), path.join(work, 'models/tinymix-code'), {
      recursive: true,
    });
    const math = path.join(MODELS_DIR, 'tinymix-math');
    const text = (await readFile(RECIPE, 'utf8'))
      .replace('model: tinymix-code', 'model: ./models/tinymix-code')
      .replace('model: tinymix-math', `model: ${math}`);
    await writeFile(path.join(work, 'mixed.yml'), text);
    const args = ['merge', 'mixed.yml', '--hub-url', s.url, '--out', 'out', '--name', 'merged'];
    const r = await cli(args, {}, work);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/hub: \d+ HTTP requests/); // tinymix-base, from the hub
    const got = await folderFiles(path.join(work, 'out'));
    const ref = await referenceFiles();
    expect([...got.keys()]).toEqual([...ref.keys()]);
    for (const [f, bytes] of got) {
      // Only the model card and the recipe copy name the models differently.
      if (f !== 'README.md' && f !== 'mergekit_config.yml') expect(bytes.equals(ref.get(f)!), f).toBe(true);
    }
    const card = String(got.get('README.md'));
    expect(card).toContain('base_model: []');
    expect(card).toContain(`* ${math}\n`);

    await writeFile(
      path.join(work, 'typo.yml'),
      text.replace('./models/tinymix-code', './models/tinymix-cod'),
    );
    const typo = await cli(['validate', 'typo.yml', '--hub-url', s.url], {}, work);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe(
      `error: model './models/tinymix-cod' not found: no folder ${path.join(work, 'models/tinymix-cod')}\n`,
    );
  });

  it('validates the review case: an absolute path and a ../ path, never asking the hub', async () => {
    const recipe = path.join(tmp, 'abs-path.yml');
    await writeFile(
      recipe,
      [
        'merge_method: linear',
        'models:',
        `  - model: ${path.join(MODELS_DIR, 'tinymix-code')}`,
        '    parameters: {weight: 1}',
        '  - model: ../tinymix/tinymix-math',
        '    parameters: {weight: 1}',
        '',
      ].join('\n'),
    );
    // Port 9 (discard) serves nothing: any hub request would fail.
    const r = await cli(['validate', recipe, '--hub-url', 'http://127.0.0.1:9'], {}, GOLDEN_DIR);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${recipe}: valid; with these models it writes 39 tensors in 4 layers\n`);
    expect(r.stderr).toBe('');
  });

  it('serve DIR offers the folder until interrupted, to pages on this machine and --allow-origin', async () => {
    const args = [BIN, 'serve', MODELS_DIR, '--port', '0', '--allow-origin', 'https://studio.example'];
    const child = spawn(process.execPath, args, { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += String(d);
        const m = / at (http:\/\/\S+)\n/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', () => reject(new Error(`serve exited: ${out}`)));
    });
    const models = (await (await fetch(`${url}/api/models?search=law`)).json()) as { id: string }[];
    expect(models.map((m) => m.id)).toEqual(['tinymix-law']);
    const origin = async (o: string) => {
      const r = await fetch(`${url}/api/models?search=law`, { headers: { Origin: o } });
      return [r.status, r.headers.get('Access-Control-Allow-Origin')];
    };
    expect(await origin('https://studio.example')).toEqual([200, 'https://studio.example']);
    expect(await origin('http://localhost:5173')).toEqual([200, 'http://localhost:5173']);
    expect(await origin('https://evil.example')).toEqual([403, null]);
    const code = await new Promise<number | null>((resolve) => {
      child.on('close', resolve); // after its output is read, unlike 'exit'
      child.kill('SIGINT');
    });
    expect(code).toBe(0);
    expect(stderr).toContain(
      'refused a page on "https://evil.example": if it is your studio, restart with --allow-origin "https://evil.example"',
    );
    const bad = await cli(['serve', MODELS_DIR, '--port', '0', '--allow-origin', 'studio.example']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('--allow-origin wants an origin')]);
    const emptyDir = path.join(tmp, 'empty');
    await mkdir(emptyDir);
    const empty = await cli(['serve', emptyDir, '--port', '0']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('no model folders in');
  });
});
