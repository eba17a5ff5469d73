/**
 * adapter_model.safetensors, written through an OutputSink: the header first (so every
 * tensor's shape must be known when the file is opened), then each tensor at its planned
 * offset in whatever order they come. The sink writes NAME.partial and renames it when closed,
 * so a failed or cancelled extraction never leaves a file that looks complete.
 */
import { ADAPTER_WEIGHTS } from '../io/lora/open-adapter.ts';
import { planSafetensorsFile, type TensorSpec } from '../io/safetensors/layout.ts';
import type { FileWriter, OutputSink } from '../io/source.ts';

export interface AdapterWeights {
  write(name: string, data: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

export async function openAdapterWeights(
  sink: OutputSink,
  specs: readonly TensorSpec[],
): Promise<AdapterWeights> {
  const layout = planSafetensorsFile(specs);
  const entries = new Map(layout.entries.map((e) => [e.name, e]));
  const writer: FileWriter = await sink.createFile(ADAPTER_WEIGHTS, layout.totalSize);
  await writer.write(0, layout.header);
  return {
    async write(name, data) {
      const e = entries.get(name);
      if (!e || e.byteLength !== data.byteLength) {
        throw new RangeError(`${name}: ${data.byteLength} bytes, not what the file's header planned`);
      }
      await writer.write(e.offset, data);
    },
    close: () => writer.close(),
    abort: () => writer.abort(),
  };
}
