/**
 * Reads tensors, whole or as blocks of rows, straight from a model's source with range reads
 * (`source.open(file).read(begin, length)`) and decodes them to float32. Ranges of one model
 * that lie close together in a file are read as one request (the Hub counts requests; a small
 * model's layer is then a single read per model), but never more than MAX_SPAN bytes at once,
 * so memory stays at about one layer's sample per model.
 */
import { decodeToF32, DTYPE_SIZE } from '../io/dtypes.ts';
import type { LoadedModel } from '../io/load-model.ts';
import type { ByteSource } from '../io/source.ts';
import { SourceError } from '../io/source.ts';
import { rowsOf } from '../methods/shared/vec.ts';
import { rowBlocks } from './layer-sample.ts';

/** Ranges this close are read together: a second request costs more than these bytes. */
const MAX_GAP = 64 * 1024;
/** Largest single read (the merge engine's read block). */
const MAX_SPAN = 32 * 1024 * 1024;

export interface ReadStats {
  requests: number;
  bytes: number;
}

interface Part {
  readonly tensor: string;
  readonly index: number;
  readonly file: string;
  readonly begin: number;
  readonly end: number;
}

export class SampleReader {
  readonly stats: ReadStats = { requests: 0, bytes: 0 };
  private readonly files = new Map<string, Promise<ByteSource>>();

  /** Elements a read of `name` at `rowFraction` returns. */
  static sampledElements(shape: readonly number[], rowFraction: number): number {
    const { rows, cols } = rowsOf(shape);
    return rowBlocks(rows, rowFraction).reduce((s, b) => s + b.rows * cols, 0);
  }

  /**
   * The tensors `names` of `model`, each whole (rowFraction 1) or as the same row blocks any
   * model of that shape gets, concatenated in row order.
   */
  async read(
    model: LoadedModel,
    names: readonly string[],
    rowFraction: number,
    signal?: AbortSignal,
  ): Promise<Map<string, Float32Array>> {
    const parts: Part[] = [];
    const counts = new Map<string, number>();
    for (const tensor of names) {
      const t = model.tensors.get(tensor);
      if (!t) throw new SourceError(`${model.id} has no tensor ${tensor}`);
      const { rows, cols } = rowsOf(t.shape);
      const rowBytes = cols * DTYPE_SIZE[t.dtype];
      const blocks = rowBlocks(rows, rowFraction);
      counts.set(tensor, blocks.length);
      blocks.forEach((b, index) =>
        parts.push({
          tensor,
          index,
          file: t.file,
          begin: t.begin + b.row * rowBytes,
          end: t.begin + (b.row + b.rows) * rowBytes,
        }),
      );
    }
    parts.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.begin - b.begin));
    const raw = new Map<string, Uint8Array[]>();
    for (let i = 0; i < parts.length;) {
      const first = parts[i]!;
      let j = i + 1;
      let end = first.end;
      while (j < parts.length) {
        const p = parts[j]!;
        if (p.file !== first.file || p.begin - end > MAX_GAP || p.end - first.begin > MAX_SPAN) break;
        end = Math.max(end, p.end);
        j++;
      }
      const bytes = await this.readRange(model, first.file, first.begin, end - first.begin, signal);
      for (const p of parts.slice(i, j)) {
        let list = raw.get(p.tensor);
        if (!list) raw.set(p.tensor, (list = new Array<Uint8Array>(counts.get(p.tensor)!)));
        list[p.index] = bytes.subarray(p.begin - first.begin, p.end - first.begin);
      }
      i = j;
    }
    const out = new Map<string, Float32Array>();
    for (const tensor of names) {
      const dtype = model.tensors.get(tensor)!.dtype;
      const blocks = (raw.get(tensor) ?? []).map((b) => decodeToF32(b, dtype));
      out.set(tensor, blocks.length === 1 ? blocks[0]! : concat(blocks));
    }
    return out;
  }

  private async readRange(
    model: LoadedModel,
    file: string,
    offset: number,
    length: number,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    const key = `${model.id}\u0000${file}`;
    let src = this.files.get(key);
    if (!src) this.files.set(key, (src = model.source.open(file, signal)));
    const bytes = await (await src).read(offset, length, signal);
    this.stats.requests++;
    this.stats.bytes += length;
    return bytes;
  }
}

function concat(blocks: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(blocks.reduce((s, b) => s + b.length, 0));
  let at = 0;
  for (const b of blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}
