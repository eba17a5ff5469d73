import { describe, expect, it } from 'vitest';
import { kernelModule } from './kernel-module.ts';
import { buildModule, I32, op, sleb, uleb } from './wasm-builder.ts';

describe('wasm builder', () => {
  it('encodes LEB128 as the spec examples', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });

  it('builds a module that runs: a loop adding 1 to memory[0] n times', () => {
    const bytes = buildModule([
      {
        exportName: 'count',
        params: [I32],
        locals: [],
        // do { mem[0] += 1 } while (--n != 0)
        body: [
          ...op.loop([
            ...op.i32(0), ...op.i32(0), 0x28, 2, 0, ...op.i32(1), ...op.add, 0x36, 2, 0,
            ...op.get(0), ...op.i32(-1), ...op.add, ...op.tee(0), ...op.brIf(0),
          ]),
        ], // prettier-ignore
      },
    ]);
    expect(WebAssembly.validate(bytes)).toBe(true);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem: memory } });
    (inst.exports['count'] as (n: number) => void)(5);
    expect(new Int32Array(memory.buffer)[0]).toBe(5);
  });

  it('assembles the evaluation kernels into a valid module', () => {
    expect(kernelModule()).toBeInstanceOf(WebAssembly.Module);
  });
});
