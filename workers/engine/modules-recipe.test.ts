/**
 * mergekit's `modules:` recipes on a vision-language model: each module (text_decoder,
 * vision_tower, multi_modal_projector) merged on its own, with its own models or slices and
 * parameters between the slice's and the recipe's. As in multi-module.test.ts, each module's
 * tensors are compared byte for byte with the same recipe run on that part alone.
 */
import { describe, expect, it } from 'vitest';
import { RecipeError } from '../plan/problems.ts';
import { mergeInMemory, type MergedInMemory } from './test-helpers.ts';
import { SLERP, vlModels } from './vl-test-helpers.ts';

const IDS = ['tinymix-base', 'tinymix-code'] as const;
const MODELS = '    models:\n      - model: tinymix-base\n      - model: tinymix-code\n';

/** Every output tensor of `whole` under `prefix` equals `part`'s tensor of the name without it. */
function expectPart(whole: MergedInMemory, part: MergedInMemory, prefix: string, only?: RegExp): void {
  let n = 0;
  for (const name of part.out.tensors.keys()) {
    if (only && !only.test(name)) continue;
    expect(whole.bytes(`${prefix}${name}`), name).toEqual(part.bytes(name));
    n++;
  }
  expect(n).toBeGreaterThan(0);
}

const tAt = (t: number) =>
  `merge_method: slerp\nbase_model: tinymix-base\nmodels:\n  - model: tinymix-base\n  - model: tinymix-code\nparameters: {t: ${t}}\ndtype: float32\n`;
const indent = (s: string) => s.replace(/^(?=.)/gm, '    ');
const slicesOf = (s: string) => `merge_method: passthrough\nslices:\n${s}dtype: bfloat16\n`;

