/**
 * Opens a PEFT LoRA adapter (a folder or Hub repo with adapter_config.json and
 * adapter_model.safetensors or adapter_model.bin): its config and its weights' header, never
 * their tensor data.
 * Each pair of factors is mapped to the base tensor it changes:
 *
 *   base_model.model.<module>.lora_A.weight / .lora_B.weight   ->  <module>.weight (a Linear or Conv1D)
 *   base_model.model.<module>.lora_embedding_A / _B            ->  <module>.weight (an Embedding)
 *
 * A module the config lists in `modules_to_save` is saved whole, as
 * `base_model.model.<module>.weight` (and `.bias`; PEFT drops the wrapper's
 * `modules_to_save.<adapter>.` from the names it saves), and replaces the base's tensor of that
 * name (LoraAdapter.saved). Anything else in the file (DoRA magnitudes, LoRA biases, trainable
 * token rows) would change the model in ways this merge does not reproduce, so it is refused
 * here, by name. An adapter_model.bin (PEFT before 0.6) is read like safetensors, its pickle
 * without running it (../torch/torch-file.ts).
 */
import { fnv1a32 } from '../../rng.ts';
import { isWritableDType } from '../dtypes.ts';
import { readSafetensorsHeader } from '../load-model.ts';
import type { TensorEntry } from '../safetensors/header.ts';
import { readTorchCheckpoint } from '../torch/torch-file.ts';
import { MAX_JSON_FILE_BYTES, type ByteSource, type ModelSource } from '../source.ts';
import { moduleScaling, parseAdapterConfig, type LoraAdapterConfig } from './adapter-config.ts';
import type { LoraLayerKind } from './lora-delta.ts';
import { LoraAdapterError } from './lora-errors.ts';

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';
/** PEFT's weights file before safetensors became its default (0.6). */
export const ADAPTER_WEIGHTS_BIN = 'adapter_model.bin';

export interface LoraModule {
  /** The module's name in the base model: `model.layers.0.self_attn.q_proj`. */
  readonly module: string;
  /** The base tensor it changes: `<module>.weight`. */
  readonly weight: string;
  readonly a: TensorEntry;
  readonly b: TensorEntry;
  readonly kind: LoraLayerKind;
  /** float32 scaling: lora_alpha / r, or lora_alpha / sqrt(r) with rsLoRA. */
  readonly scaling: number;
  /** lora_B's bias (lora_bias): `<module>.bias` gains it times the scaling, as PEFT merges it. */
  readonly bias?: TensorEntry;
}

export interface LoraAdapter {
  readonly id: string;
  readonly source: ModelSource;
  readonly config: LoraAdapterConfig;
  readonly weights: ByteSource;
  /** By base tensor name. */
  readonly modules: ReadonlyMap<string, LoraModule>;
  /** Tensors of modules_to_save modules, by the base tensor name they replace. */
  readonly saved: ReadonlyMap<string, TensorEntry>;
  /** What a merge should say about the adapter (bias changes PEFT ignores). */
  readonly notes: readonly string[];
  /**
   * Stands for the adapter's contents where it has no revision (a local folder): its config's
   * hash and its weights' size and modified time.
   */
  readonly contentKey: string;
}

/**
 * The longest tensor name read. Module names are matched against the config's patterns, whose
 * cost grows as a power of the name's length (adapter-config.ts), and both come from the
 * adapter's repo; the longest names of real models are under 150 characters.
 */
const MAX_NAME_LENGTH = 512;

/** PeftModel.save_pretrained's prefix; adapters saved through transformers have none. */
const PREFIX = 'base_model.model.';
const FACTOR = /^(.+)\.(lora_A\.weight|lora_B\.weight|lora_embedding_A|lora_embedding_B)$/;
const LORA_BIAS = /^(.+)\.lora_B\.bias$/;

/** A module PEFT wraps for modules_to_save: named so, or ending in `.name`. */
function savedModule(module: string, config: LoraAdapterConfig): boolean {
  return config.modulesToSave.some((m) => module === m || module.endsWith(`.${m}`));
}

/** `<module>.<param>` of a modules_to_save module (`modules_to_save.<adapter>.` dropped), if `name` is one. */
function savedTensor(name: string, config: LoraAdapterConfig): string | undefined {
  const bare = (name.startsWith(PREFIX) ? name.slice(PREFIX.length) : name).replace(
    /\.modules_to_save\.[^.]+\./,
    '.',
  );
  const dot = bare.lastIndexOf('.');
  if (dot <= 0 || name.includes('lora_') || name.includes('trainable_tokens')) return undefined;
  return savedModule(bare.slice(0, dot), config) ? bare : undefined;
}

