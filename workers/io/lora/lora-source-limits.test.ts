/**
 * The adapted source against hostile adapters and a busy engine: factors too big to hold are
 * refused from the header alone, the factor cache keeps to its bound, overlapping reads at once
 * (the engine's read-ahead) each read the adapted bytes, with the delta added once, and every
 * float dtype of weight and factor, in any range.
 */
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { MODELS_DIR } from '../../../scripts/lib/golden.ts';
import { uniformAt } from '../../rng.ts';
import { loadModel, type LoadedModel } from '../load-model.ts';
import { blobModelSource } from '../memory.ts';
import { planSafetensorsFile } from '../safetensors/layout.ts';
import { SourceError, type ByteSource, type ModelSource } from '../source.ts';
import { LoraAdapterError } from './lora-errors.ts';
import { LoraModelSource } from './lora-source.ts';
import { ADAPTER_WEIGHTS, openAdapter } from './open-adapter.ts';
import {
  adapterFiles,
  BASE_CONFIG,
  embeddingPair,
  factor,
  folderFiles,
  linearPair,
  modelFiles,
  referenceMergeAny,
  type Factor,
} from './test-helpers.ts';
import { withAdapters } from './with-adapters.ts';

const baseFiles = await folderFiles(path.join(MODELS_DIR, 'tinymix-base'));
const tinymix = await loadModel(blobModelSource('tinymix-base', baseFiles));
const Q0 = 'model.layers.0.self_attn.q_proj.weight';
const Q1 = 'model.layers.1.self_attn.q_proj.weight';

const qv: Factor[] = [];
for (const l of [0, 1]) {
  qv.push(...linearPair(`model.layers.${l}.self_attn.q_proj`, 2, 128, 128, 'BF16', 10 * l));
  qv.push(...linearPair(`model.layers.${l}.self_attn.v_proj`, 2, 128, 64, 'BF16', 10 * l + 5));
}
const QV = adapterFiles(BASE_CONFIG, qv);
/** Factor bytes of one q_proj pair as float32: 4 * (2 * 128 + 128 * 2). */
const Q_PAIR = 2048;

/** `source` with its adapter_model.safetensors seen through `wrap`. */
function wrapWeights(source: ModelSource, wrap: (src: ByteSource) => ByteSource): ModelSource {
  return {
    id: source.id,
    listFiles: (s) => source.listFiles(s),
    readFile: (p, s, m) => source.readFile(p, s, m),
    async open(p, s) {
      const src = await source.open(p, s);
      return p === ADAPTER_WEIGHTS ? wrap(src) : src;
    },
  };
}

/**
 * Reads of the adapter's weights, by offset, that wait while the gate is held (and fail when
 * their signal aborts).
 */
class Gate {
  readonly reads: number[] = [];
  private held = false;
  private readonly waiting: (() => void)[] = [];

  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    for (const go of this.waiting.splice(0)) go();
  }

  get pending(): number {
    return this.waiting.length;
  }

  readonly wrap = (src: ByteSource): ByteSource => ({
    name: src.name,
    size: src.size,
    read: async (offset, length, signal) => {
      this.reads.push(offset);
      if (this.held) {
        await new Promise<void>((resolve, reject) => {
          this.waiting.push(resolve);
          signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        });
      }
      return src.read(offset, length, signal);
    },
  });
}

/** tinymix-base whose weight file counts the reads it has answered (read only, no readInto). */
function countingBase(): { source: ModelSource; done: () => number } {
  const base = blobModelSource('tinymix-base', baseFiles);
  let done = 0;
  const source: ModelSource = {
    id: base.id,
    listFiles: (s) => base.listFiles(s),
    readFile: (p, s, m) => base.readFile(p, s, m),
    async open(p, s) {
      const src = await base.open(p, s);
      return {
        name: src.name,
        size: src.size,
        async read(offset, length, signal) {
          const out = await src.read(offset, length, signal);
          done++;
          return out;
        },
      };
    },
  };
  return { source, done: () => done };
}

