/**
 * Reading a module's task vector D = model - base from the stored bytes: both tensors are
 * decoded to float32 and subtracted in float32 (mergekit subtracts in the stored dtype, so a
 * bf16 pair's difference is rounded to bf16 first; it is exact whenever the two values are
 * within a factor of two, as a fine-tune's nearly always are). One source tensor's bytes are
 * held at a time besides D, and the base is decoded a chunk at a time.
 */
import { DTYPE_SIZE, decodeToF32 } from '../io/dtypes.ts';
import type { LoadedModel } from '../io/load-model.ts';
import type { ByteSource } from '../io/source.ts';

export type TensorRead = (name: string) => Promise<Uint8Array>;

/** Elements of the base decoded at a time while subtracting it. */
const CHUNK = 1 << 20;

/** A reader of a model's tensors' bytes, each shard opened once. */
export function tensorReader(model: LoadedModel, signal?: AbortSignal): TensorRead {
  const files = new Map<string, Promise<ByteSource>>();
  return async (name) => {
    const t = model.tensors.get(name);
    if (!t) throw new RangeError(`${model.id} has no tensor ${name}`);
    let file = files.get(t.file);
    if (!file) {
      file = model.source.open(t.file, signal);
      files.set(t.file, file);
    }
    return (await file).read(t.begin, t.end - t.begin, signal);
  };
}

export async function taskVector(
  name: string,
  model: { readonly info: LoadedModel; readonly read: TensorRead },
  base: { readonly info: LoadedModel; readonly read: TensorRead },
): Promise<Float32Array> {
  const d = decodeToF32(await model.read(name), model.info.tensors.get(name)!.dtype);
  const dtype = base.info.tensors.get(name)!.dtype;
  const size = DTYPE_SIZE[dtype];
  const bytes = await base.read(name);
  const scratch = new Float32Array(Math.min(CHUNK, d.length));
  for (let at = 0; at < d.length; at += CHUNK) {
    const n = Math.min(CHUNK, d.length - at);
    const b = decodeToF32(bytes.subarray(at * size, (at + n) * size), dtype, scratch.subarray(0, n));
    for (let i = 0; i < n; i++) d[at + i] = d[at + i]! - b[i]!;
  }
  return d;
}
