/** What loadModel says for a folder that is not a transformers model. */
import { describe, expect, it } from 'vitest';
import { loadModel } from './load-model.ts';
import { blobModelSource } from './memory.ts';

const enc = new TextEncoder();

describe('loadModel without config.json', () => {
  it('says a LoRA adapter is one, and how to write it', async () => {
    const adapter = blobModelSource('org/my-lora', new Map([['adapter_config.json', enc.encode('{}')]]));
    await expect(loadModel(adapter)).rejects.toThrow(
      /org\/my-lora is a LoRA adapter .* write it after the model it was trained for, as base\+org\/my-lora/,
    );
    const other = blobModelSource('org/x', new Map([['README.md', enc.encode('#')]]));
    await expect(loadModel(other)).rejects.toThrow(/org\/x has no config.json: is it a transformers model\?/);
  });
});
