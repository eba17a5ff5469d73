/**
 * The model list's headers for mergekit's `base+adapter` ids: each part read from the hub (or
 * an opened folder), the adapted model's table the base's; an adapter added as if it were a
 * model is said to be one, from the file list already read.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { startHubServer } from '../../server/hub-server.ts';
import { adapterFiles, BASE_CONFIG, linearPair } from '../../workers/io/lora/test-helpers.ts';
import { registerLocalFolder } from './local-files.ts';
import { AdapterNotModelError, loadModelInfo, modelInfoQuery } from './model-info.ts';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'model-info-test-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

it('reads a base+adapter id from the hub as the base with the adapter', async () => {
  await cp(path.join(MODELS_DIR, 'tinymix-base'), path.join(tmp, 'tinymix-base'), { recursive: true });
  await mkdir(path.join(tmp, 'my-lora'));
  const files = adapterFiles(
    BASE_CONFIG,
    linearPair('model.layers.0.self_attn.q_proj', 2, 128, 128, 'BF16', 1),
  );
  for (const [name, bytes] of files) await writeFile(path.join(tmp, 'my-lora', name), bytes);
  const server = await startHubServer({ root: tmp });
  try {
    const plain = await loadModelInfo('tinymix-base', server.url, '');
    const adapted = await loadModelInfo('tinymix-base+my-lora', server.url, '');
    expect(adapted.id).toBe('tinymix-base+my-lora');
    expect([...adapted.tensors.keys()]).toEqual([...plain.tensors.keys()]);
    expect(adapted.config).toEqual(plain.config);
    await expect(loadModelInfo('tinymix-base+nope', server.url, '')).rejects.toThrow(/nope/);
  } finally {
    await server.close();
  }
});

const href = (u: string | URL | Request): string => (u instanceof Request ? u.url : u.toString());

it('an adapter repo read as a model says it is a LoRA adapter, with no request beyond the model’s', async () => {
  const root = await mkdtemp(path.join(tmp, 'hub-'));
  await mkdir(path.join(root, 'my-lora'));
  const files = adapterFiles(
    BASE_CONFIG,
    linearPair('model.layers.0.self_attn.q_proj', 2, 128, 128, 'BF16', 1),
  );
  for (const [name, bytes] of files) await writeFile(path.join(root, 'my-lora', name), bytes);
  await mkdir(path.join(root, 'no-config'));
  await writeFile(path.join(root, 'no-config', 'model.safetensors'), new Uint8Array(8));
  const server = await startHubServer({ root });
  const fetchSpy = vi.spyOn(globalThis, 'fetch');
  try {
    const error = await loadModelInfo('my-lora', server.url, '').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdapterNotModelError);
    expect((error as Error).message).toMatch(
      /^my-lora is a LoRA adapter \(it has adapter_config.json and no config.json\)/,
    );
    expect((error as Error).message).toContain('Apply LoRA adapter…');
    const listings = fetchSpy.mock.calls.filter(([url]) => href(url).includes('/tree/'));
    expect(listings).toHaveLength(1);
    // A folder without either file keeps loadModel's own message.
    await expect(loadModelInfo('no-config', server.url, '')).rejects.toThrow(/no-config has no config.json/);
  } finally {
    fetchSpy.mockRestore();
    await server.close();
  }
});

const key = () => modelInfoQuery('a+my-adapter', 'http://hub', '', false).queryKey[1];

it('keys a base+adapter id by where each part is read from', () => {
  expect(key()).toBe('http://hub+http://hub');
  registerLocalFolder('my-adapter', { files: [] });
  expect(key()).toBe('http://hub+local');
  expect(modelInfoQuery('a', 'http://hub', '', true).queryKey[1]).toBe('local');
});
