/**
 * The extractor end to end on the tinymix fixtures: the adapter's files, names, shapes and
 * config as mergekit writes them; a full-rank adapter applied back by Merge Studio's own
 * `base+adapter` reader gives the fine-tuned weights (to bf16 rounding of the factors, and to
 * float32 rounding when the models are float32); a low-rank adapter is the exact rank-r
 * truncation (an independent slow SVD); and the errors a user can make.
 */
import { describe, expect, it } from 'vitest';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS } from '../io/lora/open-adapter.ts';
import { withAdapters } from '../io/lora/with-adapters.ts';
import { blobModelSource, memorySink } from '../io/memory.ts';
import type { ModelSource } from '../io/source.ts';
import { extractLora, type ExtractOptions } from './extract-lora.ts';
import { LORA_JOB_FILE } from './checkpoint.ts';
import { referenceSingularValues, referenceTruncation } from './linalg/test-helpers.ts';
import { DEFAULTS, filesOf, product, readAll, tinymix, type Values } from './test-helpers.ts';

const card = { name: 'code-lora', model: 'tinymix-code', base: 'tinymix-base', hubModels: new Set<string>(), invocation: 'merge-studio extract-lora' }; // prettier-ignore

async function extract(model: ModelSource, base: ModelSource, options: Partial<ExtractOptions> = {}) {
  const sink = memorySink();
  const logs: string[] = [];
  const summary = await extractLora({
    model,
    base,
    sink,
    options: { ...DEFAULTS, ...options },
    card,
    onLog: (l) => logs.push(l),
  });
  const adapter = blobModelSource('lora', sink.files);
  return { summary, files: sink.files, logs, tensors: await readAll(adapter, ADAPTER_WEIGHTS), adapter };
}

/** The model base+adapter as Merge Studio's own LoRA reader makes it, all tensors decoded. */
async function applied(base: ModelSource, adapter: ModelSource): Promise<Map<string, Values>> {
  const resolve = withAdapters((id) => Promise.resolve(id === 'base' ? base : adapter));
  return readAll(await resolve('base+lora'));
}

const PREFIX = 'base_model.model.';
const near = (x: Float32Array, y: Float32Array): number => Math.max(...x.map((v, i) => Math.abs(v - y[i]!)));
const [code, base, code32, base32] = await Promise.all([
  tinymix('tinymix-code'),
  tinymix('tinymix-base'),
  tinymix('tinymix-code', 'F32'),
  tinymix('tinymix-base', 'F32'),
]);
const codeTensors = await readAll(code);
const baseTensors = await readAll(base);
const LINEAR = ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj', 'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj']; // prettier-ignore
const LAYER_MODULES = [0, 1, 2, 3].flatMap((l) => LINEAR.map((m) => `model.layers.${l}.${m}`));

/** D = model - base of a tensor, float64, row-major. */
function delta(name: string, model = codeTensors, b = baseTensors): Float64Array {
  const m = model.get(name)!.values;
  const x = b.get(name)!.values;
  return Float64Array.from(m, (v, i) => Math.fround(v - x[i]!));
}

