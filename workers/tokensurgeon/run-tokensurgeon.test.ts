import { describe, expect, it } from 'vitest';
import { decodeToF32 } from '../io/dtypes.ts';
import { TokenSurgeonError } from './errors.ts';
import { estimatePosition, ropeSpace, rotate } from './mp-rope.ts';
import {
  DONOR_HIDDEN,
  DONOR_TOKENS,
  donorFiles,
  modelFiles,
  surgery,
  withoutTensors,
  type Surgery,
} from './test-helpers.ts';

const EMBED = 'model.embed_tokens.weight';
const HEAD = 'lm_head.weight';
const H = 128;
const N = DONOR_TOKENS.length;
/** MODEL's row for each donor token with an exact match (tinymix: token id = byte value). */
const EXACT: Record<number, number> = { 0: 259, 1: 256, 2: 257, 4: 97, 5: 98, 6: 32 };
for (let i = 0; i < 24; i++) EXACT[11 + i] = 99 + i;
const APPROX = [3, 7, 8, 9, 10];
const SHARED = Object.keys(EXACT)
  .map(Number)
  .sort((a, b) => a - b);

const rowOf = (x: Float32Array, i: number, cols: number): Float32Array =>
  x.subarray(i * cols, (i + 1) * cols);
const dotp = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Array.from(a).reduce((s, x, i) => s + x * b[i]!, 0);

/** The shared donor token whose row has the largest |inner product| with `target` (first on ties). */
function bestShared(target: Float32Array, donor: Float32Array): number {
  const score = (b: number): number => Math.abs(dotp(target, rowOf(donor, b, DONOR_HIDDEN)));
  return SHARED.reduce((a, b) => (score(b) > score(a) ? b : a));
}

function donorMatrix(name: string): Float32Array {
  const files = donorFiles();
  const bytes = files.get('model.safetensors')!;
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { data_offsets: [number, number] }>; // prettier-ignore
  const [b, e] = header[name]!.data_offsets;
  return decodeToF32(bytes.slice(8 + n + b, 8 + n + e), 'F32');
}

/** Typed-array toEqual compares element by element: too slow for whole tensors. */
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

function expectClose(actual: Float32Array, expected: ArrayLike<number>): void {
  const scale = Math.max(...Array.from(expected, Math.abs), 1e-6);
  // bf16 keeps 8 significant bits
  Array.from(expected).forEach((x, j) => expect(Math.abs(actual[j]! - x)).toBeLessThanOrEqual(scale / 64));
}

function checkExactRows(s: Surgery, name: string): void {
  const out = s.bytes(name);
  const orig = s.bytes(name, 'model');
  for (const [d, m] of Object.entries(EXACT)) {
    expect(out.subarray(Number(d) * H * 2, (Number(d) + 1) * H * 2)).toEqual(
      orig.subarray(m * H * 2, (m + 1) * H * 2),
    );
  }
}

