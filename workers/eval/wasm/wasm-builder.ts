/**
 * Just enough of a WebAssembly binary encoder to write the evaluation's matmul kernels by hand.
 *
 * Why hand-assembled: the forward pass spends ~90% of its time in small matrix products, where
 * plain JS tops out near 4 GFLOP/s and 128-bit SIMD WebAssembly reaches ~40 (measured, see
 * docs/eval.md). A compiler toolchain (Rust, AssemblyScript, emscripten) would be a second
 * build system for one 600-byte function; instead the bytes are generated here, from the
 * opcode tables of the WebAssembly 2.0 spec, and validated by `WebAssembly.validate`.
 */

export type Bytes = readonly number[];

export function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const name = (s: string): number[] => {
  const b = new TextEncoder().encode(s);
  return [...uleb(b.length), ...b];
};
const vec = (items: readonly Bytes[]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: Bytes): number[] => [id, ...uleb(body.length), ...body];

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

const f32Bytes = (x: number): number[] => [...new Uint8Array(Float32Array.of(x).buffer)];

/** Instructions, each as its encoded bytes. Only what the kernels use. */
export const op = {
  get: (i: number): Bytes => [0x20, ...uleb(i)],
  set: (i: number): Bytes => [0x21, ...uleb(i)],
  tee: (i: number): Bytes => [0x22, ...uleb(i)],
  i32: (n: number): Bytes => [0x41, ...sleb(n)],
  f32: (x: number): Bytes => [0x43, ...f32Bytes(x)],
  add: [0x6a] as Bytes,
  mul: [0x6c] as Bytes,
  ltU: [0x49] as Bytes,
  eqz: [0x45] as Bytes,
  /** A loop whose body branches back with `brIf(0)` (a do-while). */
  loop: (body: Bytes): Bytes => [0x03, 0x40, ...body, 0x0b],
  /** `if (cond) { then } else { otherwise }`, the condition taken from the stack. */
  ifElse: (then: Bytes, otherwise: Bytes): Bytes => [0x04, 0x40, ...then, 0x05, ...otherwise, 0x0b],
  brIf: (depth: number): Bytes => [0x0d, ...uleb(depth)],
  // SIMD (prefix 0xfd). Memory arguments are (log2 alignment, offset).
  v128Load: (offset = 0): Bytes => [0xfd, ...uleb(0x00), 4, ...uleb(offset)],
  v128Store: (offset = 0): Bytes => [0xfd, ...uleb(0x0b), 4, ...uleb(offset)],
  load32Splat: (offset = 0): Bytes => [0xfd, ...uleb(0x09), 2, ...uleb(offset)],
  v128Zero: [0xfd, ...uleb(0x0c), ...new Array<number>(16).fill(0)] as Bytes,
  f32x4Splat: [0xfd, ...uleb(0x13)] as Bytes,
  f32x4Const: (x: number): Bytes => [0xfd, ...uleb(0x0c), ...[x, x, x, x].flatMap(f32Bytes)],
  f32x4ExtractLane: (lane: number): Bytes => [0xfd, ...uleb(0x1f), lane],
  f32x4Nearest: [0xfd, ...uleb(0x6a)] as Bytes,
  f32x4Add: [0xfd, ...uleb(0xe4)] as Bytes,
  f32x4Sub: [0xfd, ...uleb(0xe5)] as Bytes,
  f32x4Mul: [0xfd, ...uleb(0xe6)] as Bytes,
  f32x4Div: [0xfd, ...uleb(0xe7)] as Bytes,
  f32x4Neg: [0xfd, ...uleb(0xe1)] as Bytes,
  f32x4Min: [0xfd, ...uleb(0xe8)] as Bytes,
  f32x4Max: [0xfd, ...uleb(0xe9)] as Bytes,
  i32x4Shl: [0xfd, ...uleb(0xab)] as Bytes,
  i32x4Add: [0xfd, ...uleb(0xae)] as Bytes,
  i32x4Splat: [0xfd, ...uleb(0x11)] as Bytes,
  i32x4TruncSatF32x4S: [0xfd, ...uleb(0xf8)] as Bytes,
  f32Add: [0x92] as Bytes,
  f32Mul: [0x94] as Bytes,
  f32Div: [0x95] as Bytes,
  f32Sqrt: [0x91] as Bytes,
} as const;

export interface FunctionDef {
  readonly exportName: string;
  /** Parameter types (I32, F32). */
  readonly params: readonly number[];
  /** Result types (none, or one). */
  readonly results?: readonly number[];
  /** Local declarations after the parameters: [count, type]. */
  readonly locals: readonly (readonly [number, number])[];
  readonly body: Bytes;
}

/** "\0asm", version 1. */
const MAGIC_AND_VERSION = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** A module importing its memory as `env.mem` and exporting the given functions. */
export function buildModule(functions: readonly FunctionDef[]): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [
    0x60,
    ...vec(f.params.map((t) => [t])),
    ...vec((f.results ?? []).map((t) => [t])),
  ]);
  const bodies = functions.map((f) => {
    const body = [...vec(f.locals.map(([n, t]) => [...uleb(n), t])), ...f.body, 0x0b];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    ...MAGIC_AND_VERSION,
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('mem'), 0x02, 0x00, ...uleb(1)]])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.exportName), 0x00, ...uleb(i)]))),
    ...section(10, vec(bodies)),
  ]);
}
