/**
 * The studio's preview of a tokensurgeon run (./preview-surgery.ts) against the run itself, on
 * tinymix-base with the small SentencePiece-style donor: the counts per rebuilt matrix, the
 * output's vocabulary, tensors and size are the run's; a -k above the shared tokens is refused
 * with the run's message; the progress events of a run come in order (./surgery-progress.ts).
 */
import { describe, expect, it } from 'vitest';
import { blobModelSource } from '../io/memory.ts';
import { TokenSurgeonError } from './errors.ts';
import { previewSurgery } from './preview-surgery.ts';
import type { SurgeryOptions } from './run-tokensurgeon.ts';
import type { SurgeryProgress } from './surgery-progress.ts';
import { DONOR_TOKENS, donorFiles, modelFiles, OPTIONS, surgery, withoutTensors } from './test-helpers.ts';

const preview = (options: Partial<SurgeryOptions> = {}, model = modelFiles(), donor = donorFiles()) =>
  previewSurgery(blobModelSource('tinymix-base', model), blobModelSource('donor', donor), { ...OPTIONS, ...options }); // prettier-ignore

describe('previewSurgery', () => {
  it('counts what the run then does, from the tokenizers and headers alone', async () => {
    for (const options of [{}, { byteMatch: 'yes', prefixMatch: 'embed' }] as const) {
      const plan = await preview(options);
      const { result, files } = await surgery(options);
      expect(plan.matrices.map((m) => [m.name, m.stats])).toEqual([
        [result.embed.name, result.embed.stats],
        [result.lmHead!.name, result.lmHead!.stats],
      ]);
      expect(plan.outputVocab).toBe(result.vocabSize);
      expect(plan.tensors).toBe(result.tensors);
      expect(plan.outputBytes).toBe(files.get('model.safetensors')!.byteLength);
    }
    const plan = await preview();
    expect(plan).toMatchObject({ modelVocab: 260, donorVocab: DONOR_TOKENS.length, hidden: 128, donorHidden: 16, shards: 1 }); // prettier-ignore
    expect(plan.matrices[0]).toMatchObject({ stats: { exact: 30, toApproximate: 5 }, shared: 30 });
    // float32: MODEL's embed and head (260 x 128 each), the donor's (35 x 16), the new ones (35 x 128)
    expect(plan.memoryBytes).toBe(4 * 2 * (260 * 128 + 35 * 16 + 35 * 128));
  });

  it('plans only the embedding for a model without a head tensor', async () => {
    const tied = withoutTensors(modelFiles(), ['lm_head.weight'], { tie_word_embeddings: true });
    const plan = await preview({}, tied);
    expect(plan.matrices.map((m) => m.name)).toEqual(['model.embed_tokens.weight']);
    expect(plan.tensors).toBe((await surgery({}, { model: tied })).result.tensors);
  });

  it('refuses a k above the shared tokens with the run’s message, unless no token is approximated by it', async () => {
    const message = '-k 31 is more than the 30 tokens the two vocabularies share: give a smaller -k';
    await expect(preview({ k: 31 })).rejects.toThrow(new TokenSurgeonError(message));
    await expect(surgery({ k: 31 })).rejects.toThrow(message);
    await expect(preview({ k: 31, method: 'mean' })).resolves.toBeDefined();
    await expect(preview({ k: 31, method: 'stb' })).rejects.toThrow(new TokenSurgeonError(message));
    await expect(surgery({ k: 31, method: 'stb' })).rejects.toThrow(message);
    await expect(preview({ k: 31, method: 'landmark_pca' })).resolves.toBeDefined();
  });

  it('refuses mp_rope without the attention heads with the run’s message', async () => {
    const message = "mp_rope needs the donor's num_attention_heads, and its config.json has none: use another --approximation-method"; // prettier-ignore
    await expect(preview({ method: 'mp_rope' })).rejects.toThrow(new TokenSurgeonError(message));
    await expect(surgery({ method: 'mp_rope' })).rejects.toThrow(message);
    const withHeads = withoutTensors(donorFiles(), [], { num_attention_heads: 2 });
    await expect(preview({ method: 'mp_rope' }, modelFiles(), withHeads)).resolves.toBeDefined();
    await expect(preview({ method: 'mp_rope', k: 31 }, modelFiles(), withHeads)).rejects.toThrow(/-k 31 is more than/); // prettier-ignore
  });

  it('adds the shared rows and the d x d matrices of the methods that fit a map', async () => {
    const plain = await preview({ method: 'omp' });
    for (const method of ['landmark_pca', 'stb', 'john_hewitt'] as const)
      expect((await preview({ method })).memoryBytes - plain.memoryBytes).toBe(
        4 * (30 * (128 + 16) + 8 * 128 * 128),
      );
  });
});

describe('a run’s progress', () => {
  it('goes loading, approximating each matrix, writing every tensor, done', async () => {
    const events: SurgeryProgress[] = [];
    const { result } = await surgery({}, {}, { onProgress: (p) => events.push(p), progressIntervalMs: 0 });
    expect(events[0]!.phase).toBe('loading');
    expect(events.at(-1)!.phase).toBe('done');
    const phases = events.map((e) => e.phase).filter((p, i, all) => p !== all[i - 1]);
    expect(phases).toEqual(['loading', 'approximating', 'writing', 'done']);
    const matrices = [...new Set(events.flatMap((e) => (e.matrix ? [`${e.matrix.index}/${e.matrix.of} ${e.matrix.name}`] : [])))]; // prettier-ignore
    expect(matrices).toEqual(['1/2 model.embed_tokens.weight', '2/2 lm_head.weight']);
    const approximated = events.filter((e) => e.phase === 'approximating' && e.tokensDone === e.tokensTotal && e.tokensTotal > 0); // prettier-ignore
    expect(approximated.map((e) => e.tokensTotal)).toEqual([5, 5]);
    const written = events.filter((e) => e.phase === 'writing').map((e) => e.tensorsDone);
    expect(written.at(-1)).toBe(result.tensors);
    expect(written).toEqual([...written].sort((a, b) => a - b));
  });
});