async function adapted(
  adapterSource: ModelSource,
  base: ModelSource = blobModelSource('tinymix-base', baseFiles),
  factorCacheBytes?: number,
): Promise<LoraModelSource> {
  const adapter = await openAdapter(adapterSource);
  return LoraModelSource.open(
    'base+lora',
    base,
    adapter,
    undefined,
    factorCacheBytes === undefined ? {} : { factorCacheBytes },
  );
}

/** Where the factors of `weight` start in the adapter file (the offset of their one read). */
async function factorOffset(weight: string): Promise<number> {
  const m = (await openAdapter(blobModelSource('lora', QV))).modules.get(weight)!;
  return Math.min(m.a.begin, m.b.begin);
}

/** Byte equality (toEqual compares typed arrays element by element, slowly). */
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
const tensor = (name: string): { begin: number; end: number } => tinymix.tensors.get(name)!;
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** The adapted file read whole, through a source of its own. */
async function wholeAdapted(files: Map<string, Uint8Array>): Promise<Uint8Array> {
  const file = await (await adapted(blobModelSource('lora', files))).open('model.safetensors');
  return file.read(0, file.size);
}

describe('resource limits', () => {
  it('refuses factors larger than the weight they change (rank 1e9) from the header, before reading them', async () => {
    // A sparse file (or a lying host) can claim any size: only the header is real.
    const r = 1e9;
    const prefix = 'base_model.model.model.layers.0.self_attn.q_proj';
    const layout = planSafetensorsFile([
      { name: `${prefix}.lora_A.weight`, dtype: 'BF16', shape: [r, 128] },
      { name: `${prefix}.lora_B.weight`, dtype: 'BF16', shape: [128, r] },
    ]);
    const dataReads: number[] = [];
    const weights: ByteSource = {
      name: `huge/${ADAPTER_WEIGHTS}`,
      size: layout.totalSize,
      read(offset, length) {
        if (offset !== 0 && offset !== 8) {
          dataReads.push(offset);
          return Promise.reject(new Error('read factor data'));
        }
        const out = new Uint8Array(length);
        out.set(layout.header.subarray(offset, offset + length));
        return Promise.resolve(out);
      },
    };
    const config = new TextEncoder().encode(
      JSON.stringify({ ...BASE_CONFIG, r, target_modules: ['q_proj'] }),
    );
    const huge: ModelSource = {
      id: 'huge',
      listFiles: () => Promise.resolve(['adapter_config.json', ADAPTER_WEIGHTS]),
      readFile: (p) => Promise.resolve(p === 'adapter_config.json' ? config : undefined),
      open: () => Promise.resolve(weights),
    };
    const resolve = withAdapters((id) =>
      Promise.resolve(id === 'huge' ? huge : blobModelSource('tinymix-base', baseFiles)),
    );
    const err = await resolve('tinymix-base+huge').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LoraAdapterError);
    expect((err as Error).message).toMatch(
      /huge: model\.layers\.0\.self_attn\.q_proj's factors \(rank 1000000000, .* as float32\) are larger than/,
    );
    expect(dataReads).toEqual([]);
  });

  it('keeps no more factors than its bound once reads end, not even one pair larger than it', async () => {
    for (const bound of [1000, 3000]) {
      const model = await adapted(blobModelSource('lora', QV), undefined, bound);
      const file = await model.open('model.safetensors');
      await file.read(0, file.size);
      expect(model.cachedFactorBytes, `bound ${bound}`).toBeLessThanOrEqual(bound);
    }
  });

  it('never evicts factors a read is using: reads of one tensor at once load its factors once', async () => {
    const gate = new Gate();
    const base = countingBase();
    // Room for one q_proj pair, not two.
    const model = await adapted(
      wrapWeights(blobModelSource('lora', QV), gate.wrap),
      base.source,
      Q_PAIR * 1.5,
    );
    const file = await model.open('model.safetensors');
    const q0 = tensor(Q0);
    const q1 = tensor(Q1);
    gate.reads.length = 0;
    gate.hold();
    const first = file.read(q0.begin, q0.end - q0.begin);
    await vi.waitFor(() => expect(gate.pending).toBe(1));
    const other = file.read(q1.begin, q1.end - q1.begin);
    await vi.waitFor(() => expect(gate.pending).toBe(2));
    const again = file.read(q0.begin + 64, 128);
    await vi.waitFor(() => expect(base.done()).toBe(3));
    await settle();
    gate.release();
    const [a, , c] = await Promise.all([first, other, again]);
    const whole = await wholeAdapted(QV);
    expect(a).toEqual(whole.subarray(q0.begin, q0.end));
    expect(c).toEqual(whole.subarray(q0.begin + 64, q0.begin + 192));
    const at = await factorOffset(Q0);
    expect(gate.reads.filter((o) => o === at)).toHaveLength(1);
  });

  it('a read cancelled by its own signal does not fail another read waiting on the same factors', async () => {
    const gate = new Gate();
    const base = countingBase();
    const model = await adapted(wrapWeights(blobModelSource('lora', QV), gate.wrap), base.source);
    const file = await model.open('model.safetensors');
    const q0 = tensor(Q0);
    gate.hold();
    const cancel = new AbortController();
    const cancelled = file.read(q0.begin, q0.end - q0.begin, cancel.signal);
    cancelled.catch(() => undefined);
    await vi.waitFor(() => expect(gate.pending).toBe(1));
    const kept = file.read(q0.begin, q0.end - q0.begin);
    await vi.waitFor(() => expect(base.done()).toBe(2));
    await settle();
    cancel.abort(new Error('cancelled by its reader'));
    await expect(cancelled).rejects.toThrow('cancelled by its reader');
    gate.release();
    const whole = await wholeAdapted(QV);
    expect(await kept).toEqual(whole.subarray(q0.begin, q0.end));
  });

  it('a factor read that fails fails the read with its SourceError; the next read adds the delta once', async () => {
    let failures = 1;
    const flaky = wrapWeights(blobModelSource('lora', QV), (src) => ({
      name: src.name,
      size: src.size,
      read(offset, length, signal) {
        if (offset > 8 && failures > 0) {
          failures--;
          return Promise.reject(new SourceError(`${src.name}: the network went away`));
        }
        return src.read(offset, length, signal);
      },
    }));
    const file = await (await adapted(flaky)).open('model.safetensors');
    const q0 = tensor(Q0);
    const buf = new Uint8Array(q0.end - q0.begin);
    const err = await file.readInto!(q0.begin, buf).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as Error).message).toBe(`lora/${ADAPTER_WEIGHTS}: the network went away`);
    await file.readInto!(q0.begin, buf); // the same buffer, as a caller that retries
    expect(buf).toEqual((await wholeAdapted(QV)).subarray(q0.begin, q0.end));
  });

  it('overlapping reads at once, with room for one pair of factors, each read the adapted bytes', async () => {
    const whole = await wholeAdapted(QV);
    const model = await adapted(blobModelSource('lora', QV), undefined, Q_PAIR * 1.5);
    const file = await model.open('model.safetensors');
    const from = tensor(Q0).begin - 300;
    const span = tensor('model.layers.1.self_attn.v_proj.weight').end + 300 - from;
    const ranges = Array.from({ length: 200 }, (_, i) => {
      const offset = from + Math.floor(uniformAt(7, 2 * i) * span);
      return [offset, 1 + Math.floor(uniformAt(7, 2 * i + 1) * (from + span - offset))] as const;
    });
    const got = await Promise.all(
      ranges.map(([offset, length], i) => {
        if (i % 2 === 0) return file.read(offset, length);
        const into = new Uint8Array(length);
        return file.readInto!(offset, into).then(() => into);
      }),
    );
    for (const [i, [offset, length]] of ranges.entries()) {
      expect(same(got[i]!, whole.subarray(offset, offset + length)), `${offset}+${length}`).toBe(true);
    }
    expect(model.cachedFactorBytes).toBeLessThanOrEqual(Q_PAIR * 1.5);
  });
});

