/**
 * The forward pass of a Llama-family decoder (Llama, Mistral, Qwen2, Qwen3, and the mixtures of
 * experts Mixtral, Qwen2-MoE, Qwen3-MoE and DeepSeek-MoE, whose sparse MLPs are in
 * ./moe-block.ts) on the CPU, for evaluation and generation in a worker or in Node.
 *
 * Every position of several sequences goes through each layer together, so the projections
 * are matrix-matrix products (seqs x len rows at once) that the WebAssembly SIMD kernel runs
 * at tens of GFLOP/s. All buffers live in one arena sized at creation for `maxRows` rows, and
 * `setWeights` repacks another model of the same shape into it (a sweep's next point)
 * without allocating.
 */
import { EvalInputError } from '../errors.ts';
import { Arena } from '../kernels/arena.ts';
import { matmulFor, type Matmul } from '../kernels/matmul.ts';
import { vectorOpsFor, type VectorOps } from '../kernels/vector-ops.ts';
import { attention, type AttentionScratch, type KeySource } from './attention.ts';
import { parseDecoderConfig, sameDecoderConfig, type DecoderConfig } from './decoder-config.ts';
import { widestIntermediate } from './layer-mlps.ts';
import { allocateMoeScratch, moeScratchFloats, sparseMoe, type MoeScratch } from './moe-block.ts';
import { applyRope, headRmsNorm, ropeTables } from './ops.ts';
import {
  allocatePacked,
  biasesOf,
  packedWeightsSize,
  packWeights,
  type Biases,
  type PackedDecoder,
} from './packed-weights.ts';
import { swiGlu } from './swiglu.ts';
import type { ModelWeights } from './weights.ts';

export interface DecoderOptions {
  /** Most rows (sequences x tokens) one `forward` call takes. */
  readonly maxRows: number;
  /** Longest sequence in positions, KV cache included. */
  readonly context: number;
  /** Keep one sequence's keys and values across calls (generation). */
  readonly cache?: boolean;
  /** 'js' forces the plain-JS matmul (the reference); default: WebAssembly SIMD when present. */
  readonly backend?: 'auto' | 'js';
}

/** Logit rows computed at once: bounds the buffer to ~16 MB for large vocabularies. */
const LOGIT_BUDGET_FLOATS = 4 * 1024 * 1024;
/** Rows of the matmul's scratch for partial panels. */
const SCRATCH_ROWS = 64;

interface Buffers {
  readonly h: Float32Array;
  readonly xn: Float32Array;
  readonly qkv: Float32Array;
  readonly att: Float32Array;
  readonly gu: Float32Array;
  readonly logits: Float32Array;
  readonly scratch: AttentionScratch;
  readonly cacheK: readonly Float32Array[];
  readonly cacheV: readonly Float32Array[];
  readonly moe: MoeScratch | undefined;
}

export class Decoder {
  readonly matmul: Matmul;
  readonly vec: VectorOps;
  /** Rows of logits one `logits` call returns at most. */
  readonly logitRows: number;
  /** Positions held in the KV cache. */
  cacheLength = 0;
  private embed: Float32Array;
  private readonly packed: PackedDecoder;
  private readonly buf: Buffers;
  private readonly rope: { cos: Float32Array; sin: Float32Array };

