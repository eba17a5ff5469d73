/**
 * PyTorch checkpoints written by real torch.save (test-data/torch-bin, made by
 * scripts/make-torch-fixtures.py with torch 1.13): every tensor's bytes equal the safetensors
 * original's, in both of torch.save's formats, and what we cannot read is refused by name.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeToF32 } from '../dtypes.ts';
import { folderModelSource, openFileSource } from '../node/fs-source.ts';
import { loadModel, type LoadedModel } from '../load-model.ts';
import { readTorchCheckpoint, type TorchTensorEntry } from './torch-file.ts';

const EDGE = 'test-data/torch-bin/edge';

async function read(file: string): Promise<{ entries: Map<string, TorchTensorEntry>; bytes: Buffer }> {
  const entries = await readTorchCheckpoint(await openFileSource(file));
  return { entries: new Map(entries.map((e) => [e.name, e])), bytes: readFileSync(file) };
}

function values(bytes: Buffer, e: TorchTensorEntry): number[] {
  return [...decodeToF32(new Uint8Array(bytes.subarray(e.begin, e.end)), e.dtype)];
}

async function tensorBytes(m: LoadedModel, name: string): Promise<Uint8Array> {
  const t = m.tensors.get(name)!;
  const src = await m.source.open(t.file);
  return src.read(t.begin, t.end - t.begin);
}

/** Reads `file` as if it ended after `keep` bytes. */
const cut = async (file: string, keep: number): Promise<Error> => {
  const full = readFileSync(file);
  const src = {
    name: 'cut.bin',
    size: keep,
    read: async (o: number, n: number) => new Uint8Array(full.subarray(o, o + n)),
  };
  return readTorchCheckpoint(src).then(
    () => new Error('read'),
    (e: Error) => e,
  );
};

describe('torch.save checkpoints', () => {
  it.each([
    ['tinymix-code', 'ZIP format, one file, BF16'],
    ['tinymix-math', 'ZIP format, two shards with pytorch_model.bin.index.json'],
    ['tinymix-law-legacy', 'legacy format, F16'],
  ])('%s (%s) holds the safetensors model byte for byte', async (name) => {
    const original = name.replace('-legacy', '');
    const bin = await loadModel(folderModelSource(name, `test-data/torch-bin/${name}`));
    const st = await loadModel(folderModelSource(original, `test-data/tinymix/${original}`));
    expect([...bin.tensors.keys()].sort()).toEqual([...st.tensors.keys()].sort());
    for (const [tensor, t] of st.tensors) {
      const b = bin.tensors.get(tensor)!;
      expect({ dtype: b.dtype, shape: b.shape }).toEqual({ dtype: t.dtype, shape: t.shape });
      expect(
        Buffer.from(await tensorBytes(bin, tensor)).equals(Buffer.from(await tensorBytes(st, tensor))),
      ).toBe(true);
    }
    expect(bin.weightFiles.every((f) => f.path.endsWith('.bin'))).toBe(true);
  });

  it.each(['views.bin', 'views-legacy.bin', 'zip64.bin', 'views-p5.bin', 'views-legacy-p1.bin'])(
    '%s: views, tied tensors, every dtype',
    async (file) => {
      const { entries, bytes } = await read(`${EDGE}/${file}`);
      const whole = entries.get('whole')!;
      expect(whole).toMatchObject({ dtype: 'F32', shape: [4, 6] });
      expect(values(bytes, whole)).toEqual([...Array(24).keys()]);
      expect(values(bytes, entries.get('rows')!)).toEqual([...Array(12).keys()].map((i) => i + 6));
      expect(entries.get('tied')).toMatchObject({ begin: whole.begin, end: whole.end });
      expect(entries.get('scalar')).toMatchObject({ shape: [] });
      expect(values(bytes, entries.get('scalar')!)).toEqual([7.5]);
      expect(values(bytes, entries.get('bf16')!)).toEqual([0, 0.25, 0.5, 0.75, 1]);
      expect(values(bytes, entries.get('f16')!)).toEqual([0, 0.125, 0.25, 0.375, 0.5]);
      expect(values(bytes, entries.get('f64')!)).toEqual([0, 1 / 3, 2 / 3].map((x) => Math.fround(x)));
      expect(values(bytes, entries.get('i64')!)).toEqual([-1, 0, 1]);
      expect(values(bytes, entries.get('i32')!)).toEqual([0, 1, 2]);
      expect(values(bytes, entries.get('i16')!)).toEqual([0, 1, 2]);
      expect(values(bytes, entries.get('i8')!)).toEqual([-1, 0, 1]);
      expect(values(bytes, entries.get('u8')!)).toEqual([0, 1, 2]);
      expect(entries.get('bool')).toMatchObject({ dtype: 'BOOL', shape: [3] });
      expect(entries.get('empty')).toMatchObject({ shape: [0, 3] });
      expect(entries.get('empty')!.end).toBe(entries.get('empty')!.begin);
    },
  );

  it('reads the state_dict of a training checkpoint, and parameters as tensors', async () => {
    const wrapped = await read(`${EDGE}/wrapped.bin`);
    expect([...wrapped.entries.keys()]).toEqual(['a']);
    expect(values(wrapped.bytes, wrapped.entries.get('a')!)).toEqual([...Array(24).keys()]);
    const param = await read(`${EDGE}/parameter.bin`);
    expect(values(param.bytes, param.entries.get('a')!)).toEqual([...Array(24).keys()]);
  });

  it('refuses a transposed view, a compressed storage and a pickled module by name', async () => {
    await expect(read(`${EDGE}/transposed.bin`)).rejects.toThrow(
      /transposed\.bin, tensor transposed: is not contiguous in its storage \(shape \[6, 4\], strides \[1, 6\]/,
    );
    await expect(read(`${EDGE}/deflated.bin`)).rejects.toThrow(
      /storage \d+ is compressed; convert it to safetensors/,
    );
    await expect(read(`${EDGE}/module.bin`)).rejects.toThrow(
      /holds a pickled torch\.nn\.modules\.linear\.Linear object, not a state dict of tensors; save model\.state_dict\(\)/,
    );
  });

  it('never runs what a malicious pickle names', async () => {
    rmSync('/tmp/merge-studio-pwned', { force: true });
    await expect(read(`${EDGE}/evil.bin`)).rejects.toThrow(
      /evil\.bin, tensor a: holds a posix\.system object, not a tensor/,
    );
    expect(existsSync('/tmp/merge-studio-pwned')).toBe(false);
  });

  it('says what is wrong with a cut-short or foreign file', async () => {
    expect((await cut('test-data/torch-bin/tinymix-code/pytorch_model.bin', 1_000_000)).message).toMatch(
      /cut\.bin: not a readable ZIP archive: no end-of-central-directory record \(the file may be cut short\)/,
    );
    expect(
      (await cut('test-data/torch-bin/tinymix-law-legacy/pytorch_model.bin', 1_000_000)).message,
    ).toMatch(
      /cut\.bin: its storages end at byte 16\d{5}, but the file has 1000000 \(cut short or damaged\)/,
    );
    expect((await cut('test-data/tinymix/tinymix-base/config.json', 300)).message).toMatch(
      /is not a PyTorch checkpoint \(neither a ZIP archive nor a pickle\)/,
    );
  });
});
