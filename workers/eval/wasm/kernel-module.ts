/**
 * The evaluation's WebAssembly module: the matmul kernels and the vectorised exponentials,
 * compiled once (it is about 2 KB, so synchronous compilation is allowed even on a page's main
 * thread) and instantiated on each arena's memory.
 */
import { gemmKernels } from './gemm-module.ts';
import { expSumKernel, rmsNormKernel, siluMulKernel } from './vector-kernels.ts';
import { buildModule } from '../../simd/wasm-builder.ts';

export type GemmKernel = (
  x: number,
  ldx: number,
  p: number,
  kBytes: number,
  panels: number,
  y: number,
  ldy: number,
  rows: number,
  accumulate: number,
) => void;

export interface KernelExports {
  readonly gemm4: GemmKernel;
  readonly gemm1: GemmKernel;
  /** x <- exp((x - shift) * scale) over blocks x 4 floats in place; returns their sum. */
  readonly expsum: (ptr: number, blocks: number, shift: number, scale: number) => number;
  /** gate <- silu(gate) * up over rows of [gate | up], blocks x 4 columns. */
  readonly silumul: (ptr: number, rows: number, blocks: number, dimBytes: number, ldBytes: number) => void;
  /** out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * w over contiguous rows of blocks x 4 floats. */
  readonly rmsnorm: (
    x: number,
    w: number,
    out: number,
    rows: number,
    blocks: number,
    invDim: number,
    eps: number,
  ) => void;
}

let compiled: WebAssembly.Module | null | undefined;

/** The compiled module, or null where WebAssembly SIMD is unavailable. */
export function kernelModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  const bytes = buildModule([...gemmKernels(), expSumKernel(), siluMulKernel(), rmsNormKernel()]);
  compiled =
    typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  return compiled;
}

export function instantiateKernels(memory: WebAssembly.Memory): KernelExports | undefined {
  const mod = kernelModule();
  if (!mod) return undefined;
  return new WebAssembly.Instance(mod, { env: { mem: memory } }).exports as unknown as KernelExports;
}