  private constructor(
    readonly config: DecoderConfig,
    readonly options: DecoderOptions,
    private readonly biases: Biases,
    weights: ModelWeights,
  ) {
    const c = config;
    const { maxRows, context } = options;
    const q = c.heads * c.headDim;
    const kv = c.kvHeads * c.headDim;
    this.logitRows = Math.max(1, Math.min(maxRows, Math.floor(LOGIT_BUDGET_FLOATS / c.vocabSize)));
    const s = Arena.slot;
    const cacheRows = options.cache ? context : 0;
    const panelKeys = Math.ceil(context / 8) * 8;
    const mlpWidth = 2 * widestIntermediate(c.mlps);
    const floats =
      packedWeightsSize(c, biases) +
      2 * s(maxRows * c.hidden) +
      s(maxRows * (q + 2 * kv)) +
      s(maxRows * q) +
      s(maxRows * mlpWidth) +
      s(this.logitRows * c.vocabSize) +
      s(Math.min(maxRows, context) * context) +
      s(panelKeys * c.headDim) +
      s(Math.ceil(c.headDim / 8) * 8 * context) +
      2 * c.layers * s(cacheRows * kv) +
      s(SCRATCH_ROWS * 8) +
      (c.moe ? moeScratchFloats(maxRows, c.moe.experts, c.hidden) : 0);
    const arena = Arena.create(floats, options.backend ?? 'auto');
    this.packed = allocatePacked(arena, c, biases);
    this.buf = {
      h: arena.alloc(maxRows * c.hidden),
      xn: arena.alloc(maxRows * c.hidden),
      qkv: arena.alloc(maxRows * (q + 2 * kv)),
      att: arena.alloc(maxRows * q),
      gu: arena.alloc(maxRows * mlpWidth),
      logits: arena.alloc(this.logitRows * c.vocabSize),
      scratch: {
        scores: arena.alloc(Math.min(maxRows, context) * context),
        pk: arena.alloc(panelKeys * c.headDim),
        pv: arena.alloc(Math.ceil(c.headDim / 8) * 8 * context),
      },
      cacheK: Array.from({ length: c.layers }, () => arena.alloc(cacheRows * kv)),
      cacheV: Array.from({ length: c.layers }, () => arena.alloc(cacheRows * kv)),
      moe: c.moe && allocateMoeScratch(arena, maxRows, c.moe.experts, c.moe.perToken, c.hidden),
    };
    this.matmul = matmulFor(arena, SCRATCH_ROWS);
    this.vec = vectorOpsFor(arena);
    this.rope = ropeTables(c.invFreq, context);
    this.embed = packWeights(this.packed, c, biases, weights.weights, weights.id);
  }

  static create(weights: ModelWeights, options: DecoderOptions): Decoder {
    const config = parseDecoderConfig(weights.config, weights.id);
    return new Decoder(config, options, biasesOf(weights.weights), weights);
  }

  /**
   * Whether `weights` runs the same forward pass with the same shapes (layer kinds, routing and
   * RoPE included: `setWeights` keeps this evaluator's config), so that `setWeights` can take it.
   */
  accepts(weights: ModelWeights): boolean {
    const c = parseDecoderConfig(weights.config, weights.id);
    const b = biasesOf(weights.weights);
    return (
      sameDecoderConfig(c, this.config) &&
      b.qkv === this.biases.qkv &&
      b.o === this.biases.o &&
      b.mlp === this.biases.mlp
    );
  }

  /** Loads another model of the same shapes into the arena (the next point of a sweep). */
  setWeights(weights: ModelWeights): void {
    if (!this.accepts(weights)) {
      throw new EvalInputError(`${weights.id} differs in shape from the model this evaluator was built for`);
    }
    this.embed = packWeights(this.packed, this.config, this.biases, weights.weights, weights.id);
    this.cacheLength = 0;
  }

  resetCache(): void {
    this.cacheLength = 0;
  }

