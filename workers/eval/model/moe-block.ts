/**
 * A sparse MLP block (transformers' MixtralSparseMoeBlock, Qwen2MoeSparseMoeBlock,
 * Qwen3MoeSparseMoeBlock, DeepSeek-MoE's DeepseekMoE) for a block of rows: the router's logits
 * pick each row's top-k experts; each expert runs once on the rows routed to it, gathered into
 * one matrix, and the weighted outputs are summed; a shared expert, when the block has one,
 * runs on every row (scaled by the sigmoid of its gate in Qwen2-MoE); the sum is added to the
 * residual stream.
 *
 * The weights (./layer-mlps.ts): the chosen experts' softmax probabilities over all experts,
 * renormalised over the top k or not. Renormalised, they are the softmax over the k chosen
 * logits, which is how they are computed here (one exponential fewer per expert).
 * Ties between equal logits go to the lower expert index (torch.topk leaves them unspecified).
 */
import { Arena } from '../kernels/arena.ts';
import type { Matmul } from '../kernels/matmul.ts';
import type { VectorOps } from '../kernels/vector-ops.ts';
import type { PackedSparse } from './mlp-weights.ts';
import { swiGlu } from './swiglu.ts';

/** Buffers of the block, in the decoder's arena. */
export interface MoeScratch {
  /** [rows, experts] router logits. */
  readonly logits: Float32Array;
  /** [rows, hidden]: one expert's input rows, then its outputs. */
  readonly gathered: Float32Array;
  readonly out: Float32Array;
  /** [rows, hidden]: the weighted sum of the experts' outputs. */
  readonly acc: Float32Array;
  /** [rows, perToken]: each row's chosen experts and their weights. */
  readonly choice: Int32Array;
  readonly weight: Float32Array;
  /** [rows]: the rows one expert runs on. */
  readonly rowsOf: Int32Array;
  readonly weightOf: Float32Array;
}

/** Floats of the arena the scratch takes, for `maxRows` rows. */
export function moeScratchFloats(maxRows: number, experts: number, hidden: number): number {
  return Arena.slot(maxRows * experts) + 3 * Arena.slot(maxRows * hidden);
}

/** The scratch: the matmuls' buffers in the arena, the routing tables beside it. */
export function allocateMoeScratch(
  arena: Arena,
  maxRows: number,
  experts: number,
  perToken: number,
  hidden: number,
): MoeScratch {
  return {
    logits: arena.alloc(maxRows * experts),
    gathered: arena.alloc(maxRows * hidden),
    out: arena.alloc(maxRows * hidden),
    acc: arena.alloc(maxRows * hidden),
    choice: new Int32Array(maxRows * perToken),
    weight: new Float32Array(maxRows * perToken),
    rowsOf: new Int32Array(maxRows),
    weightOf: new Float32Array(maxRows),
  };
}

/**
 * Each row's top `k` logits (ties: lower index first) and their weights: the softmax over the
 * k chosen logits (`renormalise`), or each one's softmax probability over all experts.
 */
export function route(
  logits: Float32Array,
  rows: number,
  experts: number,
  k: number,
  choice: Int32Array,
  weight: Float32Array,
  renormalise = true,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * experts;
    const picked = r * k;
    for (let j = 0; j < k; j++) {
      let best = -1;
      for (let e = 0; e < experts; e++) {
        let taken = false;
        for (let i = 0; i < j; i++) if (choice[picked + i] === e) taken = true;
        if (!taken && (best < 0 || logits[o + e]! > logits[o + best]!)) best = e;
      }
      choice[picked + j] = best;
    }
    const top = logits[o + choice[picked]!]!;
    let sum = 0;
    if (renormalise) for (let j = 0; j < k; j++) sum += Math.exp(logits[o + choice[picked + j]!]! - top);
    else for (let e = 0; e < experts; e++) sum += Math.exp(logits[o + e]! - top);
    for (let j = 0; j < k; j++) weight[picked + j] = Math.exp(logits[o + choice[picked + j]!]! - top) / sum;
  }
}

export interface MoeArgs {
  readonly mm: Matmul;
  readonly vec: VectorOps;
  readonly block: PackedSparse;
  /** [rows, hidden] normed input; `h` the residual stream the result is added to. */
  readonly xn: Float32Array;
  readonly h: Float32Array;
  /** [rows, 2 * intermediate] scratch of the MLPs. */
  readonly gu: Float32Array;
  readonly rows: number;
  readonly scratch: MoeScratch;
}

export function sparseMoe(a: MoeArgs): void {
  const { mm, vec, block, rows, scratch: s } = a;
  const { experts, perToken: k, renormalise } = block.spec;
  const H = block.router.k;
  mm.run(a.xn, H, block.router, s.logits, experts, rows);
  route(s.logits, rows, experts, k, s.choice, s.weight, renormalise);
  s.acc.fill(0, 0, rows * H);
  for (let e = 0; e < experts; e++) {
    let n = 0;
    for (let i = 0; i < rows * k; i++) {
      if (s.choice[i] !== e) continue;
      const r = Math.floor(i / k);
      s.rowsOf[n] = r;
      s.weightOf[n] = s.weight[i]!;
      s.gathered.set(a.xn.subarray(r * H, r * H + H), n * H);
      n++;
    }
    if (n === 0) continue;
    swiGlu(mm, vec, block.experts[e]!, s.gathered, n, a.gu, s.out, false);
    for (let j = 0; j < n; j++) {
      const w = s.weightOf[j]!;
      const o = s.rowsOf[j]! * H;
      for (let c = 0; c < H; c++) s.acc[o + c]! += w * s.out[j * H + c]!;
    }
  }
  if (block.shared) addShared(a, block.shared, H);
  for (let i = 0; i < rows * H; i++) a.h[i]! += s.acc[i]!;
}

/** acc += shared(x), scaled per row by sigmoid(shared_expert_gate · x) when gated. */
function addShared(a: MoeArgs, shared: NonNullable<PackedSparse['shared']>, H: number): void {
  const { mm, block, rows, scratch: s } = a;
  swiGlu(mm, a.vec, shared, a.xn, rows, a.gu, s.out, false);
  const gate = block.sharedGate;
  // The gate's one logit per row goes into the router's logits, no longer needed.
  if (gate) mm.run(a.xn, H, gate, s.logits, 1, rows);
  for (let r = 0; r < rows; r++) {
    const g = gate ? Math.fround(1 / (1 + Math.exp(-s.logits[r]!))) : 1;
    const o = r * H;
    for (let c = 0; c < H; c++) s.acc[o + c]! += g * s.out[o + c]!;
  }
}
