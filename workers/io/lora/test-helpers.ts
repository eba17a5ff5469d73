/**
 * Test helpers: PEFT-style LoRA adapters built in memory for the tinymix fixtures, and an
 * independent reference of what PEFT's merge_and_unload() makes of a bf16 weight, written
 * from the formulas (docs/differences.md#lora-adapters), not from ./lora-delta.ts.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { uniformAt } from '../../rng.ts';
import { decodeToF32, encodeFromF32, rounderFor, roundToF16, type WritableDType } from '../dtypes.ts';
import { serializeSafetensors } from '../safetensors/layout.ts';

export interface Factor {
  readonly name: string;
  readonly dtype: WritableDType;
  readonly shape: readonly [number, number];
  readonly values: Float32Array;
}

/** Seeded values in [-0.5, 0.5), exactly representable in `dtype`. */
export function factor(
  name: string,
  shape: readonly [number, number],
  dtype: WritableDType,
  seed: number,
): Factor {
  const values = new Float32Array(shape[0] * shape[1]);
  for (let i = 0; i < values.length; i++) values[i] = uniformAt(seed, i) - 0.5;
  if (dtype === 'BF16') for (let i = 0; i < values.length; i++) values[i] = bf16Value(bf16Bits(values[i]!));
  if (dtype === 'F16') for (let i = 0; i < values.length; i++) values[i] = roundToF16(values[i]!);
  return { name, dtype, shape, values };
}

/** A LoRA pair of `module` (rank r, in x out as nn.Linear sees them), PEFT's tensor names. */
export function linearPair(
  module: string,
  r: number,
  inF: number,
  outF: number,
  dtype: WritableDType,
  seed: number,
): [Factor, Factor] {
  const p = `base_model.model.${module}`;
  return [
    factor(`${p}.lora_A.weight`, [r, inF], dtype, seed),
    factor(`${p}.lora_B.weight`, [outF, r], dtype, seed + 1),
  ];
}

export function embeddingPair(
  module: string,
  r: number,
  vocab: number,
  dim: number,
  seed: number,
): [Factor, Factor] {
  const p = `base_model.model.${module}`;
  return [
    factor(`${p}.lora_embedding_A`, [r, vocab], 'F32', seed),
    factor(`${p}.lora_embedding_B`, [dim, r], 'F32', seed + 1),
  ];
}

export const BASE_CONFIG = {
  peft_type: 'LORA',
  task_type: 'CAUSAL_LM',
  base_model_name_or_path: 'tinymix-base',
  r: 2,
  lora_alpha: 4,
  lora_dropout: 0.05,
  bias: 'none',
  use_rslora: false,
  use_dora: false,
  fan_in_fan_out: false,
  init_lora_weights: true,
  modules_to_save: null,
  rank_pattern: {},
  alpha_pattern: {},
  layer_replication: null,
  loftq_config: {},
  megatron_config: null,
  target_modules: ['q_proj', 'v_proj'],
};

/** A model folder's files: a config.json and the tensors in one model.safetensors. */
export function modelFiles(
  tensors: readonly Factor[],
  config: Record<string, unknown> = { model_type: 'llama' },
): Map<string, Uint8Array> {
  return new Map([
    ['config.json', new TextEncoder().encode(JSON.stringify(config))],
    [
      'model.safetensors',
      serializeSafetensors(
        tensors.map((t) => ({
          name: t.name,
          dtype: t.dtype,
          shape: [...t.shape],
          data: encodeFromF32(t.values, t.dtype),
        })),
      ),
    ],
  ]);
}

/** adapter_config.json and adapter_model.safetensors. */
/** A tensor of an adapter's file: a factor, or a 1-D one (lora_B.bias). */
export type AdapterTensor = Omit<Factor, 'shape'> & { readonly shape: readonly number[] };

