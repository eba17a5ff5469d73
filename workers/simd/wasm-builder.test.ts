import { describe, expect, it } from 'vitest';
import { buildModule, I32, op, sleb, uleb, type Bytes } from './wasm-builder.ts';

interface LaneArray {
  set(values: ArrayLike<number>, offset: number): void;
  subarray(begin: number, end: number): Iterable<number>;
}
interface LaneType {
  new (buffer: ArrayBuffer, byteOffset: number, length: number): LaneArray;
  readonly BYTES_PER_ELEMENT: number;
}

/** Runs `body` (which may read the vectors at bytes 0 and 16) and stores its v128 result at 32. */
function v128Result(
  body: Bytes,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  type: LaneType = Int32Array,
): number[] {
  const bytes = buildModule([
    { exportName: 'f', params: [], locals: [], body: [...op.i32(32), ...body, ...op.v128Store(0)] },
  ]);
  expect(WebAssembly.validate(bytes)).toBe(true);
  const memory = new WebAssembly.Memory({ initial: 1 });
  const view = new type(memory.buffer, 0, (48 / type.BYTES_PER_ELEMENT) | 0);
  const lanes = 16 / type.BYTES_PER_ELEMENT;
  view.set(Array.from(a), 0);
  view.set(Array.from(b), lanes);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem: memory } });
  (inst.exports['f'] as () => void)();
  return [...view.subarray(2 * lanes, 3 * lanes)];
}
const A: Bytes = [...op.i32(0), ...op.v128Load(0)];
const B: Bytes = [...op.i32(0), ...op.v128Load(16)];
const bin = (o: Bytes): Bytes => [...A, ...B, ...o];

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
            ...op.i32(0), ...op.i32(0), ...op.i32Load(0), ...op.i32(1), ...op.add, ...op.i32Store(0),
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

  it('integer lane ops do what the spec says', () => {
    const a = [-5, 7, 0x7fffffff, -1];
    const b = [3, 7, -2, 1];
    expect(v128Result(bin(op.i32x4Eq), a, b)).toEqual([0, -1, 0, 0]);
    expect(v128Result(bin(op.i32x4GtS), a, b)).toEqual([0, 0, -1, 0]);
    expect(v128Result(bin(op.i32x4GtU), a, b)).toEqual([-1, 0, 0, -1]);
    expect(v128Result(bin(op.i32x4LtS), a, b)).toEqual([-1, 0, 0, -1]);
    expect(v128Result(bin(op.i32x4LtU), a, b)).toEqual([0, 0, -1, 0]);
    expect(v128Result(bin(op.i32x4Mul), a, b)).toEqual(a.map((x, i) => Math.imul(x, b[i]!)));
    expect(v128Result(bin(op.i32x4Sub), a, b)).toEqual(a.map((x, i) => (x - b[i]!) | 0));
    expect(v128Result(bin(op.v128AndNot), a, b)).toEqual(a.map((x, i) => x & ~b[i]!));
    expect(v128Result(bin(op.v128Xor), a, b)).toEqual(a.map((x, i) => x ^ b[i]!));
    expect(v128Result([...A, ...op.i32(4), ...op.i32x4ShrU], a, b)).toEqual(a.map((x) => (x >>> 4) | 0));
    expect(v128Result([...A, ...op.v128Not], a, b)).toEqual(a.map((x) => ~x));
    // bitmask of [lane < 0]: lanes 0 and 3 -> 0b1001
    const bm = [...A, ...op.i32x4Bitmask, ...op.i32x4Splat];
    expect(v128Result(bm, a, b)).toEqual([9, 9, 9, 9]);
    // bitselect(a, b, mask): a where mask bits are set
    const mask = [...op.i32x4Const(-1, 0, -1, 0)];
    expect(v128Result([...A, ...B, ...mask, ...op.v128Bitselect], a, b)).toEqual([-5, 7, 0x7fffffff, 1]);
    // shuffle: lanes of a and b interleaved by 32-bit words
    const words = [0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23];
    expect(v128Result(bin(op.i8x16Shuffle(words)), a, b)).toEqual([-5, 3, 7, 7]);
  });

  it('16-bit widening and narrowing lanes', () => {
    const h = [1, 0xffff, 0x8000, 7, 9, 10, 11, 0x1234];
    const lo = v128Result([...A, ...op.i32x4ExtendLowI16x8U], h, [], Uint16Array);
    expect(new Uint32Array(new Uint16Array(lo).buffer)).toEqual(Uint32Array.of(1, 0xffff, 0x8000, 7));
    const hi = v128Result([...A, ...op.i32x4ExtendHighI16x8U], h, [], Uint16Array);
    expect(new Uint32Array(new Uint16Array(hi).buffer)).toEqual(Uint32Array.of(9, 10, 11, 0x1234));
    // narrow saturates signed i32 to [0, 65535]
    const n = v128Result(bin(op.i16x8NarrowI32x4U), [0, 65535, 65536, -1], [5, 6, 7, 0x12345], Int32Array);
    expect([...new Uint16Array(Int32Array.from(n).buffer)]).toEqual([0, 65535, 65535, 0, 5, 6, 7, 65535]);
  });

  it('float lane ops, promotion and demotion', () => {
    const a = [1.5, -2, 3, -0];
    const b = [0.5, -2, -3, 0];
    expect(v128Result(bin(op.f32x4Gt), a, b, Float32Array).map((x) => Number.isNaN(x))).toEqual([
      true,
      false,
      true,
      false,
    ]);
    expect(v128Result([...A, ...op.f32x4Abs], a, b, Float32Array)).toEqual([1.5, 2, 3, 0]);
    const promoted = v128Result([...A, ...op.f64x2PromoteLowF32x4], [0.1, -2.5, 9, 9], [], Float32Array);
    expect([...new Float64Array(Float32Array.from(promoted).buffer)]).toEqual([Math.fround(0.1), -2.5]);
    const d = v128Result([...A, ...op.f32x4DemoteF64x2Zero], [1 / 3, -7], [], Float64Array);
    expect([...new Float32Array(Float64Array.from(d).buffer)]).toEqual([Math.fround(1 / 3), -7, 0, 0]);
    const prod = v128Result(bin(op.f64x2Mul), [1 / 3, 2], [3, -0.25], Float64Array);
    expect(prod).toEqual([(1 / 3) * 3, -0.5]);
    expect(v128Result(bin(op.f64x2Ge), [1, -1], [1, 0], Float64Array).map(Number.isNaN)).toEqual([
      true,
      false,
    ]);
  });
});