describe('tokensurgeon on tinymix-base with a SentencePiece-style donor', () => {
  it('omp: exact matches copied bit for bit, new tokens as an independent k=1 OMP, the rest unchanged', async () => {
    const s = await surgery({ k: 1 });
    expect(s.result.vocabSize).toBe(N);
    expect(s.out.tensors.get(EMBED)!.shape).toEqual([N, H]);
    expect(s.out.tensors.get(HEAD)!.shape).toEqual([N, H]);
    expect(s.result.embed.stats).toEqual({ exact: 30, byte: 0, prefix: 0, toApproximate: 5 });
    for (const name of [EMBED, HEAD]) {
      checkExactRows(s, name);
      const donor = donorMatrix(name);
      const orig = s.values(name, 'model');
      const out = s.values(name);
      for (const t of APPROX) {
        const target = rowOf(donor, t, DONOR_HIDDEN);
        const best = bestShared(target, donor);
        const atom = rowOf(donor, best, DONOR_HIDDEN);
        const coef = dotp(target, atom) / dotp(atom, atom);
        expectClose(
          rowOf(out, t, H),
          Array.from(rowOf(orig, EXACT[best]!, H), (x) => coef * x),
        );
      }
    }
    // every other tensor byte-identical, in MODEL's dtype
    for (const [name, t] of s.model.tensors) {
      if (name === EMBED || name === HEAD) continue;
      expect(s.out.tensors.get(name)!.dtype).toBe(t.dtype);
      expect(sameBytes(s.bytes(name), s.bytes(name, 'model'))).toBe(true);
    }
    expect(s.out.tensors.size).toBe(s.model.tensors.size);
  });

  it('MODEL as its own donor: every row exact, the model unchanged', async () => {
    const s = await surgery({}, { donor: modelFiles() });
    expect(s.result.embed.stats).toEqual({ exact: 260, byte: 0, prefix: 0, toApproximate: 0 });
    for (const name of s.model.tensors.keys())
      expect(sameBytes(s.bytes(name), s.bytes(name, 'model'))).toBe(true);
    const config = s.json('config.json');
    expect([config['vocab_size'], config['bos_token_id'], config['eos_token_id'], config['pad_token_id']]).toEqual([260, 256, 257, 258]); // prettier-ignore
  });

  it('common_interpolation: k nearest shared tokens by euclidean distance, 1/d weights', async () => {
    const s = await surgery({ method: 'common_interpolation', k: 3 });
    const donor = donorMatrix(EMBED);
    const orig = s.values(EMBED, 'model');
    const out = s.values(EMBED);
    for (const t of APPROX) {
      const target = rowOf(donor, t, DONOR_HIDDEN);
      const dist = (i: number): number =>
        Math.hypot(...Array.from(rowOf(donor, i, DONOR_HIDDEN), (x, j) => x - target[j]!));
      const near = [...SHARED].sort((a, b) => dist(a) - dist(b)).slice(0, 3);
      const w = near.map((i) => 1 / dist(i));
      const sum = w.reduce((a, b) => a + b, 0);
      const expected = new Float64Array(H);
      near.forEach((i, j) =>
        rowOf(orig, EXACT[i]!, H).forEach((x, c) => (expected[c] = expected[c]! + (w[j]! / sum) * x)),
      );
      expectClose(rowOf(out, t, H), expected);
    }
  });

  it('subword: a new token is the mean of MODEL’s rows of the pieces MODEL’s tokenizer cuts its text into', async () => {
    const s = await surgery({ method: 'subword' });
    // tinymix's byte-level tokenizer, one token per byte: "▁a" is the text " a"
    const pieces: [number, number[]][] = [[7, [32, 97]], [8, [97, 98]], [9, [120, 121, 122, 119]], [3, [...'<0x41>'].map((c) => c.charCodeAt(0))]]; // prettier-ignore
    for (const name of [EMBED, HEAD]) {
      checkExactRows(s, name);
      const orig = s.values(name, 'model');
      const out = s.values(name);
      for (const [t, ids] of pieces) {
        const mean = Array.from({ length: H }, (_, j) => ids.reduce((a, id) => a + orig[id * H + j]!, 0) / ids.length); // prettier-ignore
        expectClose(rowOf(out, t, H), mean);
      }
    }
    // first_last: the last piece in the embedding, the first in the head
    const fl = await surgery({ method: 'subword', subwordMethod: 'first_last' });
    expect(fl.bytes(EMBED).subarray(9 * H * 2, 10 * H * 2)).toEqual(fl.bytes(EMBED, 'model').subarray(119 * H * 2, 120 * H * 2)); // prettier-ignore
    expect(fl.bytes(HEAD).subarray(9 * H * 2, 10 * H * 2)).toEqual(fl.bytes(HEAD, 'model').subarray(120 * H * 2, 121 * H * 2)); // prettier-ignore
  });

  it('landmark_pca, stb and john_hewitt between hidden sizes 16 and 128: shared rows copied, new rows finite and distinct', async () => {
    for (const method of ['landmark_pca', 'stb', 'john_hewitt'] as const) {
      const s = await surgery({ method });
      expect(s.logs.filter((l) => /warning: .*(covariance|positive)/.test(l))).toEqual([]);
      for (const name of [EMBED, HEAD]) {
        checkExactRows(s, name);
        const out = s.values(name);
        const rows = APPROX.map((t) => Array.from(rowOf(out, t, H)));
        for (const r of rows) expect(r.every(Number.isFinite) && r.some((x) => x !== 0)).toBe(true);
        expect(new Set(rows.map((r) => r.join())).size).toBe(APPROX.length);
      }
    }
  });

  it("mp_rope (k=1): omp's token, turned by the position fitted on the donor's heads, applied with MODEL's", async () => {
    const donor = withoutTensors(donorFiles(), [], { num_attention_heads: 2 });
    const s = await surgery({ method: 'mp_rope', k: 1 }, { donor });
    const donorSpace = ropeSpace({ heads: 2, base: 10000 }, DONOR_HIDDEN, 'the donor');
    const modelSpace = ropeSpace({ heads: 4, base: 10000 }, H, 'MODEL'); // tinymix-base's config
    for (const name of [EMBED, HEAD]) {
      checkExactRows(s, name);
      const dm = donorMatrix(name);
      const orig = s.values(name, 'model');
      const out = s.values(name);
      for (const t of APPROX) {
        const target = rowOf(dm, t, DONOR_HIDDEN);
        const best = bestShared(target, dm);
        const atom = rowOf(dm, best, DONOR_HIDDEN);
        const pos = [1, -1].map((sign) => estimatePosition(atom, target, sign as 1 | -1, donorSpace));
        const p = Math.abs(pos[0]!) < Math.abs(pos[1]!) ? pos[0]! : pos[1]!;
        const turned = rotate(atom, p, donorSpace, new Float64Array(DONOR_HIDDEN));
        const coef = dotp(target, turned) / dotp(turned, turned);
        const want = rotate(rowOf(orig, EXACT[best]!, H), p, modelSpace, new Float64Array(H));
        expectClose(
          rowOf(out, t, H),
          Array.from(want, (x) => coef * x),
        );
      }
    }
    await expect(surgery({ method: 'mp_rope' })).rejects.toThrow(/mp_rope needs the donor's num_attention_heads, and its config.json has none/); // prettier-ignore
    const odd = withoutTensors(donorFiles(), [], { num_attention_heads: 3 });
    await expect(surgery({ method: 'mp_rope' }, { donor: odd })).rejects.toThrow(/the donor's rows of 16 values as 3 attention heads/); // prettier-ignore
  });

  it('byte and prefix matches when asked, for the matrices asked', async () => {
    const s = await surgery({ method: 'zero', byteMatch: 'yes', prefixMatch: 'embed' });
    // "<0x0A>" takes "<", its longest prefix MODEL has (a byte-level vocabulary has no "\n")
    expect(s.result.embed.stats).toEqual({ exact: 30, byte: 1, prefix: 3, toApproximate: 1 });
    expect(s.result.lmHead!.stats).toEqual({ exact: 30, byte: 1, prefix: 0, toApproximate: 4 });
    const out = s.bytes(EMBED);
    const orig = s.bytes(EMBED, 'model');
    const row = (b: Uint8Array, i: number): Uint8Array => b.subarray(i * H * 2, (i + 1) * H * 2);
    expect(row(out, 3)).toEqual(row(orig, 65)); // <0x41> -> "A"
    expect(row(out, 8)).toEqual(row(orig, 97)); // "ab" -> "a"
    expect(row(out, 9)).toEqual(row(orig, 120)); // "xyzw" -> "x"
    expect(row(out, 10)).toEqual(row(orig, 60)); // "<0x0A>" -> "<"
    expect([...s.values(EMBED).subarray(7 * H, 8 * H)].every((x) => x === 0)).toBe(true); // ▁a: zero
  });

  it('writes the donor tokenizer and config ids, no generation config, no job state', async () => {
    const s = await surgery({ method: 'mean' });
    const config = s.json('config.json');
    expect(config['vocab_size']).toBe(N);
    expect(config['bos_token_id']).toBe(1);
    expect(config['eos_token_id']).toBe(2);
    expect(config['unk_token_id']).toBe(0);
    expect('pad_token_id' in config).toBe(false); // the donor has none
    expect(config['hidden_size']).toBe(H);
    const donor = donorFiles();
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'])
      expect(s.files.get(f)).toEqual(donor.get(f));
    expect(s.files.has('generation_config.json')).toBe(false);
    expect(s.files.has('.merge-studio-job.json')).toBe(false);
    expect(s.logs.some((l) => l.includes('PreTrainedTokenizerFast'))).toBe(true); // mergekit's unknown-class warning
  });

  it('shards like a merge, the index written', async () => {
    const s = await surgery({ method: 'zero' }, {}, { maxShardBytes: 400_000 });
    expect(s.files.has('model.safetensors.index.json')).toBe(true);
    expect(s.result.files.filter((f) => f.path.endsWith('.safetensors')).length).toBeGreaterThan(1);
    expect(s.out.tensors.size).toBe(s.model.tensors.size);
  });

  it('tied MODEL (no lm_head): only the embedding is rebuilt', async () => {
    const model = withoutTensors(modelFiles(), [HEAD], { tie_word_embeddings: true });
    const s = await surgery({ k: 2 }, { model });
    expect(s.result.lmHead).toBeUndefined();
    expect(s.out.tensors.has(HEAD)).toBe(false);
    expect(s.out.tensors.get(EMBED)!.shape).toEqual([N, H]);
    checkExactRows(s, EMBED);
  });

  it("tied donor: its embedding stands in for the head's donor side", async () => {
    const tied = await surgery({ k: 1 }, { donor: donorFiles({ tied: true }) });
    const untied = await surgery({ k: 1 });
    // lm_head approximations now follow the donor's embedding: the same as the embed's choices
    expect(tied.out.tensors.get(HEAD)!.shape).toEqual([N, H]);
    expect(tied.bytes(HEAD)).not.toEqual(untied.bytes(HEAD));
    checkExactRows(tied, HEAD);
  });

  it('refuses: no tokenizer.json, no embedding, k beyond the shared tokens', async () => {
    const noTok = donorFiles();
    noTok.delete('tokenizer.json');
    await expect(surgery({}, { donor: noTok })).rejects.toThrow(/donor has no tokenizer.json/);
    await expect(surgery({}, { donor: withoutTensors(donorFiles(), [EMBED]) })).rejects.toThrow(
      TokenSurgeonError,
    );
    await expect(surgery({}, { donor: withoutTensors(donorFiles(), [EMBED]) })).rejects.toThrow(
      /no input embedding/,
    );
    await expect(surgery({ k: 64 })).rejects.toThrow(/-k 64 is more than the 30 tokens/);
  });

  it('stops when cancelled', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(surgery({}, {}, { signal: ac.signal })).rejects.toThrow();
  });
});
