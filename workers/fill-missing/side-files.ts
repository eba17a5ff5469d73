/**
 * BASE's files other than its weights (config, tokenizer, processor and chat-template files, its
 * README, anything in subfolders), copied into the output byte for byte, as mergekit's script
 * copies every file whose suffix is not .safetensors or .bin. Left out as well: the weights'
 * index files (mergekit copies BASE's index, which then names BASE's shards beside a
 * one-file output), `.git/` and `.cache/` (a clone's or `huggingface-cli download`'s own
 * bookkeeping, about BASE's files, not the output's), and Merge Studio's own state files.
 *
 * Each file is streamed in pieces through the sink's file writer, so a large file (an ONNX
 * export, a big tokenizer) never sits whole in memory, and a half-copied file is a `.partial`.
 * config.json comes last: it is what makes the folder look like a complete model.
 */
import { checkAbort } from '../engine/cancel.ts';
import type { ModelSource, OutputSink } from '../io/source.ts';

/** Bytes read and written at a time. */
const PIECE = 16 * 1024 * 1024;

const WEIGHTS = /\.(safetensors|bin)$|\.(safetensors|bin)\.index\.json$/;
const SKIPPED_FOLDERS = /^(\.git|\.cache)\//;
const OWN_FILES = /^\.merge-studio-/;

/** The files of BASE to copy, config.json last. */
export function sideFiles(files: readonly string[]): string[] {
  const copied = files.filter((f) => {
    const leaf = f.slice(f.lastIndexOf('/') + 1);
    return !WEIGHTS.test(f) && !SKIPPED_FOLDERS.test(f) && !OWN_FILES.test(leaf);
  });
  return [...copied.filter((f) => f !== 'config.json'), ...copied.filter((f) => f === 'config.json')];
}

/** Copies `files` of `source` into `sink`; returns their sizes. */
export async function copySideFiles(
  source: ModelSource,
  sink: OutputSink,
  files: readonly string[],
  signal?: AbortSignal,
): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = [];
  for (const f of files) {
    checkAbort(signal);
    const src = await source.open(f, signal);
    if (src.size === 0) {
      await sink.writeFile(f, new Uint8Array(0));
    } else {
      const w = await sink.createFile(f, src.size);
      try {
        for (let at = 0; at < src.size; at += PIECE) {
          checkAbort(signal);
          await w.write(at, await src.read(at, Math.min(PIECE, src.size - at), signal));
        }
        await w.close();
      } catch (e) {
        await w.abort().catch(() => undefined);
        throw e;
      }
    }
    out.push({ path: f, size: src.size });
  }
  return out;
}
