/**
 * PyTorch checkpoints (pytorch_model.bin, torch.save of a state dict), opened like safetensors
 * headers: the tensors' names, dtypes, shapes and absolute byte ranges in the file, read from
 * its pickle without running it (./pickle.ts). Both of torch.save's formats:
 *
 * - ZIP (torch 1.6 and later): `<folder>/data.pkl` and one stored entry per storage,
 *   `<folder>/data/<key>`; a tensor is a contiguous run of its storage's entry.
 * - Legacy (`_use_new_zipfile_serialization=False`, older checkpoints): five pickles (magic,
 *   protocol, system info, the object, the storage keys), then each storage as an 8-byte
 *   element count and its bytes, in the keys' order.
 *
 * What it refuses, with the file and tensor named: tensors that are not contiguous in their
 * storage (a transposed view), compressed storages, big-endian files, and pickles that hold
 * something other than a dict of tensors (a whole pickled module, say).
 */
import { DTYPE_SIZE } from '../dtypes.ts';
import type { TensorEntry } from '../safetensors/header.ts';
import type { ByteSource } from '../source.ts';
import { CONVERT_HINT, TorchFormatError } from './errors.ts';
import { PickleDict, PickleError, type PickleValue } from './pickle-values.ts';
import { readPickle } from './pickle.ts';
import { place, stateDict, storageFromPid, torchCall, type StorageRef } from './state-dict.ts';
import { dataOffsets, looksLikeZip, readEntry, readZipDirectory } from './zip.ts';

/** A tensor's name, dtype, shape and absolute byte range in the file, as safetensors headers give them. */
export type TorchTensorEntry = TensorEntry;

/**
 * The first read; most checkpoints' pickles (and all legacy ones' first pickles) fit, and a
 * ZIP checkpoint's reads that fall inside it are answered from it (./zip.ts reads by range).
 */
const FIRST_READ = 1 << 20;
/** The largest pickle we read: a state dict's pickle is a few hundred bytes per tensor. */
const MAX_PICKLE_BYTES = 256 * 1024 * 1024;
/** torch writes "little" or "big"; anything longer is not a byteorder record. */
const MAX_BYTEORDER_BYTES = 16;
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;
/** The magic number as pickle protocols 0 and 1 write it (2 and later start with PROTO, 0x80). */
const LEGACY_MAGIC_TEXT = new TextEncoder().encode(`L${LEGACY_MAGIC}L\n`);

const startsWith = (bytes: Uint8Array, prefix: Uint8Array): boolean =>
  bytes.byteLength >= prefix.byteLength && prefix.every((b, i) => bytes[i] === b);

export async function readTorchCheckpoint(
  src: ByteSource,
  signal?: AbortSignal,
): Promise<TorchTensorEntry[]> {
  const first = await src.read(0, Math.min(src.size, FIRST_READ), signal);
  try {
    if (looksLikeZip(first)) return await readZipCheckpoint(withHead(src, first), signal);
    if (first[0] === 0x80 || startsWith(first, LEGACY_MAGIC_TEXT))
      return await readLegacyCheckpoint(src, first, signal);
  } catch (e) {
    if (e instanceof PickleError)
      throw new TorchFormatError(src.name, `its pickle is damaged or not a checkpoint (${e.message})`);
    // A check we lack: still a damaged file, not a failure of the studio.
    if (e instanceof RangeError) throw new TorchFormatError(src.name, `is damaged (${e.message})`);
    throw e;
  }
  throw new TorchFormatError(src.name, 'is not a PyTorch checkpoint (neither a ZIP archive nor a pickle)');
}

/** `src`, with reads inside its first bytes (`head`, already read) answered from them. */
function withHead(src: ByteSource, head: Uint8Array): ByteSource {
  return {
    name: src.name,
    size: src.size,
    read: async (offset, length, signal) =>
      offset >= 0 && length >= 0 && offset + length <= head.byteLength
        ? head.subarray(offset, offset + length)
        : src.read(offset, length, signal),
  };
}

