/**
 * How close the WebGPU backend's output must be to the CPU kernel's, per method: the numbers
 * the parity suites (e2e/webgpu) enforce and docs/webgpu.md explains.
 *
 * An element passes when it is within `ulps` float32 ulps of the CPU value, or within
 * `normwise` x the tensor's largest |CPU value| (for methods built on float64 reductions, whose
 * small elements carry absolute, not relative, error). At most `outliers` x n elements (and at
 * least 2, when outliers > 0) may fail both: only arcee_fusion, whose f32 importance can fall on
 * the other side of its threshold.
 */
export interface Tolerance {
  readonly ulps: number;
  readonly normwise: number;
  readonly outliers: number;
}

/**
 * Per-element methods: 2 ulps, or 2 ulps of the tensor's largest value (2^-22 of it) where the
 * result cancels (GPUs may fuse a multiply-add, which changes the last bit of the terms).
 */
const EXACTISH: Tolerance = { ulps: 2, normwise: 2 ** -22, outliers: 0 };
const SPHERE: Tolerance = { ulps: 8, normwise: 2e-6, outliers: 0 };

export const TOLERANCES: Readonly<Record<string, Tolerance>> = {
  linear: EXACTISH,
  passthrough: EXACTISH,
  nearswap: EXACTISH,
  ram: EXACTISH,
  ramplus_tl: EXACTISH,
  task_arithmetic: EXACTISH,
  ties: EXACTISH,
  dare_ties: EXACTISH,
  dare_linear: EXACTISH,
  breadcrumbs: EXACTISH,
  breadcrumbs_ties: EXACTISH,
  della: EXACTISH,
  della_linear: EXACTISH,
  sce: { ulps: 4, normwise: 2 ** -22, outliers: 0 },
  slerp: { ulps: 2, normwise: 1e-7, outliers: 0 },
  nuslerp: SPHERE,
  multislerp: SPHERE,
  karcher: { ulps: 8, normwise: 1e-5, outliers: 0 },
  model_stock: SPHERE,
  arcee_fusion: { ulps: 2, normwise: 2 ** -22, outliers: 0.01 },
};

/** Distance in float32 ulps (NaN equals NaN; +0 equals -0). */
export function ulpDistance(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  const f = new Float32Array([a, b]);
  const u = new Int32Array(f.buffer);
  return Math.abs(linearKey(u[0]!) - linearKey(u[1]!));
}

/** float32 bits (as int32) to an integer that counts ulps across zero. */
function linearKey(bits: number): number {
  return bits < 0 ? -2147483648 - bits : bits;
}

export interface Comparison {
  readonly n: number;
  readonly maxUlps: number;
  /** Largest |gpu - cpu| / max |cpu|. */
  readonly maxNormwise: number;
  /** Elements outside both bounds. */
  readonly failing: number;
  readonly allowedFailing: number;
  readonly firstFailing: readonly { index: number; cpu: number; gpu: number }[];
  readonly ok: boolean;
}

export function compareOutputs(cpu: Float32Array, gpu: Float32Array, tol: Tolerance): Comparison {
  let scale = 0;
  for (let i = 0; i < cpu.length; i++) scale = Math.max(scale, Math.abs(cpu[i]!));
  let maxUlps = 0;
  let maxNormwise = 0;
  let failing = 0;
  const firstFailing: { index: number; cpu: number; gpu: number }[] = [];
  for (let i = 0; i < cpu.length; i++) {
    const c = cpu[i]!;
    const g = gpu[i]!;
    const ulps = ulpDistance(c, g);
    const nw = scale > 0 ? Math.abs(c - g) / scale : Math.abs(c - g);
    maxUlps = Math.max(maxUlps, ulps);
    if (Number.isFinite(nw)) maxNormwise = Math.max(maxNormwise, nw);
    if (ulps > tol.ulps && !(nw <= tol.normwise)) {
      failing++;
      if (firstFailing.length < 5) firstFailing.push({ index: i, cpu: c, gpu: g });
    }
  }
  const allowedFailing = tol.outliers > 0 ? Math.max(2, Math.floor(tol.outliers * cpu.length)) : 0;
  return {
    n: cpu.length,
    maxUlps,
    maxNormwise,
    failing,
    allowedFailing,
    firstFailing,
    ok: cpu.length === gpu.length && failing <= allowedFailing,
  };
}