/** Why a tensor that is not a LoRA factor is refused. */
function whyNotFactor(name: string, config: LoraAdapterConfig): string {
  const module = name.startsWith(PREFIX) ? name.slice(PREFIX.length) : name;
  if (name.includes('lora_magnitude_vector')) return 'a DoRA magnitude';
  if (name.includes('trainable_tokens')) return 'trainable token rows';
  if (
    config.modulesToSave.some((m) => module === m || module.startsWith(`${m}.`) || module.includes(`.${m}.`))
  ) {
    return 'a whole module the adapter replaces (modules_to_save)';
  }
  if (name.endsWith('.bias')) return 'a trained bias';
  return 'not a LoRA factor (lora_A / lora_B)';
}

export async function openAdapter(source: ModelSource, signal?: AbortSignal): Promise<LoraAdapter> {
  const id = source.id;
  const files = await source.listFiles(signal);
  const configBytes = await source.readFile(ADAPTER_CONFIG, signal, MAX_JSON_FILE_BYTES);
  if (!configBytes) {
    throw new LoraAdapterError(
      files.includes('config.json')
        ? `${id} is a model, not a LoRA adapter (it has no ${ADAPTER_CONFIG}): after '+' name a PEFT adapter`
        : `${id} has no ${ADAPTER_CONFIG}: is it a PEFT LoRA adapter?`,
    );
  }
  const configText = new TextDecoder().decode(configBytes);
  let json: unknown;
  try {
    json = JSON.parse(configText);
  } catch (e) {
    throw new LoraAdapterError(`${id}/${ADAPTER_CONFIG} is not valid JSON (${String(e)})`);
  }
  const config = parseAdapterConfig(json, `${id}/${ADAPTER_CONFIG}`);
  const weightsFile = [ADAPTER_WEIGHTS, ADAPTER_WEIGHTS_BIN].find((f) => files.includes(f));
  if (!weightsFile)
    throw new LoraAdapterError(`${id} has no ${ADAPTER_WEIGHTS} (nor ${ADAPTER_WEIGHTS_BIN})`);
  const weights = await source.open(weightsFile, signal);
  const tensors =
    weightsFile === ADAPTER_WEIGHTS
      ? (await readSafetensorsHeader(weights, signal)).tensors
      : await readTorchCheckpoint(weights, signal);

  const pairs = new Map<string, { a?: TensorEntry; b?: TensorEntry; kind: LoraLayerKind }>();
  const saved = new Map<string, TensorEntry>();
  /** lora_B biases by module. */
  const biases = new Map<string, TensorEntry>();
  /** Modules whose lora_B bias PEFT ignores (lora_bias is not set). */
  const ignoredBiases: string[] = [];
  for (const t of tensors) {
    if (t.name.length > MAX_NAME_LENGTH) {
      throw new LoraAdapterError(
        `${id}/${weightsFile} has a tensor name of ${t.name.length} characters (${t.name.slice(0, 64)}…), ` +
          `over the ${MAX_NAME_LENGTH} any model's modules have: is it a LoRA adapter?`,
      );
    }
    const biasOf = LORA_BIAS.exec(t.name);
    if (biasOf) {
      const module = biasOf[1]!.startsWith(PREFIX) ? biasOf[1]!.slice(PREFIX.length) : biasOf[1]!;
      if (!config.loraBias) {
        // PEFT builds lora_B without a bias then, and leaves these out of the model (an
        // unexpected key): mergekit-extract-lora writes them so. Ignored the same way, and said.
        ignoredBiases.push(module);
        continue;
      }
      if (!isWritableDType(t.dtype) || t.shape.length !== 1) {
        throw new LoraAdapterError(`${id}: ${t.name} must be a 1-D F32, F16 or BF16 tensor (it is ${t.dtype} [${t.shape.join(', ')}])`); // prettier-ignore
      }
      if (biases.has(module)) {
        throw new LoraAdapterError(`${id}/${weightsFile} has two lora_B biases for ${module} (${biases.get(module)!.name} and ${t.name}): keep one`); // prettier-ignore
      }
      biases.set(module, t);
      continue;
    }
    const m = FACTOR.exec(t.name);
    const whole = m ? undefined : savedTensor(t.name, config);
    if (whole !== undefined) {
      if (!isWritableDType(t.dtype)) {
        throw new LoraAdapterError(`${id}: ${t.name} is ${t.dtype}; a saved module must be F32, F16 or BF16`);
      }
      if (saved.has(whole)) {
        throw new LoraAdapterError(
          `${id}/${weightsFile} saves ${whole} twice (${saved.get(whole)!.name} and ${t.name}): keep one`,
        );
      }
      saved.set(whole, t);
      continue;
    }
    if (!m) {
      throw new LoraAdapterError(
        `${id}/${weightsFile} has ${t.name}, ${whyNotFactor(t.name, config)}, which is not supported: only plain LoRA factors can be merged`,
      );
    }
    const module = m[1]!.startsWith(PREFIX) ? m[1]!.slice(PREFIX.length) : m[1]!;
    const kind: LoraLayerKind = m[2]!.startsWith('lora_embedding') ? 'embedding' : 'linear';
    const pair = pairs.get(module) ?? { kind };
    if (pair.kind !== kind)
      throw new LoraAdapterError(`${id}: ${module} has both linear and embedding factors`);
    const slot = m[2]!.startsWith('lora_A') || m[2] === 'lora_embedding_A' ? 'a' : 'b';
    // Two names for one module (with and without PEFT's prefix): which one PEFT loads depends on
    // how it was saved, so neither is guessed.
    const seen = pair[slot];
    if (seen) {
      throw new LoraAdapterError(
        `${id}/${weightsFile} has two lora_${slot.toUpperCase()} factors for ${module} (${seen.name} and ${t.name}): keep one`,
      );
    }
    pair[slot] = t;
    pairs.set(module, pair);
  }
  if (pairs.size === 0 && saved.size === 0) {
    throw new LoraAdapterError(`${id}/${weightsFile} has no LoRA factors`);
  }
  for (const module of pairs.keys()) {
    // PEFT wraps such a module as a whole copy, and puts no LoRA layer in it.
    if (savedModule(module, config)) {
      throw new LoraAdapterError(
        `${id}: ${module} has LoRA factors but ${ADAPTER_CONFIG} lists it in modules_to_save, which PEFT saves whole: fix the adapter`,
      );
    }
  }

  const modules = new Map<string, LoraModule>();
  for (const [module, { a, b, kind }] of pairs) {
    if (!a || !b) {
      throw new LoraAdapterError(
        `${id}: ${module} has ${a ? 'lora_A' : 'lora_B'} but no ${a ? 'lora_B' : 'lora_A'}`,
      );
    }
    if (config.targets(module) === false) {
      throw new LoraAdapterError(
        `${id}: ${ADAPTER_CONFIG}'s target_modules do not name ${module}, so PEFT would not load its factors; fix the config`,
      );
    }
    for (const t of [a, b]) {
      if (!isWritableDType(t.dtype)) {
        throw new LoraAdapterError(`${id}: ${t.name} is ${t.dtype}; LoRA factors must be F32, F16 or BF16`);
      }
      if (t.shape.length !== 2) {
        throw new LoraAdapterError(
          `${id}: ${t.name} has shape [${t.shape.join(', ')}]; only 2-D factors (linear and embedding layers) are supported`,
        );
      }
    }
    const { r, scaling } = moduleScaling(config, module);
    if (a.shape[0] !== r || b.shape[1] !== r) {
      throw new LoraAdapterError(
        `${id}: ${module}'s factors are [${a.shape.join(', ')}] and [${b.shape.join(', ')}], not rank ${r} as ${ADAPTER_CONFIG} says`,
      );
    }
    if (config.loraBias && kind === 'embedding') {
      throw new LoraAdapterError(
        `${id}: ${ADAPTER_CONFIG} sets lora_bias and ${module} is an embedding LoRA, which PEFT refuses to load (lora_bias is not supported for Embedding layers)`,
      );
    }
    const bias = biases.get(module);
    if (bias && (kind !== 'linear' || bias.shape[0] !== b.shape[0])) {
      throw new LoraAdapterError(
        `${id}: ${bias.name} has shape [${bias.shape.join(', ')}], which does not fit ${module}'s lora_B [${b.shape.join(', ')}]`,
      );
    }
    modules.set(`${module}.weight`, { module, weight: `${module}.weight`, a, b, kind, scaling, ...(bias && { bias }) }); // prettier-ignore
  }
  for (const [module, bias] of biases) {
    if (!pairs.has(module))
      throw new LoraAdapterError(`${id}: ${bias.name} has no lora_A and lora_B for ${module}`);
  }
  const notes =
    ignoredBiases.length === 0
      ? []
      : [
          `${id} changes the biases of ${ignoredBiases.length} module(s) (${ignoredBiases.slice(0, 2).join(', ')}${ignoredBiases.length > 2 ? ', ...' : ''}) as lora_B.bias, ` +
            `but ${ADAPTER_CONFIG} does not set lora_bias, so PEFT ignores them, and so does this merge; set "lora_bias": true there to apply them`,
        ];
  return {
    id,
    source,
    config,
    weights,
    modules,
    saved,
    notes,
    contentKey: `${fnv1a32(configText).toString(16)}:${weights.size}:${weights.modified ?? ''}`,
  };
}
