/**
 * The modules of a model, named as mergekit's architecture descriptions name them, for
 * `modules:` recipes: a plain decoder is one module, `default`; a vision-language model has
 * `text_decoder`, `vision_tower` and `multi_modal_projector` (mergekit's gemma3vl, mistral3,
 * qwen2_vl, qwen2_5_vl, qwen3_vl, llama4 descriptions; Llama 4 calls its tower `vision_model`,
 * accepted as the same module). We read them from the tensor names, as the layers
 * (architecture.ts): the projector's tensors are those under `multi_modal_projector.` or a
 * `merger` (Qwen's `visual.merger.`, `deepstack_merger_list.`), the tower's those under
 * `vision_tower.`, `vision_model.` or `visual.`, and the rest, embeddings and head included,
 * the language model's. Idefics3's `connector.` and InternVL's `mlp1.` are projectors too.
 *
 * Which of a module's tensors outside its layers come before them (taken from its first
 * slice's sources) and which after (its last slice's) follows mergekit's descriptions: a
 * projector's all before; a tower's embeddings, patch convolution and pre-norm (Pixtral's
 * `ln_pre`, Llama 4's `layernorm_pre`, CLIP's `pre_layrnorm`) before, its post-norm and
 * adapter after; the language model's as architecture.ts sorts them.
 */
import { ArchitectureError, type ArchInfo, type LayerStack } from './architecture.ts';

export interface ModelModule {
  readonly name: string;
  /** Its layers; undefined for a module without any (a projector). */
  readonly stack: LayerStack | undefined;
  readonly pre: readonly string[];
  readonly post: readonly string[];
}

export const DEFAULT_MODULE = 'default';
export const TEXT_MODULE = 'text_decoder';
const VISION_MODULE = 'vision_tower';
const PROJECTOR_MODULE = 'multi_modal_projector';

/** Other names of a module in mergekit's descriptions. */
const ALIASES: ReadonlyMap<string, string> = new Map([['vision_model', VISION_MODULE]]);
const canonical = (name: string): string => ALIASES.get(name) ?? name;

const PROJECTOR = /(^|\.)(multi_modal_projector|mm_projector|merger|\w+_merger_list|connector)\.|^mlp1\./;
const VISION = /(^|\.)(vision_tower|vision_model|visual|vision_encoder|image_encoder)\./;
/** A tower's tensors before its layers (the rest come after). */
const TOWER_PRE = /embed|patch|(^|[._])pre([._]|$)/;

function moduleOfName(name: string): string {
  if (PROJECTOR.test(name)) return PROJECTOR_MODULE;
  if (VISION.test(name)) return VISION_MODULE;
  return TEXT_MODULE;
}

export function modelModules(id: string, arch: ArchInfo): ReadonlyMap<string, ModelModule> {
  const all = [...arch.pre, ...arch.post, ...arch.stacks.map((s) => s.prefix)];
  if (arch.stacks.length <= 1 && all.every((n) => moduleOfName(n) === TEXT_MODULE)) {
    const only = { name: DEFAULT_MODULE, stack: arch.stacks[0], pre: arch.pre, post: arch.post };
    return new Map([[DEFAULT_MODULE, only]]);
  }
  const modules = new Map<string, { stack?: LayerStack; pre: string[]; post: string[] }>();
  const entry = (name: string) => {
    let m = modules.get(name);
    if (!m) modules.set(name, (m = { pre: [], post: [] }));
    return m;
  };
  for (const stack of arch.stacks) {
    const m = entry(moduleOfName(stack.prefix));
    if (m.stack) {
      throw new ArchitectureError(
        `${id}: ${m.stack.prefix} and ${stack.prefix} both look like layers of its ${moduleOfName(stack.prefix)}; modules: cannot tell them apart (merge it with models:)`,
      );
    }
    m.stack = stack;
  }
  for (const n of arch.pre) entry(moduleOfName(n)).pre.push(n);
  for (const n of arch.post) entry(moduleOfName(n)).post.push(n);
  for (const [name, m] of modules) {
    if (name === TEXT_MODULE) continue;
    const before = (n: string) => name === PROJECTOR_MODULE || TOWER_PRE.test(n);
    const names = [...m.pre, ...m.post].sort();
    m.pre = names.filter(before);
    m.post = names.filter((n) => !before(n));
  }
  return new Map([...modules].map(([name, m]) => [name, { name, stack: m.stack, ...m }]));
}

/** The module a recipe's name stands for (aliases resolved), if the model has it. */
export function moduleNamed(
  modules: ReadonlyMap<string, ModelModule>,
  name: string,
): ModelModule | undefined {
  return modules.get(canonical(name));
}

/** The config.json keys that count a module's layers, where the output may change them. */
export function layerCountKeys(module: string): readonly (readonly string[])[] {
  if (canonical(module) === VISION_MODULE) {
    return [
      ['vision_config', 'num_hidden_layers'],
      ['vision_config', 'depth'],
    ];
  }
  return [];
}
