/**
 * One SwiGLU MLP, down(silu(gate x) * up x), over `rows` rows: the dense MLP of a layer, each
 * expert of a sparse one, and its shared expert. gate and up are one fused matmul into `gu`.
 */
import type { Matmul } from '../kernels/matmul.ts';
import type { VectorOps } from '../kernels/vector-ops.ts';
import type { PackedMlp } from './mlp-weights.ts';

/** out (+)= MLP(x) for [rows, hidden] x; `gu` holds at least rows x 2 * intermediate floats. */
export function swiGlu(
  mm: Matmul,
  vec: VectorOps,
  mlp: PackedMlp,
  x: Float32Array,
  rows: number,
  gu: Float32Array,
  out: Float32Array,
  accumulate: boolean,
): void {
  const h = mlp.gateUp.k;
  const i = mlp.down.k;
  mm.run(x, h, mlp.gateUp, gu, 2 * i, rows);
  vec.siluMul(gu, rows, i);
  mm.run(gu, 2 * i, mlp.down, out, h, rows, accumulate);
}
