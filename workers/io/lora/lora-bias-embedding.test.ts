/** An adapter PEFT refuses to load (lora_bias with an embedding LoRA) is refused by base+adapter too. */
import { describe, expect, it } from 'vitest';
import { blobModelSource } from '../memory.ts';
import { openAdapter } from './open-adapter.ts';
import { adapterFiles, BASE_CONFIG, embeddingPair } from './test-helpers.ts';

describe('lora_bias with an embedding LoRA', () => {
  it('is refused: PEFT raises ValueError("lora_bias=True is not supported for Embedding") on load', async () => {
    // peft/tuners/lora/layer.py, class Embedding.__init__: `if config.lora_bias: raise ValueError(...)`.
    const files = adapterFiles(
      { ...BASE_CONFIG, lora_bias: true, target_modules: ['embed_tokens'] },
      embeddingPair('model.embed_tokens', 2, 260, 128, 7),
    );
    const outcome = await openAdapter(blobModelSource('lora', files)).then(
      () => 'opened',
      (e: unknown) => String(e),
    );
    expect(outcome).toMatch(/lora_bias/);
  });
});
