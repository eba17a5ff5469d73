/**
 * The GPU side of one kernel run: the tensor's segments (see segments.ts), scratch buffers,
 * recorded dispatches and readbacks. Everything it creates is destroyed by `destroy()`, so a
 * failed run leaks nothing.
 *
 * Ordering: `queue.writeBuffer` runs before any command buffer submitted after it, even one
 * recorded earlier, so every upload first submits what was recorded so far.
 */
import type { GpuContext, Kernel } from './gpu-context.ts';
import type { ParamWriter } from './params.ts';
import { grid, planSegments } from './segments.ts';

export interface Segment {
  readonly start: number;
  readonly len: number;
  /** `slots` x `len` float32 values. */
  readonly buf: GPUBuffer;
}

/** Threads per workgroup of every kernel of this backend. */
export const WG = 256;

export class Workspace {
  readonly segments: readonly Segment[];
  private readonly owned: GPUBuffer[] = [];
  private readonly scratchBuffers = new Map<string, GPUBuffer>();
  private encoder: GPUCommandEncoder | undefined;

  constructor(
    readonly ctx: GpuContext,
    readonly n: number,
    readonly slots: number,
    opts: { unit?: number; bytesPerElement?: number } = {},
  ) {
    const ranges = planSegments(
      n,
      opts.unit ?? 1,
      Math.max(opts.bytesPerElement ?? 0, 4 * slots),
      ctx.maxBindingBytes,
    );
    this.segments = ranges.map((r) => ({ ...r, buf: this.storage(slots * r.len * 4) }));
    if (n > 0) ctx.lastSegments = this.segments.length;
  }

  /** A zeroed storage buffer owned by this run (at least 4 bytes). */
  storage(bytes: number): GPUBuffer {
    const buf = this.ctx.device.createBuffer({
      size: Math.max(4, Math.ceil(bytes / 4) * 4),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    this.owned.push(buf);
    return buf;
  }

  /** A storage buffer reused by every call with the same name (per-model scratch). */
  scratch(name: string, bytes: number): GPUBuffer {
    let buf = this.scratchBuffers.get(name);
    if (!buf || buf.size < bytes) {
      buf = this.storage(bytes);
      this.scratchBuffers.set(name, buf);
    }
    return buf;
  }

  /** A storage buffer holding `data`. */
  storageFrom(data: Float32Array | Uint32Array): GPUBuffer {
    const buf = this.storage(data.byteLength);
    this.write(buf, 0, data);
    return buf;
  }

  write(buf: GPUBuffer, byteOffset: number, data: Float32Array | Uint32Array): void {
    if (data.length === 0) return;
    this.submit();
    this.ctx.device.queue.writeBuffer(buf, byteOffset, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Copies elements [seg.start, seg.start + seg.len) of `data` into `slot` of every segment. */
  upload(slot: number, data: Float32Array): void {
    for (const s of this.segments)
      this.write(s.buf, slot * s.len * 4, data.subarray(s.start, s.start + s.len));
  }

  private enc(): GPUCommandEncoder {
    this.encoder ??= this.ctx.device.createCommandEncoder();
    return this.encoder;
  }

  /** Records `groups` workgroups of `kernel` with bindings (params, ...buffers). */
  dispatch(kernel: Kernel, p: ParamWriter, buffers: readonly GPUBuffer[], groups: number): void {
    if (groups <= 0) return;
    const device = this.ctx.device;
    const pipeline = this.ctx.pipeline(kernel);
    const ub = device.createBuffer({
      size: p.byteLength,
      usage: GPUBufferUsage.UNIFORM,
      mappedAtCreation: true,
    });
    new Uint8Array(ub.getMappedRange()).set(new Uint8Array(p.toArrayBuffer()));
    ub.unmap();
    this.owned.push(ub);
    const bind = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [ub, ...buffers].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const pass = this.enc().beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    const [x, y] = grid(groups);
    pass.dispatchWorkgroups(x, y);
    pass.end();
  }

  /** One thread per element: workgroups for `threads` threads. */
  static groups(threads: number): number {
    return Math.ceil(threads / WG);
  }

  clear(buf: GPUBuffer): void {
    this.enc().clearBuffer(buf);
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    if (bytes > 0) this.enc().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  submit(): void {
    if (!this.encoder) return;
    this.ctx.device.queue.submit([this.encoder.finish()]);
    this.encoder = undefined;
  }

  /** Reads `bytes` bytes of `buf` from `byteOffset` (after every recorded command). */
  async read(buf: GPUBuffer, byteOffset: number, bytes: number): Promise<ArrayBuffer> {
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const staging = this.ctx.device.createBuffer({
      size,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    this.owned.push(staging);
    this.enc().copyBufferToBuffer(buf, byteOffset, staging, 0, size);
    this.submit();
    this.ctx.assertAlive();
    await this.ctx.race(staging.mapAsync(GPUMapMode.READ));
    const out = staging.getMappedRange().slice(0, bytes);
    staging.unmap();
    return out;
  }

  async readU32(buf: GPUBuffer, count: number, byteOffset = 0): Promise<Uint32Array> {
    return new Uint32Array(await this.read(buf, byteOffset, count * 4));
  }

  async readF32(buf: GPUBuffer, count: number, byteOffset = 0): Promise<Float32Array> {
    return new Float32Array(await this.read(buf, byteOffset, count * 4));
  }

  /** Downloads `slot` of every segment into `out`. */
  async readSlot(slot: number, out: Float32Array): Promise<void> {
    for (const s of this.segments) {
      out.set(await this.readF32(s.buf, s.len, slot * s.len * 4), s.start);
    }
  }

  destroy(): void {
    this.encoder = undefined;
    for (const b of this.owned) b.destroy();
    for (const s of this.segments) s.buf.destroy();
    this.owned.length = 0;
  }
}

/** One thread per element of each segment: `p(seg)` gives the segment's parameters. */
export function perSegment(
  ws: Workspace,
  k: Kernel,
  p: (seg: Segment) => ParamWriter,
  extra: readonly GPUBuffer[] = [],
): void {
  for (const seg of ws.segments) ws.dispatch(k, p(seg), [seg.buf, ...extra], Workspace.groups(seg.len));
}
