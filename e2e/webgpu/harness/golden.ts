/**
 * The golden recipes in the page, run twice through the real engine (runMerge, in-memory
 * models and sink): CPU backend, then the WebGPU backend behind the CPU-fallback wrapper. The
 * CPU output is checked against mergekit elsewhere (workers/engine/golden.test.ts); here every
 * output tensor of the GPU run must match it by the method's tolerance.
 */
import { cpuBackend } from '../../../workers/backends/cpu/cpu-backend.ts';
import type { MergeBackend } from '../../../workers/backends/types.ts';
import { GPU_EVERYWHERE, withCpuFallback } from '../../../workers/backends/webgpu/fallback.ts';
import { compareOutputs, TOLERANCES } from '../../../workers/backends/webgpu/tolerances.ts';
import { runMerge } from '../../../workers/engine/run-merge.ts';
import { decodeToF32 } from '../../../workers/io/dtypes.ts';
import { loadModel } from '../../../workers/io/load-model.ts';
import { blobModelSource, memorySink, type MemorySink } from '../../../workers/io/memory.ts';
import type { ModelSource } from '../../../workers/io/source.ts';
import { loadRecipe } from '../../../workers/plan/recipe-yaml.ts';
import { referencedModels, type Recipe } from '../../../workers/plan/recipe.ts';
import type { MergeResult } from '../../../workers/protocol.ts';
import type { DeviceLostReport, GoldenReport } from './api.ts';

/** The dev server lists no folders: the fixture files, by model (test-data/tinymix). */
const MODEL_FILES: Readonly<Record<string, readonly string[]>> = {
  'tinymix-math': [
    'config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'generation_config.json',
    'model.safetensors.index.json',
    'model-00001-of-00002.safetensors',
    'model-00002-of-00002.safetensors',
  ],
};
const SINGLE_FILE_MODEL = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'generation_config.json',
  'model.safetensors',
];

export const GOLDEN_RECIPES = [
  'arcee-fusion',
  'breadcrumbs',
  'breadcrumbs-ties-small-gamma',
  'dare-linear',
  'dare-ties',
  'della',
  'della-linear',
  'karcher',
  'linear-soup',
  'model-stock',
  'multislerp',
  'nearswap-slice-params',
  'nuslerp-rows',
  'passthrough-frankenmerge',
  'ram',
  'ramplus-tl',
  'sce',
  'slerp-gradient-filters',
  'task-arithmetic-negation',
  'ties-gradient',
];

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

const modelCache = new Map<string, Promise<ModelSource>>();

function fixtureModel(id: string): Promise<ModelSource> {
  let m = modelCache.get(id);
  if (!m) {
    m = (async () => {
      const names = MODEL_FILES[id] ?? SINGLE_FILE_MODEL;
      const files = new Map<string, Uint8Array>();
      for (const f of names) files.set(f, await fetchBytes(`/test-data/tinymix/${id}/${f}`));
      return blobModelSource(id, files);
    })();
    modelCache.set(id, m);
  }
  return m;
}

interface Run {
  readonly sink: MemorySink;
  readonly result: MergeResult;
  readonly ms: number;
}

async function mergeWith(recipe: Recipe, text: string, name: string, backend: MergeBackend): Promise<Run> {
  for (const id of referencedModels(recipe)) await fixtureModel(id);
  const sink = memorySink(name);
  const t0 = performance.now();
  const result = await runMerge({
    recipe,
    recipeText: text,
    resolve: (id) => fixtureModel(id),
    sink,
    outputName: name,
    seed: 1234,
    backend,
  });
  return { sink, result, ms: performance.now() - t0 };
}

async function loadGolden(name: string): Promise<{ recipe: Recipe; text: string }> {
  const text = new TextDecoder().decode(await fetchBytes(`/test-data/golden/${name}/recipe.yml`));
  return { recipe: loadRecipe(text, `${name}/recipe.yml`).recipe, text };
}

