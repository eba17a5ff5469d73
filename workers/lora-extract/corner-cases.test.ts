/** extract-lora corner cases: --lora-bias with an embedding LoRA, and a sink that cannot read back. */
import { describe, expect, it } from 'vitest';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS } from '../io/lora/open-adapter.ts';
import { blobModelSource, memorySink } from '../io/memory.ts';
import type { OutputSink } from '../io/source.ts';
import { extractLora, type ExtractJob } from './extract-lora.ts';
import { DEFAULTS, filesOf, readAll, tinymix, type Values } from './test-helpers.ts';

const card = { name: 'lora', model: 'ft', base: 'b', hubModels: new Set<string>(), invocation: 'merge-studio extract-lora' }; // prettier-ignore

/** Deterministic values that no low rank reproduces. */
const values = (n: number, seed: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i * 0.37));

/** An embedding, one biased Linear (Qwen2's q_proj) and a norm. */
const pair = (shift: number) =>
  new Map<string, Values>([
    ['model.embed_tokens.weight', { dtype: 'F32', shape: [10, 6], values: values(60, 4 + shift) }],
    ['model.layers.0.self_attn.q_proj.weight', { dtype: 'F32', shape: [8, 6], values: values(48, 1 + shift) }], // prettier-ignore
    ['model.layers.0.self_attn.q_proj.bias', { dtype: 'F32', shape: [8], values: values(8, 2 + shift) }],
    ['model.norm.weight', { dtype: 'F32', shape: [6], values: values(6, 3 + shift) }],
  ]);

/** An extraction of the pair with --embed-lora, and --lora-bias or not. */
const embedJob = (loraBias: boolean) => ({
  model: blobModelSource('ft', filesOf(pair(0.5))),
  base: blobModelSource('b', filesOf(pair(0))),
  sink: memorySink(),
  options: { ...DEFAULTS, maxRank: 4, embedLora: true, loraBias },
  card,
});

describe('lora_bias and --embed-lora', () => {
  it('--lora-bias with an embedding LoRA is refused: PEFT cannot load lora_bias with one', async () => {
    // PEFT: lora.Embedding.__init__ raises ValueError when config.lora_bias is set.
    await expect(extractLora(embedJob(true))).rejects.toThrow(
      /^--lora-bias with an embedding LoRA \(model\.embed_tokens, --embed-lora\): PEFT cannot load lora_bias/,
    );
  });

  it('without --lora-bias the embedding LoRA and the bias change are written, lora_bias unset', async () => {
    const j = embedJob(false);
    await extractLora(j);
    const config = JSON.parse(new TextDecoder().decode(j.sink.files.get(ADAPTER_CONFIG))) as Record<string, unknown>; // prettier-ignore
    const tensors = await readAll(blobModelSource('lora', j.sink.files), ADAPTER_WEIGHTS);
    expect(config['lora_bias']).toBeUndefined();
    expect([...tensors.keys()].some((n) => n.includes('lora_embedding_A'))).toBe(true);
    expect([...tensors.keys()].some((n) => n.endsWith('lora_B.bias'))).toBe(true);
  });
});

describe('a sink without readFile', () => {
  it('still extracts (it cannot resume, but the factors must not be lost in parts it cannot read back)', async () => {
    const inner = memorySink();
    const { readFile: _r, ...rest } = inner;
    const sink: OutputSink = rest;
    const job: ExtractJob = {
      model: await tinymix('tinymix-code'),
      base: await tinymix('tinymix-base'),
      sink,
      options: { ...DEFAULTS, maxRank: 4 },
      card,
    };
    const outcome = await extractLora(job).then(
      () => 'extracted',
      (e: unknown) => String(e),
    );
    expect(outcome).toBe('extracted');
    expect(inner.files.has(ADAPTER_CONFIG)).toBe(true);
  });
});