describe('modules: on a vision-language model', () => {
  it('each module with the same models is the models: merge, byte for byte', async () => {
    const m = await vlModels(IDS);
    const modules = `merge_method: slerp
base_model: tinymix-base
modules:
  text_decoder:
${MODELS}  vision_tower:
${MODELS}  multi_modal_projector:
${MODELS}${SLERP.slice(SLERP.indexOf('parameters:'))}`;
    const a = await mergeInMemory(modules, m.vl);
    const b = await mergeInMemory(SLERP, m.vl);
    expect([...a.out.tensors.keys()]).toEqual([...b.out.tensors.keys()]);
    for (const name of b.out.tensors.keys()) expect(a.bytes(name), name).toEqual(b.bytes(name));
  });

  it("a module's parameters come before the recipe's, after the slice's", async () => {
    const m = await vlModels(IDS);
    const recipe = `merge_method: slerp
base_model: tinymix-base
modules:
  text_decoder:
${MODELS}    parameters: {t: 0.3}
  vision_tower:
${MODELS}  multi_modal_projector:
${MODELS}parameters: {t: 0.7}
dtype: float32
`;
    const vl = await mergeInMemory(recipe, m.vl);
    expectPart(vl, await mergeInMemory(tAt(0.3), m.text), 'language_model.');
    expectPart(vl, await mergeInMemory(tAt(0.7), m.vision), '');
  });

  it('slices per module: layers counted in the module, counts written to config.json', async () => {
    const m = await vlModels(IDS);
    const text = `  - sources: [{model: tinymix-base, layer_range: [0, 4]}]
  - sources: [{model: tinymix-code, layer_range: [2, 4]}]
`;
    const vision = `  - sources: [{model: tinymix-base, layer_range: [0, 3]}]
  - sources: [{model: tinymix-code, layer_range: [1, 3]}]
`;
    const recipe = `merge_method: passthrough
modules:
  text_decoder:
    slices:
${indent(text)}  vision_tower:
    slices:
${indent(vision)}  multi_modal_projector:
    models: [{model: tinymix-base}]
dtype: bfloat16
`;
    const vl = await mergeInMemory(recipe, m.vl);
    expectPart(vl, await mergeInMemory(slicesOf(text), m.text), 'language_model.');
    expectPart(vl, await mergeInMemory(slicesOf(vision), m.vision), '', /^vision_tower\./);
    const base = await mergeInMemory(
      'merge_method: passthrough\nmodels: [{model: tinymix-base}]\ndtype: bfloat16\n',
      m.vl,
    );
    for (const name of ['multi_modal_projector.weight', 'visual.merger.mlp.0.weight']) {
      expect(vl.bytes(name), name).toEqual(base.bytes(name));
    }
    expect(vl.out.tensors.has('vision_tower.encoder.layers.4.attn.weight')).toBe(true);
    expect(vl.out.tensors.has('language_model.model.layers.5.mlp.up_proj.weight')).toBe(true);
    const config = vl.json('config.json');
    expect((config['text_config'] as Record<string, unknown>)['num_hidden_layers']).toBe(6);
    expect(config['vision_config']).toEqual({ num_hidden_layers: 5 });
    expect(vl.result.layers).toBe(6);
  });

  it("a module's weights outside its layers come from its first slice, as mergekit's descriptions list a projector's", async () => {
    const m = await vlModels(IDS);
    // Zero-length slices pick models, as mergekit's maintainers suggest for the head (#308).
    const recipe = `merge_method: passthrough
modules:
  text_decoder:
    models: [{model: tinymix-base}]
  vision_tower:
    models: [{model: tinymix-base}]
  multi_modal_projector:
    slices:
      - sources: [{model: tinymix-code, layer_range: [0, 0]}]
      - sources: [{model: tinymix-base, layer_range: [0, 0]}]
dtype: float32
`;
    const vl = await mergeInMemory(recipe, m.vl);
    const code = await mergeInMemory(
      'merge_method: passthrough\nmodels: [{model: tinymix-code}]\ndtype: float32\n',
      m.vl,
    );
    for (const name of [
      'multi_modal_projector.weight',
      'visual.merger.mlp.0.weight',
      'visual.merger.mlp.2.weight',
    ]) {
      expect(vl.bytes(name), name).toEqual(code.bytes(name));
    }
  });

  it('refuses a module the model lacks, and a module left out, naming the modules it has', async () => {
    const m = await vlModels(IDS);
    const fail = async (recipe: string, resolve = m.vl): Promise<string> => {
      const e = await mergeInMemory(recipe, resolve).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(RecipeError);
      return (e as Error).message;
    };
    const head = 'merge_method: linear\nparameters: {weight: 1}\nmodules:\n';
    expect(
      await fail(`${head}  text_decoder:\n${MODELS}  vision:\n${MODELS}  multi_modal_projector:\n${MODELS}`),
    ).toMatch(
      /tinymix-base has no module vision: its modules are text_decoder, vision_tower, multi_modal_projector/,
    );
    expect(await fail(`${head}  text_decoder:\n${MODELS}`)).toMatch(
      /tinymix-base's module vision_tower is not under modules:, so the merged model would have no vision_tower \(mergekit writes it without\)/,
    );
    expect(await fail(`${head}  text_decoder:\n${MODELS}`, m.text)).toMatch(
      /tinymix-base has no module text_decoder: its modules are default/,
    );
    // Llama 4's vision_model is vision_tower under mergekit's other name: one module, given once.
    expect(
      await fail(
        `${head}  text_decoder:\n${MODELS}  vision_model:\n${MODELS}  vision_tower:\n${MODELS}  multi_modal_projector:\n${MODELS}`,
      ),
    ).toMatch(
      /vision_tower and vision_model are the same module of tinymix-base \(vision_tower\): give it once/,
    );
    expect(await fail(`${head}  __proto__:\n${MODELS}`)).toMatch(
      /tinymix-base has no module __proto__: its modules are text_decoder, vision_tower, multi_modal_projector/,
    );
    // A plain decoder is one module, `default`, as in mergekit.
    const plain = await mergeInMemory(`${head}  default:\n${MODELS}`, m.text);
    const same = await mergeInMemory(
      'merge_method: linear\nparameters: {weight: 1}\nmodels:\n  - model: tinymix-base\n  - model: tinymix-code\n',
      m.text,
    );
    for (const name of same.out.tensors.keys()) expect(plain.bytes(name), name).toEqual(same.bytes(name));
  });
});