interface TensorsComparison {
  failures: string[];
  worstUlps: number;
  worstNormwise: number;
  failingElements: number;
  tensors: number;
}

async function compareSinks(method: string, cpu: MemorySink, gpu: MemorySink): Promise<TensorsComparison> {
  const a = await loadModel(blobModelSource('cpu', cpu.files));
  const b = await loadModel(blobModelSource('gpu', gpu.files));
  const tol = TOLERANCES[method]!;
  const out: TensorsComparison = {
    failures: [],
    worstUlps: 0,
    worstNormwise: 0,
    failingElements: 0,
    tensors: 0,
  };
  const read = async (m: typeof a, t: string): Promise<Float32Array> => {
    const e = m.tensors.get(t)!;
    const src = await m.source.open(e.file);
    return decodeToF32(await src.read(e.begin, e.end - e.begin), e.dtype);
  };
  for (const name of [...a.tensors.keys()].sort()) {
    if (!b.tensors.has(name)) {
      out.failures.push(`${name}: missing from the GPU output`);
      continue;
    }
    const c = compareOutputs(await read(a, name), await read(b, name), tol);
    out.tensors++;
    out.worstUlps = Math.max(out.worstUlps, c.maxUlps);
    out.worstNormwise = Math.max(out.worstNormwise, c.maxNormwise);
    out.failingElements += c.failing;
    if (!c.ok)
      out.failures.push(
        `${name}: ${c.failing} elements outside tolerance, e.g. ${JSON.stringify(c.firstFailing)}`,
      );
  }
  return out;
}

export async function runGolden(name: string, gpu: MergeBackend): Promise<GoldenReport> {
  const { recipe, text } = await loadGolden(name);
  const cpuRun = await mergeWith(recipe, text, name, cpuBackend);
  const wrapped = withCpuFallback(gpu, GPU_EVERYWHERE);
  const gpuRun = await mergeWith(recipe, text, name, wrapped);
  const cmp = await compareSinks(recipe.merge_method, cpuRun.sink, gpuRun.sink);
  return {
    recipe: name,
    method: recipe.merge_method,
    ...cmp,
    cpuWarnings: cpuRun.result.warnings,
    gpuWarnings: gpuRun.result.warnings,
    handedBack: wrapped.stats.handedBack,
    gpuTensors: wrapped.stats.gpuTensors,
    cpuMs: cpuRun.ms,
    gpuMs: gpuRun.ms,
  };
}

/**
 * A merge during which the device is destroyed while a GPU run is in flight: the job must end
 * with the CPU's output, the lost tensor re-done on the CPU and every later one too.
 */
export async function runDeviceLost(
  makeGpu: () => Promise<MergeBackend & { readonly context: { readonly device: GPUDevice } }>,
): Promise<DeviceLostReport> {
  const name = 'ties-gradient';
  const { recipe, text } = await loadGolden(name);
  const cpuRun = await mergeWith(recipe, text, name, cpuBackend);
  const gpu = await makeGpu();
  let calls = 0;
  const killer: MergeBackend = {
    name: 'webgpu',
    run: async (method, args) => {
      calls++;
      const p = gpu.run(method, args);
      if (calls === 5) gpu.context.device.destroy(); // mid-run: its readback never completes
      await p;
    },
    dispose: () => gpu.dispose(),
  };
  const wrapped = withCpuFallback(killer, GPU_EVERYWHERE);
  const gpuRun = await mergeWith(recipe, text, name, wrapped);
  const cmp = await compareSinks(recipe.merge_method, cpuRun.sink, gpuRun.sink);
  return {
    matchesCpu: cmp.failures.length === 0 && cmp.tensors === cpuRun.result.tensors,
    gpuCalls: calls,
    tensors: gpuRun.result.tensors,
    gpuTensorsBeforeLoss: wrapped.stats.gpuTensors,
    cpuTensorsAfter: wrapped.stats.cpuTensors,
    backendNameAfter: wrapped.name,
    warnings: gpuRun.result.warnings,
  };
}