describe('every float dtype, any range', () => {
  // F32, F16 and BF16 weights; F16, BF16 and F32 factors; an embedding; a plain tensor between
  // adapted ones; a module named __proto__ (with a rank_pattern key of that name).
  const weights = [
    factor('__proto__.weight', [6, 10], 'F32', 1),
    factor('b.weight', [10, 6], 'F16', 2),
    factor('embed_tokens.weight', [12, 4], 'F16', 3),
    factor('c.weight', [5, 7], 'BF16', 4),
    factor('d.weight', [4, 4], 'BF16', 5),
  ];
  const pairs = new Map<string, { a: Factor; b: Factor; scaling: number; kind: 'linear' | 'embedding' }>();
  const [pa, pb] = linearPair('__proto__', 3, 10, 6, 'F16', 10);
  pairs.set('__proto__.weight', { a: pa, b: pb, scaling: 4 / 3, kind: 'linear' });
  const [ba, bb] = linearPair('b', 2, 6, 10, 'BF16', 20);
  pairs.set('b.weight', { a: ba, b: bb, scaling: 2, kind: 'linear' });
  const [ea, eb] = embeddingPair('embed_tokens', 2, 12, 4, 30);
  pairs.set('embed_tokens.weight', { a: ea, b: eb, scaling: 2, kind: 'embedding' });
  const [da, db] = linearPair('d', 2, 4, 4, 'F32', 40);
  pairs.set('d.weight', { a: da, b: db, scaling: 2, kind: 'linear' });
  const base = modelFiles(weights);
  const lora = adapterFiles(
    {
      ...BASE_CONFIG,
      target_modules: ['__proto__', 'b', 'embed_tokens', 'd'],
      rank_pattern: { ['__proto__']: 3 },
    },
    [...pairs.values()].flatMap((p) => [p.a, p.b]),
  );

  it('reads each adapted tensor as the reference merge, and any range as the whole file', async () => {
    const source = await withAdapters((id) =>
      Promise.resolve(blobModelSource(id, id === 'base' ? base : lora)),
    )('base+lora');
    const model: LoadedModel = await loadModel(source);
    const file = await source.open('model.safetensors');
    const whole = await file.read(0, file.size);
    const own = base.get('model.safetensors')!;
    for (const w of weights) {
      const t = model.tensors.get(w.name)!;
      const p = pairs.get(w.name);
      const stored = own.subarray(t.begin, t.end);
      const want = p
        ? referenceMergeAny(stored, w.dtype, ...w.shape, p.a, p.b, p.scaling, p.kind, p.kind === 'embedding')
        : stored;
      expect(whole.subarray(t.begin, t.end), w.name).toEqual(want);
      if (p) expect(whole.subarray(t.begin, t.end), `${w.name} changed`).not.toEqual(stored);
    }
    // Every range that starts and ends within 5 bytes of a tensor's edges, and across them.
    const edges = [...model.tensors.values()].flatMap((t) => [t.begin, t.end]);
    const points = [...new Set(edges.flatMap((e) => [-5, -3, -1, 0, 1, 2, 3, 5].map((d) => e + d)))]
      .filter((x) => x >= 0 && x <= file.size)
      .sort((x, y) => x - y);
    const reads: Promise<void>[] = [];
    for (const from of points) {
      for (const to of points) {
        if (to <= from) continue;
        reads.push(
          file.read(from, to - from).then((got) => {
            expect(same(got, whole.subarray(from, to)), `${from}-${to}`).toBe(true);
          }),
        );
      }
    }
    await Promise.all(reads);
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('weight');
    expect(({} as Record<string, unknown>)['lora_A']).toBeUndefined();
  });
});
