/**
 * What the per-layer analysis returns: plain numbers and names (no tensors), so a worker can
 * hand it to the page as it is, and the heatmap can pick any metric by key.
 */

/** The heatmap's metrics, one number per (layer, module). */
export const METRICS = [
  'cosine',
  'signConflict',
  'relNorm',
  'normShare',
  'trimmedEnergy',
  'slerpDegrees',
] as const;
export type Metric = (typeof METRICS)[number];

export interface ModelTensorStats {
  readonly model: string;
  /** ||x - base||. */
  readonly norm: number;
  /** ||x - base|| / ||base||. */
  readonly relNorm: number;
  /** The density TIES would use for this model and tensor. */
  readonly density: number;
  /** Share of the entries TIES's trim zeroes at that density. */
  readonly trimmed: number;
  /** Share of the task vector's squared norm they carry. */
  readonly trimmedEnergy: number;
}

export interface TensorAnalysis {
  /** Output layer index. */
  readonly layer: number;
  /** The tensor's name inside the layer, without ".weight" ("self_attn.q_proj"). */
  readonly module: string;
  /** The output tensor's full name. */
  readonly tensor: string;
  readonly elements: number;
  /** Elements read (fewer than `elements` when rows were sampled). */
  readonly sampled: number;
  /**
   * Per metric, null where it does not apply: task-vector metrics without a base, pair metrics
   * with one model. `relNorm` and `trimmedEnergy` are means over the models.
   */
  readonly metrics: Readonly<Record<Metric, number | null>>;
  /** Per non-base model (empty without a base). */
  readonly perModel: readonly ModelTensorStats[];
  /** The model with the largest task vector, when there are several. */
  readonly dominant: string | null;
  /** SLERP would interpolate linearly here (nearly colinear tensors). */
  readonly slerpLerp: boolean | null;
}

export type WarningKind =
  'far-apart' | 'unrelated' | 'opposed' | 'dominant' | 'sign-conflict' | 'trim-energy' | 'unchanged';

export interface AnalysisWarning {
  readonly kind: WarningKind;
  /** 'warning': a known failure sign; 'note': worth knowing, often normal. */
  readonly severity: 'warning' | 'note';
  /** One sentence with the numbers behind it. */
  readonly message: string;
  /** Analysed tensors over the threshold. */
  readonly tensors: number;
  readonly threshold: number;
  /** The most extreme tensor and its value. */
  readonly worst: { readonly tensor: string; readonly value: number };
}

export interface AnalysisResult {
  readonly method: string;
  /** The base of the task vectors; undefined when the recipe has none. */
  readonly base: string | undefined;
  /** The non-base models, in recipe order. */
  readonly models: readonly string[];
  /** The two models the SLERP angle is measured between. */
  readonly slerpPair: readonly [string, string] | undefined;
  readonly numLayers: number;
  /** Layers read and analysed. */
  readonly layers: readonly number[];
  /** Heatmap columns, in a reader's order (attention, MLP, norms, others). */
  readonly modules: readonly string[];
  /** Share of each tensor's rows read: 1 when whole tensors were read. */
  readonly rowFraction: number;
  /** Where the TIES column's densities come from: the recipe, `options.density` where it sets none, or both. */
  readonly densitySource: 'recipe' | 'assumed' | 'both';
  readonly tensors: readonly TensorAnalysis[];
  readonly warnings: readonly AnalysisWarning[];
  readonly bytesRead: number;
  readonly requests: number;
  /** Bytes of all layer tensors of all models (what a full read would take). */
  readonly bytesAllLayers: number;
  readonly elapsedMs: number;
}

export interface AnalysisProgress {
  readonly tensorsDone: number;
  readonly tensorsTotal: number;
  readonly bytesRead: number;
}
