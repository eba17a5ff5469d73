/**
 * The WebGPU merge backend: every method's kernel as WGSL, run on one device.
 *
 * Load this module only after `navigator.gpu.requestAdapter()` returned an adapter (see
 * ../select-backend.ts): it touches GPU globals. The backend throws instead of computing when a
 * tensor is better done by the CPU (GpuUnsupportedError: bf16/f16-emulated math, limits, out
 * of memory) or when the device is lost (GpuDeviceLostError); select-backend's wrapper then
 * runs the CPU kernel on the same, untouched arguments.
 */
import type { KernelArgs, MergeMethod } from '../../methods/types.ts';
import type { MergeBackend } from '../types.ts';
import { GpuUnsupportedError } from './errors.ts';
import { GpuContext, type GpuContextOptions } from './gpu-context.ts';
import { linearGpu, nearswapGpu, passthroughGpu, ramGpu } from './methods/elementwise.ts';
import { arceeFusionGpu } from './methods/arcee-fusion.ts';
import { karcherGpu } from './methods/karcher.ts';
import { modelStockGpu } from './methods/model-stock.ts';
import { multislerpGpu } from './methods/multislerp.ts';
import { nuslerpGpu } from './methods/nuslerp.ts';
import type { GpuMethod } from './methods/run.ts';
import { sceGpu } from './methods/sce.ts';
import { slerpGpu } from './methods/slerp.ts';
import { FAMILY_NAMES, familyGpu } from './methods/task-family.ts';

const GPU_METHODS: ReadonlyMap<string, GpuMethod> = new Map<string, GpuMethod>([
  ['linear', linearGpu],
  ['passthrough', passthroughGpu],
  ['nearswap', nearswapGpu],
  ['ram', ramGpu(false)],
  ['ramplus_tl', ramGpu(true)],
  ['slerp', slerpGpu],
  ['nuslerp', nuslerpGpu],
  ['multislerp', multislerpGpu],
  ['karcher', karcherGpu],
  ['model_stock', modelStockGpu],
  ['sce', sceGpu],
  ['arcee_fusion', arceeFusionGpu],
  ...FAMILY_NAMES.map((name): [string, GpuMethod] => [name, (ctx, a) => familyGpu(ctx, a, name)]),
]);

/** Method names with a WGSL implementation (all 20). */
export const GPU_METHOD_NAMES: readonly string[] = [...GPU_METHODS.keys()];

export interface WebGpuBackend extends MergeBackend {
  readonly name: 'webgpu';
  readonly context: GpuContext;
}

export async function createWebGpuBackend(
  adapter: GPUAdapter,
  opts: GpuContextOptions = {},
): Promise<WebGpuBackend> {
  const context = await GpuContext.create(adapter, opts);
  return {
    name: 'webgpu',
    context,
    async run(method: MergeMethod, args: KernelArgs): Promise<void> {
      context.assertAlive();
      if (args.round !== Math.fround) {
        throw new GpuUnsupportedError('bf16/f16-emulated math runs on the CPU (it rounds after every step)');
      }
      const impl = GPU_METHODS.get(method.name);
      if (!impl) throw new GpuUnsupportedError(`no GPU kernel for ${method.name}`);
      if (args.out.length === 0) return;
      await impl(context, args);
    },
    dispose: () => context.destroy(),
  };
}
