/**
 * What the harness page exposes as `window.webgpuHarness`: the Playwright specs (Node) import
 * these types only, and call the functions through page.evaluate.
 */
export interface ParityReport {
  readonly name: string;
  readonly method: string;
  readonly n: number;
  readonly segments: number;
  readonly maxUlps: number;
  readonly maxNormwise: number;
  readonly failing: number;
  readonly allowedFailing: number;
  readonly firstFailing: readonly { index: number; cpu: number; gpu: number }[];
  readonly ok: boolean;
  /** The GPU run left every input and the base as they were. */
  readonly inputsIntact: boolean;
  readonly cpuWarnings: readonly string[];
  readonly gpuWarnings: readonly string[];
  readonly gpuMs: number;
  readonly cpuMs: number;
}

export interface CodecReport {
  readonly dtype: 'BF16' | 'F16';
  readonly values: number;
  /** Values whose decoded bits differ from the CPU codec (NaNs compared as NaN). */
  readonly decodeMismatches: number;
  /** Encoded 16-bit codes that differ from the CPU codec. */
  readonly encodeMismatches: number;
  readonly chunks: number;
}

export interface GoldenReport {
  readonly recipe: string;
  readonly method: string;
  readonly tensors: number;
  /** Tensors outside the method's tolerance, with their comparison. */
  readonly failures: readonly string[];
  readonly worstUlps: number;
  readonly worstNormwise: number;
  readonly failingElements: number;
  readonly cpuWarnings: readonly string[];
  readonly gpuWarnings: readonly string[];
  /** Tensors the GPU handed to the CPU, and tensors it ran. */
  readonly handedBack: number;
  readonly gpuTensors: number;
  readonly cpuMs: number;
  readonly gpuMs: number;
}

export interface DeviceLostReport {
  /** Every output tensor within the method's tolerance of the CPU run. */
  readonly matchesCpu: boolean;
  /** Calls the GPU backend received: the tensors before the loss, and the one it interrupted. */
  readonly gpuCalls: number;
  readonly gpuTensorsBeforeLoss: number;
  /** Tensors the wrapper ran on the CPU (later ones may take the engine's own CPU streaming path). */
  readonly cpuTensorsAfter: number;
  readonly tensors: number;
  readonly backendNameAfter: string;
  readonly warnings: readonly string[];
}

export interface SelectionReport {
  readonly name: string;
  readonly reason: string;
  readonly routes: { readonly elementwise: string; readonly wholeTensor: string };
}

export interface BenchRow {
  readonly method: string;
  readonly elements: number;
  readonly cpuMs: number;
  readonly gpuMs: number;
}

export interface WebGpuHarness {
  adapterInfo(): Promise<string | null>;
  caseNames(large?: boolean): string[];
  parity(name: string, maxBindingBytes?: number): Promise<ParityReport>;
  codecs(dtype: 'BF16' | 'F16', maxBindingBytes?: number): Promise<CodecReport>;
  goldenNames(): Promise<string[]>;
  golden(recipe: string, maxBindingBytes?: number): Promise<GoldenReport>;
  deviceLost(): Promise<DeviceLostReport>;
  select(prefer: 'auto' | 'cpu' | 'webgpu', calibrateSoftware?: boolean): Promise<SelectionReport>;
  bench(method: string, elements: number, runs: number): Promise<BenchRow>;
}
