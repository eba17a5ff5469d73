/**
 * A layer's MLP weights, packed in the arena: a dense MLP (gate | up fused into one matrix, and
 * down), or a sparse block's router, experts and shared expert (with its gate).
 *
 * Tensor names by family: Mixtral's block_sparse_moe.{gate, experts.E.w1|w3|w2}; Qwen's and
 * DeepSeek's mlp.{gate, experts.E.gate_proj|up_proj|down_proj}, with Qwen2-MoE's
 * mlp.shared_expert and mlp.shared_expert_gate, and DeepSeek's mlp.shared_experts.
 * transformers v5 holds the Qwen MoEs' experts fused, mlp.experts.gate_up_proj [E, 2I, H] (each
 * expert's gate rows, then its up rows: our gate | up layout already) and mlp.experts.down_proj
 * [E, H, I]; a layer may come in either form.
 */
import { Arena } from '../kernels/arena.ts';
import { packedSize, packRows, type PackedMatrix } from '../kernels/matmul.ts';
import type { DecoderArchitecture } from './decoder-config.ts';
import type { LayerMlp, SparseMlp } from './layer-mlps.ts';
import type { WeightTensor } from './weights.ts';

export interface PackedMlp {
  /** [2 * intermediate, hidden]: gate rows, then up rows. */
  readonly gateUp: PackedMatrix;
  readonly down: PackedMatrix;
}

export interface PackedDense {
  readonly kind: 'dense';
  readonly mlp: PackedMlp;
}

export interface PackedSparse {
  readonly kind: 'sparse';
  readonly spec: SparseMlp;
  /** [experts, hidden] */
  readonly router: PackedMatrix;
  readonly experts: readonly PackedMlp[];
  readonly shared: PackedMlp | undefined;
  /** [1, hidden]: the shared expert's gate (Qwen2-MoE). */
  readonly sharedGate: PackedMatrix | undefined;
}

export type PackedFfn = PackedDense | PackedSparse;

/** The tensor of that name, checked against the shape config.json implies (and marked used). */
export type TensorGetter = (name: string, shape: readonly number[]) => WeightTensor;

const slot = Arena.slot;

function matrixSize(n: number, k: number, bias: boolean): number {
  return slot(packedSize(n, k)) + (bias ? slot(n) : 0);
}

const mlpSize = (h: number, i: number, bias: boolean): number =>
  matrixSize(2 * i, h, bias) + matrixSize(h, i, bias);

/** Floats the packed MLP of one layer takes; `bias`: a dense MLP's biases (Llama's mlp_bias). */
export function mlpWeightsSize(m: LayerMlp, h: number, bias: boolean): number {
  if (m.kind === 'dense') return mlpSize(h, m.intermediate, bias);
  const shared = m.shared ? mlpSize(h, m.shared.intermediate, false) + (m.shared.gated ? matrixSize(1, h, false) : 0) : 0; // prettier-ignore
  return matrixSize(m.experts, h, false) + m.experts * mlpSize(h, m.intermediate, false) + shared;
}

export function matrix(arena: Arena, n: number, k: number, bias: boolean): PackedMatrix {
  return { n, k, data: arena.alloc(packedSize(n, k)), bias: bias ? arena.alloc(n) : undefined };
}

function mlp(arena: Arena, h: number, i: number, bias: boolean): PackedMlp {
  return { gateUp: matrix(arena, 2 * i, h, bias), down: matrix(arena, h, i, bias) };
}

export function allocateFfn(arena: Arena, m: LayerMlp, h: number, bias: boolean): PackedFfn {
  if (m.kind === 'dense') return { kind: 'dense', mlp: mlp(arena, h, m.intermediate, bias) };
  return {
    kind: 'sparse',
    spec: m,
    router: matrix(arena, m.experts, h, false),
    experts: Array.from({ length: m.experts }, () => mlp(arena, h, m.intermediate, false)),
    shared: m.shared && mlp(arena, h, m.shared.intermediate, false),
    sharedGate: m.shared?.gated ? matrix(arena, 1, h, false) : undefined,
  };
}

