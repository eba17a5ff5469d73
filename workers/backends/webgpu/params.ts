/**
 * Packs a kernel's uniform parameters. Every WGSL parameter struct in this backend is a flat
 * list of 4-byte scalars (u32 / i32 / f32), so field i sits at byte 4 i and the JS side needs
 * no layout rules beyond "same order"; the buffer is padded to 16 bytes, the uniform minimum.
 */
export class ParamWriter {
  private readonly words: { kind: 'u' | 'i' | 'f'; value: number }[] = [];

  u32(...values: number[]): this {
    for (const v of values) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`u32 parameter ${v}`);
      this.words.push({ kind: 'u', value: v });
    }
    return this;
  }

  i32(...values: number[]): this {
    for (const v of values) this.words.push({ kind: 'i', value: v | 0 });
    return this;
  }

  f32(...values: number[]): this {
    for (const v of values) this.words.push({ kind: 'f', value: v });
    return this;
  }

  get byteLength(): number {
    return Math.max(16, Math.ceil((this.words.length * 4) / 16) * 16);
  }

  toArrayBuffer(): ArrayBuffer {
    const buf = new ArrayBuffer(this.byteLength);
    const u = new Uint32Array(buf);
    const i = new Int32Array(buf);
    const f = new Float32Array(buf);
    this.words.forEach((w, k) => {
      if (w.kind === 'u') u[k] = w.value;
      else if (w.kind === 'i') i[k] = w.value;
      else f[k] = w.value;
    });
    return buf;
  }
}

export const params = (): ParamWriter => new ParamWriter();