describe('extract-lora: the adapter mergekit writes', async () => {
  const { files, tensors, summary } = await extract(code, base);

  it('writes adapter_model.safetensors, adapter_config.json and README.md', () => {
    expect([...files.keys()].sort()).toEqual([ADAPTER_CONFIG, ADAPTER_WEIGHTS, 'README.md'].sort());
  });

  it('names and shapes: lora_A [r, in] and lora_B [out, r] per Linear, whole embeddings and norms, in BF16', () => {
    const expected = new Map<string, readonly number[]>();
    for (const m of LAYER_MODULES) {
      const [out, inF] = codeTensors.get(`${m}.weight`)!.shape as [number, number];
      const r = Math.min(128, out, inF);
      expected.set(`${PREFIX}${m}.lora_A.weight`, [r, inF]);
      expected.set(`${PREFIX}${m}.lora_B.weight`, [out, r]);
    }
    for (const [name, t] of codeTensors) {
      if (t.shape.length === 1 || /embed_tokens|lm_head/.test(name))
        expected.set(`${PREFIX}${name}`, t.shape);
    }
    expect(new Map([...tensors].map(([n, t]) => [n, t.shape]))).toEqual(expected);
    expect(new Set([...tensors.values()].map((t) => t.dtype))).toEqual(new Set(['BF16']));
    // Whole modules are the fine-tuned model's bytes, unchanged.
    expect(tensors.get(`${PREFIX}lm_head.weight`)!.values).toEqual(codeTensors.get('lm_head.weight')!.values);
  });

  it('adapter_config.json: r the largest rank, lora_alpha = r, other ranks in rank_pattern and alpha_pattern', () => {
    const config = JSON.parse(new TextDecoder().decode(files.get(ADAPTER_CONFIG))) as Record<string, unknown>;
    const kv = Object.fromEntries(
      [0, 1, 2, 3].flatMap((l) => ['k_proj', 'v_proj'].map((p) => [`model.layers.${l}.self_attn.${p}`, 64])),
    );
    expect(config).toEqual({
      base_model_name_or_path: 'tinymix-base',
      peft_type: 'LORA',
      use_rslora: false,
      target_modules: ['down_proj', 'gate_proj', 'k_proj', 'o_proj', 'q_proj', 'up_proj', 'v_proj'],
      modules_to_save: ['lm_head', 'embed_tokens', 'input_layernorm', 'post_attention_layernorm', 'norm'],
      task_type: 'CAUSAL_LM',
      r: 128,
      lora_alpha: 128,
      rank_pattern: kv,
      alpha_pattern: kv,
      lora_dropout: 0,
      fan_in_fan_out: false,
      inference_mode: true,
    });
    expect(new TextDecoder().decode(files.get(ADAPTER_CONFIG))).toContain('"lora_dropout": 0.0,');
    expect(summary.rank).toBe(128);
    expect(summary.otherTensors).toHaveLength(11);
  });

  it('README.md: the card names both models and the command', () => {
    const text = new TextDecoder().decode(files.get('README.md'));
    expect(text).toContain('library_name: peft');
    expect(text).toContain(
      'This LoRA adapter was extracted from tinymix-code and uses tinymix-base as a base.',
    );
    expect(text).toContain('```sh\nmerge-studio extract-lora\n```');
  });

  it("Merge Studio's own reader applies it: the modules saved whole replace the base's", async () => {
    const small = await extract(code, base, { maxRank: 4, excludeRegexes: ['layers\\.[123]'] });
    expect(small.summary.modulesToSave).toContain('embed_tokens');
    const adapter = small.adapter;
    const out = await applied(base, adapter);
    for (const name of [
      'model.embed_tokens.weight',
      'lm_head.weight',
      'model.norm.weight',
      'model.layers.0.input_layernorm.weight',
    ]) {
      expect(out.get(name)!.values, name).toEqual(codeTensors.get(name)!.values);
    }
  });
});

describe('extract-lora: round trip through the base+adapter reader', () => {
  // --embed-lora and --skip-undecomposable leave only plain LoRA factors (tinymix-code's norms are the base's).
  const readable = { embedLora: true, skipUndecomposable: true } as const;

  it('full rank, BF16: every weight within the bf16 rounding of the factors', async () => {
    const { adapter, tensors, summary } = await extract(code, base, readable);
    expect(summary.otherTensors).toEqual([]);
    expect(tensors.get(`${PREFIX}model.embed_tokens.lora_embedding_A`)!.shape).toEqual([128, 260]);
    const out = await applied(base, adapter);
    for (const [name, t] of codeTensors) {
      const got = out.get(name)!.values;
      if (t.shape.length === 1) {
        expect(got, name).toEqual(baseTensors.get(name)!.values);
        continue;
      }
      const module = name.slice(0, -'.weight'.length);
      const embedding = module.endsWith('embed_tokens');
      const a = tensors.get(`${PREFIX}${module}.${embedding ? 'lora_embedding_A' : 'lora_A.weight'}`)!;
      const b = tensors.get(`${PREFIX}${module}.${embedding ? 'lora_embedding_B' : 'lora_B.weight'}`)!;
      // |B| |A|: bf16 factors (relative error 2^-9 each) put each delta element within 2^-8 of it.
      const [r, inner] = a.shape as [number, number];
      const outer = b.shape[0]!;
      const bound = product(b.values.map(Math.abs), a.values.map(Math.abs), outer, r, inner);
      const [rows, cols] = t.shape as [number, number];
      let worst = 0;
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < cols; j++) {
          const want = t.values[i * cols + j]!;
          const ab = embedding ? bound[j * inner + i]! : bound[i * inner + j]!;
          const ulp = want === 0 ? 0 : 2 ** (Math.floor(Math.log2(Math.abs(want))) - 7);
          worst = Math.max(worst, Math.abs(got[i * cols + j]! - want) / (2 ** -7 * ab + ulp));
        }
      expect(worst, name).toBeLessThanOrEqual(1);
    }
  });

  it('full rank, F32 models: the fine-tuned weights to float32 rounding (the SVD is exact)', async () => {
    const codeF32 = await readAll(code32);
    const { adapter } = await extract(code32, base32, { ...readable, distributeScale: false });
    const out = await applied(base32, adapter);
    for (const [name, t] of codeF32) {
      if (t.shape.length === 1) {
        expect(out.get(name)!.values, name).toEqual(baseTensors.get(name)!.values);
        continue;
      }
      const d = delta(name);
      const scale = Math.max(...d.map(Math.abs));
      const got = out.get(name)!.values;
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - t.values[i]!));
      // Measured at most 1.0e-7 x max |D|: float32 rounding of the weights themselves.
      expect(worst, name).toBeLessThanOrEqual(5e-7 * scale);
    }
  });
});