/** Packs [n_i, k] matrices stacked as one [sum n_i, k] matrix (q|k|v, gate|up). */
export function packConcat(parts: readonly WeightTensor[], out: PackedMatrix): void {
  packRows(
    parts.map((p) => ({ data: p.data, rows: p.shape[0]! })),
    out.k,
    out.data,
  );
}

export function concatBias(parts: readonly WeightTensor[], out: Float32Array | undefined): void {
  if (!out) return;
  let o = 0;
  for (const p of parts) {
    out.set(p.data, o);
    o += p.data.length;
  }
}

interface SparseNames {
  readonly router: string;
  /** gate, up, down of expert e */
  readonly expert: (e: number) => readonly [string, string, string];
  /** Whether transformers v5's fused expert tensors may stand for the per-expert ones. */
  readonly fused: boolean;
}

const mixtralExpert = (e: number): string => `block_sparse_moe.experts.${e}`;
const expert = (e: number): string => `mlp.experts.${e}`;

function sparseNames(architecture: DecoderArchitecture): SparseNames {
  if (architecture === 'MixtralForCausalLM') {
    const x = mixtralExpert;
    return { router: 'block_sparse_moe.gate', expert: (e) => [`${x(e)}.w1`, `${x(e)}.w3`, `${x(e)}.w2`], fused: false }; // prettier-ignore
  }
  return {
    router: 'mlp.gate',
    expert: (e) => [`${expert(e)}.gate_proj`, `${expert(e)}.up_proj`, `${expert(e)}.down_proj`],
    fused: architecture === 'Qwen2MoeForCausalLM' || architecture === 'Qwen3MoeForCausalLM',
  };
}

/**
 * Fills a layer's packed MLP from its tensors: `get` takes names relative to the layer
 * (`mlp.gate_proj.weight`), `has` tells whether the layer has one.
 */
export function packFfn(
  ffn: PackedFfn,
  architecture: DecoderArchitecture,
  h: number,
  get: TensorGetter,
  has: (name: string) => boolean,
): void {
  const proj = (name: string, n: number, k: number): WeightTensor => get(`${name}.weight`, [n, k]);
  const plain = (out: PackedMlp, [g, u, d]: readonly [string, string, string]): void => {
    const i = out.down.k;
    packConcat([proj(g, i, h), proj(u, i, h)], out.gateUp);
    packConcat([proj(d, h, i)], out.down);
  };
  if (ffn.kind === 'dense') {
    plain(ffn.mlp, ['mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj']);
    if (ffn.mlp.gateUp.bias) {
      const i = ffn.mlp.down.k;
      concatBias([get('mlp.gate_proj.bias', [i]), get('mlp.up_proj.bias', [i])], ffn.mlp.gateUp.bias);
      concatBias([get('mlp.down_proj.bias', [h])], ffn.mlp.down.bias);
    }
    return;
  }
  const names = sparseNames(architecture);
  const { experts: e, intermediate: i } = ffn.spec;
  packConcat([proj(names.router, e, h)], ffn.router);
  if (names.fused && has('mlp.experts.gate_up_proj')) {
    const gu = get('mlp.experts.gate_up_proj', [e, 2 * i, h]).data;
    const down = get('mlp.experts.down_proj', [e, h, i]).data;
    for (const [x, out] of ffn.experts.entries()) {
      packRows([{ data: gu.subarray(x * 2 * i * h, (x + 1) * 2 * i * h), rows: 2 * i }], h, out.gateUp.data);
      packRows([{ data: down.subarray(x * h * i, (x + 1) * h * i), rows: h }], i, out.down.data);
    }
  } else {
    for (const [x, out] of ffn.experts.entries()) plain(out, names.expert(x));
  }
  if (ffn.shared) {
    // DeepSeek's n_shared_experts fused into one MLP; Qwen2-MoE's one shared expert.
    const s = architecture === 'DeepseekForCausalLM' ? 'mlp.shared_experts' : 'mlp.shared_expert';
    plain(ffn.shared, [`${s}.gate_proj`, `${s}.up_proj`, `${s}.down_proj`]);
  }
  if (ffn.sharedGate) packConcat([proj('mlp.shared_expert_gate', 1, h)], ffn.sharedGate);
}