export function adapterFiles(
  config: Record<string, unknown>,
  factors: readonly AdapterTensor[],
): Map<string, Uint8Array> {
  const weights = serializeSafetensors(
    factors.map((f) => ({
      name: f.name,
      dtype: f.dtype,
      shape: [...f.shape],
      data: encodeFromF32(f.values, f.dtype),
    })),
    { format: 'pt' },
  );
  return new Map([
    ['adapter_config.json', new TextEncoder().encode(JSON.stringify(config))],
    ['adapter_model.safetensors', weights],
  ]);
}

/** The files of a folder (one level), by name. */
export async function folderFiles(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const f of await readdir(dir)) out.set(f, new Uint8Array(await readFile(path.join(dir, f))));
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function bf16Value(bits: number): number {
  u32[0] = bits << 16;
  return f32[0]!;
}

/** Round to nearest, ties to even (torch's `.to(torch.bfloat16)`), for finite values. */
export function bf16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const lower = b & 0xffff;
  let upper = b >>> 16;
  if (lower > 0x8000 || (lower === 0x8000 && (upper & 1) === 1)) upper++;
  return upper & 0xffff;
}

/**
 * Element (i, j) of a rows x cols weight's delta: float32(B @ A) summed in float64 (exact
 * products of float32 values, one rounding at the end), times the float32 scaling.
 * `transposed`: the weight is (in, out), so delta[i, o] = sum_k A[k, i] B[o, k].
 */
function referenceDelta(
  i: number,
  j: number,
  rows: number,
  cols: number,
  a: Factor,
  b: Factor,
  scaling: number,
  transposed: boolean,
): number {
  const r = a.shape[0];
  let sum = 0;
  for (let k = 0; k < r; k++) {
    sum += transposed
      ? a.values[k * rows + i]! * b.values[j * r + k]!
      : b.values[i * r + k]! * a.values[k * cols + j]!;
  }
  return Math.fround(Math.fround(sum) * Math.fround(scaling));
}

/**
 * PEFT's merge of one bf16 weight (rows x cols, row-major), as mergekit runs it: the adapter
 * upcast to float32, delta = float32(B @ A) * float32(scaling); a linear layer adds it in
 * float32 and rounds once to bf16 (`weight += delta`), an embedding rounds the delta to bf16
 * first (`weight += delta.to(weight.dtype)`). `transposed`: the weight is (in, out), as a
 * Conv1D or an embedding, so delta[i, o] = sum_k A[k, i] B[o, k].
 */
export function referenceMerge(
  weight: Uint8Array,
  rows: number,
  cols: number,
  a: Factor,
  b: Factor,
  scaling: number,
  kind: 'linear' | 'embedding',
  transposed: boolean,
): Uint8Array {
  const bitsIn = new Uint16Array(weight.slice().buffer);
  const out = new Uint16Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const delta = referenceDelta(i, j, rows, cols, a, b, scaling, transposed);
      const w = bf16Value(bitsIn[i * cols + j]!);
      const added = kind === 'linear' ? delta : bf16Value(bf16Bits(delta));
      out[i * cols + j] = bf16Bits(Math.fround(w + added));
    }
  }
  return new Uint8Array(out.buffer);
}

/**
 * The same merge for a weight of any float dtype (rows x cols of `dtype` bytes), from the same
 * formulas: the delta summed in float64 from the float32 factors, rounded to float32, times the
 * float32 scaling; a linear layer adds it in float32 and rounds once, an embedding rounds the
 * delta to the weight's dtype first.
 */
export function referenceMergeAny(
  weight: Uint8Array,
  dtype: WritableDType,
  rows: number,
  cols: number,
  a: Factor,
  b: Factor,
  scaling: number,
  kind: 'linear' | 'embedding',
  transposed: boolean,
): Uint8Array {
  const w = decodeToF32(weight, dtype);
  const out = new Float32Array(rows * cols);
  const round = rounderFor(dtype);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const delta = referenceDelta(i, j, rows, cols, a, b, scaling, transposed);
      out[i * cols + j] = Math.fround(w[i * cols + j]! + (kind === 'linear' ? delta : round(delta)));
    }
  }
  return encodeFromF32(out, dtype);
}