async function readZipCheckpoint(src: ByteSource, signal?: AbortSignal): Promise<TorchTensorEntry[]> {
  const entries = await readZipDirectory(src, signal);
  const pickles = entries.filter((e) => /^([^/]+\/)?data\.pkl$/.test(e.name));
  if (pickles.length !== 1)
    throw new TorchFormatError(
      src.name,
      `is a ZIP archive but not a torch.save checkpoint (${pickles.length} data.pkl records)`,
    );
  const pkl = pickles[0]!;
  const prefix = pkl.name.slice(0, -'data.pkl'.length);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const byteorder = byName.get(`${prefix}byteorder`);
  const wanted = [pkl, ...(byteorder ? [byteorder] : [])];
  const starts = await dataOffsets(src, wanted, signal);
  if (byteorder) {
    if (byteorder.size > MAX_BYTEORDER_BYTES || byteorder.compressedSize > MAX_BYTEORDER_BYTES)
      throw new TorchFormatError(src.name, `its byteorder record (${byteorder.size} bytes) is damaged`);
    const order = new TextDecoder().decode(await readEntry(src, byteorder, starts.get(byteorder)!, signal));
    if (order.trim() !== 'little')
      throw new TorchFormatError(src.name, `is ${order.trim()}-endian; ${CONVERT_HINT}`);
  }
  if (Math.max(pkl.size, pkl.compressedSize) > MAX_PICKLE_BYTES)
    throw new TorchFormatError(src.name, `its pickle (${pkl.size} bytes) is too large`);
  const pickle = await readEntry(src, pkl, starts.get(pkl)!, signal);
  const storages = new Map<string, StorageRef>();
  const { value } = readPickle(pickle, {
    persistentLoad: (pid) => storageFromPid(src.name, pid, storages, false),
    call: torchCall,
  });
  const tensors = stateDict(src.name, value);

  // Only the state dict's storages: a training checkpoint's optimizer state is not read.
  const storageEntries = new Map<string, (typeof entries)[number]>();
  for (const s of new Set(tensors.map(([, t]) => storages.get(t.storage.key)!))) {
    const entry = byName.get(`${prefix}data/${s.key}`);
    if (!entry)
      throw new TorchFormatError(src.name, `storage ${s.key} is missing from the archive (cut short?)`);
    if (entry.method !== 0)
      throw new TorchFormatError(src.name, `storage ${s.key} is compressed; ${CONVERT_HINT}`);
    if (entry.size < s.numel * DTYPE_SIZE[s.dtype])
      throw new TorchFormatError(
        src.name,
        `storage ${s.key} holds ${entry.size} bytes, fewer than its ${s.numel} elements need`,
      );
    storageEntries.set(s.key, entry);
  }
  const dataStart = await dataOffsets(src, [...storageEntries.values()], signal);
  return tensors.map(([name, t]) =>
    place(src.name, name, t, dataStart.get(storageEntries.get(t.storage.key)!)!),
  );
}

async function readLegacyCheckpoint(
  src: ByteSource,
  first: Uint8Array,
  signal?: AbortSignal,
): Promise<TorchTensorEntry[]> {
  let bytes = first;
  const storages = new Map<string, StorageRef>();
  const hooks = {
    persistentLoad: (pid: PickleValue) => storageFromPid(src.name, pid, storages, true),
    call: torchCall,
  };
  let parsed: { values: PickleValue[]; end: number } | undefined;
  for (;;) {
    try {
      const values: PickleValue[] = [];
      let end = 0;
      for (let i = 0; i < 5; i++) {
        const r = readPickle(bytes, i === 3 ? hooks : {}, end);
        values.push(r.value);
        end = r.end;
        if (i === 0 && r.value !== LEGACY_MAGIC)
          throw new TorchFormatError(
            src.name,
            'starts with a pickle but is not a PyTorch checkpoint (no torch magic number)',
          );
      }
      parsed = { values, end };
      break;
    } catch (e) {
      const short = e instanceof PickleError && e.message.startsWith('the pickle ends');
      if (!short || bytes.byteLength >= src.size) throw e;
      if (bytes.byteLength >= MAX_PICKLE_BYTES)
        throw new TorchFormatError(src.name, 'its pickles are too large');
      storages.clear();
      bytes = await src.read(0, Math.min(src.size, bytes.byteLength * 4, MAX_PICKLE_BYTES), signal);
    }
  }
  const [, protocol, sysInfo, value, keys] = parsed.values;
  if (protocol !== LEGACY_PROTOCOL)
    throw new TorchFormatError(src.name, `has legacy protocol ${String(protocol)}, not ${LEGACY_PROTOCOL}`);
  if (sysInfo instanceof PickleDict && sysInfo.map.get('little_endian') === false)
    throw new TorchFormatError(src.name, `is big-endian; ${CONVERT_HINT}`);
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string'))
    throw new TorchFormatError(src.name, 'its list of storages is damaged');
  const tensors = stateDict(src.name, value ?? null);

  // Each storage: an 8-byte element count, then its bytes. Sizes come from the pickle; the
  // first count is checked, and the records must end exactly at the end of the file.
  const starts = new Map<string, number>();
  let pos = parsed.end;
  for (const key of keys as string[]) {
    const s = storages.get(key);
    if (!s) throw new TorchFormatError(src.name, `lists storage ${key}, which no tensor uses`);
    starts.set(key, pos + 8);
    pos += 8 + s.numel * DTYPE_SIZE[s.dtype];
  }
  if (pos !== src.size)
    throw new TorchFormatError(
      src.name,
      `its storages end at byte ${pos}, but the file has ${src.size} (cut short or damaged)`,
    );
  const firstKey = (keys as string[])[0];
  if (firstKey !== undefined) {
    const countBytes = await src.read(parsed.end, 8, signal);
    const count = new DataView(countBytes.buffer, countBytes.byteOffset, 8).getBigUint64(0, true);
    if (Number(count) !== storages.get(firstKey)!.numel)
      throw new TorchFormatError(
        src.name,
        `storage ${firstKey} says ${count} elements, its tensors ${storages.get(firstKey)!.numel}`,
      );
  }
  for (const s of storages.values()) {
    if (!starts.has(s.key)) throw new TorchFormatError(src.name, `storage ${s.key} is not in the file`);
  }
  return tensors.map(([name, t]) => place(src.name, name, t, starts.get(t.storage.key)!));
}
