/**
 * The model list's headers for mergekit's `base+adapter` ids: each part read from the hub (or
 * an opened folder), the adapted model's table the base's.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { startHubServer } from '../../server/hub-server.ts';
import { adapterFiles, BASE_CONFIG, linearPair } from '../../workers/io/lora/test-helpers.ts';
import { loadModelInfo } from './model-info.ts';

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