describe('extract-lora: low rank is the exact truncation', async () => {
  const R = 8;
  const names = [
    'model.layers.0.self_attn.q_proj',
    'model.layers.1.mlp.gate_proj',
    'model.layers.2.mlp.down_proj',
  ];
  const options = { maxRank: R, embedLora: true, includeRegexes: names.map((n) => `^${n}$|embed_tokens`) };
  const refs = new Map(
    [...names, 'model.embed_tokens'].map((m) => {
      const t = codeTensors.get(`${m}.weight`)!;
      const [rows, cols] = t.shape as [number, number];
      return [m, referenceTruncation({ rows, cols, data: delta(`${m}.weight`) }, R).data] as const;
    }),
  );

  /** max |B A - D_r| / max |D_r| over the modules. */
  function worstError(tensors: Map<string, Values>): number {
    let worst = 0;
    for (const [m, ref] of refs) {
      const embedding = m.endsWith('embed_tokens');
      const a = tensors.get(`${PREFIX}${m}.${embedding ? 'lora_embedding_A' : 'lora_A.weight'}`)!;
      const b = tensors.get(`${PREFIX}${m}.${embedding ? 'lora_embedding_B' : 'lora_B.weight'}`)!;
      expect(a.shape[0]).toBe(R);
      const [, inner] = a.shape as [number, number];
      const outer = b.shape[0]!;
      const ba = product(b.values, a.values, outer, R, inner); // embeddings: D^T
      const scale = Math.max(...ref.map(Math.abs));
      for (let i = 0; i < outer; i++)
        for (let j = 0; j < inner; j++) {
          const want = embedding ? ref[j * outer + i]! : ref[i * inner + j]!;
          worst = Math.max(worst, Math.abs(ba[i * inner + j]! - want) / scale);
        }
    }
    return worst;
  }

  it('exact SVD (what tinymix-sized modules get): float32 precision', async () => {
    const { tensors, summary } = await extract(code32, base32, options);
    expect(summary.loraModules.map((m) => m.method)).toEqual(['exact', 'exact', 'exact', 'exact']);
    expect(worstError(tensors)).toBeLessThan(5e-7); // measured 6e-8: the factors' float32 rounding
  });

  it('randomized SVD (what big modules get), forced: the same truncation', async () => {
    const svd = { method: 'randomized', oversampling: 8, maxIterations: 60 } as const;
    const { tensors, summary } = await extract(code32, base32, { ...options, svd });
    for (const m of summary.loraModules) {
      expect(m.method).toBe('randomized');
      expect(m.residual).toBeLessThan(1e-6);
    }
    // These deltas have small gaps after s_8 (s_8 / s_9 = 1.04 for q_proj), which amplify the
    // float32 residual in the singular vectors; with a wider gap it is float32's precision
    // (./linalg/randomized-svd.test.ts).
    expect(worstError(tensors)).toBeLessThan(2e-5); // measured 3.2e-6
  });

  it('--sv-epsilon: each module keeps the singular values above it, the rest in rank_pattern', async () => {
    const eps = 0.3;
    const { files, summary } = await extract(code32, base32, { ...options, maxRank: 64, svEpsilon: eps });
    const config = JSON.parse(new TextDecoder().decode(files.get(ADAPTER_CONFIG))) as {
      r: number;
      rank_pattern: Record<string, number>;
    };
    for (const m of [...names, 'model.embed_tokens']) {
      const t = codeTensors.get(`${m}.weight`)!;
      const [rows, cols] = t.shape as [number, number];
      const s = referenceSingularValues({ rows, cols, data: delta(`${m}.weight`) });
      const want = Math.min(64, s.filter((x) => x > eps).length);
      expect(config.rank_pattern[m] ?? config.r, m).toBe(want);
      expect(summary.loraModules.find((x) => x.module === m)?.rank).toBe(want);
    }
  });
});