  /**
   * Runs `seqs` sequences of `len` tokens (`ids[s * len + t]`) through the model and returns
   * the final-normed hidden states, [seqs * len, hidden] (a view, valid until the next call).
   * With a cache, there is one sequence and it continues at position `cacheLength`.
   * `onLayerInput` sees the residual stream entering each layer, [seqs * len, hidden] (the
   * embeddings for layer 0: transformers' hidden_states[l]), valid only during the call.
   */
  forward(
    ids: ArrayLike<number>,
    seqs: number,
    len: number,
    onLayerInput?: (layer: number, h: Float32Array) => void,
  ): Float32Array {
    const c = this.config;
    const { h, xn, qkv, att, gu } = this.buf;
    const rows = seqs * len;
    const cached = this.options.cache === true;
    const start = cached ? this.cacheLength : 0;
    if (rows > this.options.maxRows || start + len > this.options.context || (cached && seqs !== 1)) {
      throw new EvalInputError(
        `cannot run ${seqs} x ${len} tokens from position ${start}: this evaluator holds ${this.options.maxRows} rows and ${this.options.context} positions`,
      );
    }
    const H = c.hidden;
    for (let r = 0; r < rows; r++) {
      const id = ids[r]!;
      if (!(id >= 0 && id < c.vocabSize)) throw new EvalInputError(`token id ${id} is outside the vocabulary (0..${c.vocabSize - 1})`); // prettier-ignore
      h.set(this.embed.subarray(id * H, id * H + H), r * H);
    }
    const q = c.heads * c.headDim;
    const kv = c.kvHeads * c.headDim;
    const width = q + 2 * kv;
    const mm = this.matmul;
    for (let l = 0; l < c.layers; l++) {
      const p = this.packed.layers[l]!;
      onLayerInput?.(l, h.subarray(0, rows * H));
      this.vec.rmsNorm(h, p.norm1, xn, rows, H, c.rmsEps);
      mm.run(xn, H, p.qkv, qkv, width, rows);
      if (p.qNorm && p.kNorm) {
        headRmsNorm(this.vec, qkv, width, 0, rows, c.heads, c.headDim, p.qNorm, c.rmsEps);
        headRmsNorm(this.vec, qkv, width, q, rows, c.kvHeads, c.headDim, p.kNorm, c.rmsEps);
      }
      for (let s = 0; s < seqs; s++) {
        const at = qkv.subarray(s * len * width);
        applyRope(at, width, 0, len, c.heads, c.headDim, start, this.rope);
        applyRope(at, width, q, len, c.kvHeads, c.headDim, start, this.rope);
      }
      let keys: (s: number) => KeySource;
      let values: (s: number) => KeySource;
      if (cached) {
        const ck = this.buf.cacheK[l]!;
        const cv = this.buf.cacheV[l]!;
        for (let r = 0; r < len; r++) {
          ck.set(qkv.subarray(r * width + q, r * width + q + kv), (start + r) * kv);
          cv.set(qkv.subarray(r * width + q + kv, r * width + width), (start + r) * kv);
        }
        keys = () => ({ buf: ck, ld: kv, col: 0 });
        values = () => ({ buf: cv, ld: kv, col: 0 });
      } else {
        keys = (s) => ({ buf: qkv.subarray(s * len * width), ld: width, col: q });
        values = (s) => ({ buf: qkv.subarray(s * len * width), ld: width, col: q + kv });
      }
      attention({ mm, vec: this.vec, config: c, qkv, qkvWidth: width, out: att, seqs, len, start, keys, values, scratch: this.buf.scratch }); // prettier-ignore
      mm.run(att, q, p.o, h, H, rows, true);
      this.vec.rmsNorm(h, p.norm2, xn, rows, H, c.rmsEps);
      if (p.ffn.kind === 'sparse') {
        sparseMoe({ mm, vec: this.vec, block: p.ffn, xn, h, gu, rows, scratch: this.buf.moe! });
      } else {
        swiGlu(mm, this.vec, p.ffn.mlp, xn, rows, gu, h, true);
      }
    }
    if (cached) this.cacheLength += len;
    this.vec.rmsNorm(h, this.packed.norm, xn, rows, H, c.rmsEps);
    return xn.subarray(0, rows * H);
  }

  /** Logits of `rows` (<= logitRows) hidden-state rows: [rows, vocab], a view valid until the next call. */
  logits(hidden: Float32Array, rows: number): Float32Array {
    if (rows > this.logitRows) throw new RangeError(`at most ${this.logitRows} logit rows at once`);
    const v = this.config.vocabSize;
    this.matmul.run(hidden, this.config.hidden, this.packed.lmHead, this.buf.logits, v, rows);
    return this.buf.logits.subarray(0, rows * v);
  }
}
