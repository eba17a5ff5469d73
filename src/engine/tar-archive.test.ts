/**
 * The "Download all" archive, checked with the system's tar (GNU tar on Debian): it must
 * extract to the same folder, byte for byte, whatever the names and sizes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { entryHeader, tarArchive } from './tar-archive.ts';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

async function extract(archive: Blob): Promise<string> {
  dir = await mkdtemp(path.join(tmpdir(), 'tar-archive-'));
  const file = path.join(dir, 'out.tar');
  await writeFile(file, new Uint8Array(await archive.arrayBuffer()));
  execFileSync('tar', ['-xf', file, '-C', dir]);
  return dir;
}

const bytes = (n: number, seed: number): Uint8Array<ArrayBuffer> =>
  Uint8Array.from({ length: n }, (_, i) => (i * seed + 7) & 255);

describe('tarArchive', () => {
  it('extracts to the folder: subfolders, long and non-ASCII names, empty and odd-sized files', async () => {
    const longDir = 'a'.repeat(90) + '/' + 'b'.repeat(90);
    const files: Record<string, Uint8Array<ArrayBuffer>> = {
      'config.json': encodeText('{"architectures":["LlamaForCausalLM"]}\n'),
      'model-00001-of-00002.safetensors': bytes(1536, 3),
      'model-00002-of-00002.safetensors': bytes(1000, 5),
      'extra/notes.txt': encodeText('notes\n'),
      'empty.txt': new Uint8Array(0),
      [`${longDir}/${'c'.repeat(99)}.bin`]: bytes(513, 11), // needs ustar's prefix field
      [`${longDir}/${'d'.repeat(120)}.bin`]: bytes(10, 13), // fits no ustar field: a pax path
      'données/modèle é.txt': encodeText('non-ASCII\n'),
    };
    const archive = tarArchive(
      'my-merge',
      Object.entries(files).map(([p, b]) => ({ path: p, file: new Blob([b]), lastModified: 1.7e12 })),
    );
    expect(archive.size % 512).toBe(0);
    const root = await extract(archive);
    for (const [p, b] of Object.entries(files)) {
      expect(new Uint8Array(await readFile(path.join(root, 'my-merge', p))), p).toEqual(b);
    }
    const listing = execFileSync('tar', ['-tf', path.join(root, 'out.tar')], { encoding: 'utf8' });
    expect(listing.split('\n').filter(Boolean)).toHaveLength(Object.keys(files).length + 5); // + 5 folders
    expect(listing).toContain('my-merge/extra/\n');
  });

  it('keeps every entry inside the folder, whatever its name asks', async () => {
    const archive = tarArchive('../out', [{ path: '../../etc/x.txt', file: new Blob(['x']) }]);
    const root = await extract(archive);
    expect(await readFile(path.join(root, 'out/etc/x.txt'), 'utf8')).toBe('x');
    expect(() => tarArchive('out', [{ path: '..', file: new Blob([]) }])).toThrow(
      /Cannot archive a file named/,
    );
    expect(() => tarArchive('/', [])).toThrow(/folder name/);
  });

  it('gives a file over 8 GiB its size in a pax record', () => {
    const [pax, data, header] = entryHeader('m/model.safetensors', 9_000_000_000, 0, '0');
    expect(pax![156]).toBe('x'.charCodeAt(0));
    expect(new TextDecoder().decode(data).replace(/\0+$/, '')).toBe('19 size=9000000000\n');
    expect(new TextDecoder().decode(header!.subarray(124, 135))).toBe('77777777777');
    // A size that fits needs no pax header.
    expect(entryHeader('m/model.safetensors', 8_000_000_000, 0, '0')).toHaveLength(1);
  });
});

function encodeText(s: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(s);
}