/** Deterministic values that no low rank reproduces. */
const values = (n: number, seed: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i * 0.37));

/** A model with one biased Linear and a norm. */
const pair = (shift: number) =>
  new Map<string, Values>([
    [
      'model.layers.0.self_attn.q_proj.weight',
      { dtype: 'F32', shape: [8, 6], values: values(48, 1 + shift) },
    ],
    ['model.layers.0.self_attn.q_proj.bias', { dtype: 'F32', shape: [8], values: values(8, 2 + shift) }],
    ['model.norm.weight', { dtype: 'F32', shape: [6], values: values(6, 3 + shift) }],
  ]);

describe('extract-lora: a bias and an epsilon on a small synthetic pair', async () => {
  const ft = pair(0.5);
  const b = pair(0);
  const ftSource = blobModelSource('ft', filesOf(ft));
  const baseSource = blobModelSource('b', filesOf(b));

  it("a Linear's bias change is saved as lora_B.bias (mergekit's name), F32 factors for F32 models", async () => {
    const { tensors, summary } = await extract(ftSource, baseSource, { maxRank: 3 });
    const at = `${PREFIX}model.layers.0.self_attn.q_proj`;
    expect([...tensors.keys()].sort()).toEqual(
      [
        `${at}.lora_A.weight`,
        `${at}.lora_B.bias`,
        `${at}.lora_B.weight`,
        `${PREFIX}model.norm.weight`,
      ].sort(),
    );
    expect(tensors.get(`${at}.lora_A.weight`)).toMatchObject({ dtype: 'F32', shape: [3, 6] });
    const want = ft
      .get('model.layers.0.self_attn.q_proj.bias')!
      .values.map((x, i) => x - b.get('model.layers.0.self_attn.q_proj.bias')!.values[i]!);
    expect(tensors.get(`${at}.lora_B.bias`)!.values).toEqual(want);
    expect(summary.otherTensors).toEqual([
      'model.norm.weight',
      'model.layers.0.self_attn.q_proj.bias (as lora_B.bias)',
    ]);
  });

  it('with --lora-bias sets lora_bias, so PEFT and base+adapter apply the bias change', async () => {
    const { files, adapter } = await extract(ftSource, baseSource, { maxRank: 6, loraBias: true });
    const config = JSON.parse(new TextDecoder().decode(files.get('adapter_config.json'))) as Record<string, unknown>; // prettier-ignore
    expect(config['lora_bias']).toBe(true);
    const merged = await applied(baseSource, adapter);
    const name = 'model.layers.0.self_attn.q_proj';
    // Full rank: the weight and the bias are the fine-tune's again, up to float32 rounding.
    expect(near(merged.get(`${name}.bias`)!.values, ft.get(`${name}.bias`)!.values)).toBeLessThan(1e-6);
    expect(near(merged.get(`${name}.weight`)!.values, ft.get(`${name}.weight`)!.values)).toBeLessThan(1e-5);
    // The bias change is scaled as the weight's is (lora_alpha / r: here 2).
    const doubled = new Map(files);
    doubled.set('adapter_config.json', new TextEncoder().encode(JSON.stringify({ ...config, lora_alpha: 2 * (config['r'] as number), alpha_pattern: {} }))); // prettier-ignore
    const twice = (await applied(baseSource, blobModelSource('lora', doubled))).get(`${name}.bias`)!.values;
    const baseBias = b.get(`${name}.bias`)!.values;
    const wantTwice = ft.get(`${name}.bias`)!.values.map((x, i) => baseBias[i]! + 2 * (x - baseBias[i]!));
    expect(near(twice, wantTwice)).toBeLessThan(1e-6);
    // A base without that bias cannot take it (PEFT refuses the merge too).
    const unbiased = new Map(b);
    unbiased.delete(`${name}.bias`);
    await expect(applied(blobModelSource('b', filesOf(unbiased)), adapter)).rejects.toThrow(
      `lora changes ${name}'s bias (lora_bias), but b has no ${name}.bias`,
    );
  });

  it('without it, writes the bias change as mergekit does, which PEFT and base+adapter ignore, saying so', async () => {
    const { files, adapter } = await extract(ftSource, baseSource, { maxRank: 6 });
    const config = JSON.parse(new TextDecoder().decode(files.get('adapter_config.json'))) as Record<string, unknown>; // prettier-ignore
    expect(config['lora_bias']).toBeUndefined();
    const name = 'model.layers.0.self_attn.q_proj';
    const resolve = withAdapters((id) => Promise.resolve(id === 'base' ? baseSource : adapter));
    const source = await resolve('base+lora');
    expect(source.notes).toEqual([
      `lora changes the biases of 1 module(s) (${name}) as lora_B.bias, but adapter_config.json does not set lora_bias, so PEFT ignores them, and so does this merge; set "lora_bias": true there to apply them`,
    ]);
    const merged = await readAll(source);
    expect(merged.get(`${name}.bias`)!.values).toEqual(b.get(`${name}.bias`)!.values);
    expect(near(merged.get(`${name}.weight`)!.values, ft.get(`${name}.weight`)!.values)).toBeLessThan(1e-5);
  });

  it('an epsilon above every singular value is an error, and nothing is written', async () => {
    const sink = memorySink();
    await expect(
      extractLora({
        model: ftSource,
        base: baseSource,
        sink,
        options: { ...DEFAULTS, svEpsilon: 1e6 },
        card,
      }),
    ).rejects.toThrow(/^no singular value of any module is above --sv-epsilon 1000000/);
    expect([...sink.files.keys()]).toEqual([]);
  });
});

/** A memory sink that records, in order, what became visible in the folder. */
function recordingSink() {
  const sink = memorySink();
  const events: string[] = [];
  const recorded: typeof sink = {
    ...sink,
    async createFile(path, size) {
      const w = await sink.createFile(path, size);
      return { ...w, close: async () => (await w.close(), void events.push(`close ${path}`)) };
    },
    async writeFile(path, data) {
      await sink.writeFile(path, data);
      events.push(`write ${path}`);
    },
    async remove(path) {
      await sink.remove!(path);
      events.push(`remove ${path}`);
    },
  };
  return { sink: recorded, events };
}

describe('what a folder holds while an adapter is written', () => {
  for (const svEpsilon of [0, 0.05]) {
    it(`an earlier adapter_config.json goes first, this one comes last (sv-epsilon ${svEpsilon})`, async () => {
      const { sink, events } = recordingSink();
      await sink.writeFile(ADAPTER_CONFIG, '{"r": 4}');
      events.length = 0;
      const progress: string[] = [];
      await extractLora({
        model: code,
        base,
        sink,
        options: { ...DEFAULTS, maxRank: 4, svEpsilon, includeRegexes: ['layers\\.0\\.'] },
        card,
        onProgress: (p) => progress.push(`${p.phase} ${p.modulesDone}/${p.modulesTotal}`),
      });
      expect(events).toEqual([
        `remove ${ADAPTER_CONFIG}`,
        // The checkpoint (./checkpoint.ts): its state, the factors' part, the state again.
        `write ${LORA_JOB_FILE}`,
        'close .merge-studio-lora-part-0001.bin',
        `write ${LORA_JOB_FILE}`,
        `close ${ADAPTER_WEIGHTS}`,
        'write README.md',
        `write ${ADAPTER_CONFIG}`,
        `remove ${LORA_JOB_FILE}`,
        'remove .merge-studio-lora-part-0001.bin',
      ]);
      expect(progress[0]).toBe('extracting 0/7');
      expect(progress.at(-1)).toBe('done 7/7');
      if (svEpsilon > 0) expect(progress).toContain('writing 7/7');
    });
  }
});
