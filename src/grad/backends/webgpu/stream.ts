/**
 * The WebGPU backend's open command stream (see ../webgpu.ts): one command encoder / compute pass that primitives
 * are recorded into, submitted together by `flush()`; what it binds (an upload into a bound buffer flushes first);
 * the parameter buffers given back to the pool only after the submit; and the submit / dispatch / readback counters.
 */
import type { BufferPool } from './pool';
import type { Kernels, KernelKey } from './kernels';
import type { GpuFaults } from './faults';

/** What the backend has sent to the GPU so far (see `WebGpuBackend.counters`). */
export interface GpuCounters {
  /** queue.submit calls. */
  submits: number;
  /** Compute dispatches recorded (clears and copies not counted). */
  dispatches: number;
  /** read() calls that mapped a buffer back to the host. */
  readbacks: number;
  /** Flushes forced by an upload into a buffer still bound by recorded work (a subset of submits). */
  hazardFlushes: number;
}

export class CommandStream {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private recorded = 0;
  readonly bound = new Set<GPUBuffer>();
  readonly isBound = (b: GPUBuffer): boolean => this.bound.has(b);
  readonly releaseAfterSubmit: GPUBuffer[] = [];
  /** Buffers the pool dropped while recorded work still bound them: destroyed after the submit. */
  readonly destroyAfterSubmit: GPUBuffer[] = [];
  private readonly recordedKernels = new Set<string>();
  readonly count: GpuCounters = { submits: 0, dispatches: 0, readbacks: 0, hazardFlushes: 0 };

  constructor(
    private readonly device: GPUDevice,
    private readonly pool: BufferPool,
    private readonly kernels: Kernels,
    private readonly faults: GpuFaults,
    private readonly maxRecorded: number,
  ) {}

  /** queue.writeBuffer, flushing first when recorded (unsubmitted) work binds `g`: the write would overtake it. */
  writeBuffer(g: GPUBuffer, data: Float32Array | Uint32Array | Int32Array): void {
    if (data.byteLength === 0) return;
    if (this.bound.has(g)) {
      this.count.hazardFlushes++;
      this.flush();
    }
    this.device.queue.writeBuffer(g, 0, unshared(data));
  }

  /** The open command encoder (created on demand), with no compute pass open. */
  openEncoder(): GPUCommandEncoder {
    if (this.pass !== null) {
      this.pass.end();
      this.pass = null;
    }
    return (this.encoder ??= this.device.createCommandEncoder({ label: 'jammi grad' }));
  }

  /** Zeroes `bytes` of `g` in the command stream (ordered with the recorded dispatches). */
  clear(g: GPUBuffer, bytes: number): void {
    this.openEncoder().clearBuffer(g, 0, bytes);
    this.bound.add(g);
    this.afterRecord();
  }

  /** Record one kernel; its scratch buffers go back to the pool after the flush that submits it. */
  run(key: KernelKey, bindings: readonly (GPUBuffer | undefined)[], groups: readonly [number, number, number], scratch: GPUBuffer[]): void {
    try {
      const recorded = this.faults.inOomScope(`recording ${key.file}.${key.entry}`, () => {
        if (this.pass === null) this.pass = (this.encoder ??= this.device.createCommandEncoder({ label: 'jammi grad' })).beginComputePass();
        return this.kernels.record(this.pass, key, bindings, groups);
      });
      if (recorded) {
        this.count.dispatches++;
        this.recordedKernels.add(`${key.file}.${key.entry}`);
        for (const b of bindings) if (b !== undefined) this.bound.add(b);
      }
    } finally {
      this.releaseAfterSubmit.push(...scratch);
    }
    this.afterRecord();
  }

  private afterRecord(): void {
    if (++this.recorded >= this.maxRecorded) this.flush();
  }

  /** Submit everything recorded so far as one command buffer (no-op when nothing is); see `WebGpuBackend.flush`. */
  flush(): void {
    const enc = this.encoder;
    if (this.pass !== null) this.pass.end();
    this.pass = null;
    this.encoder = null;
    this.recorded = 0;
    this.bound.clear();
    const kernels = [...this.recordedKernels].join(', ');
    this.recordedKernels.clear();
    try {
      if (enc !== null && this.faults.lostReason === null) {
        this.faults.inOomScope(`submitting ${kernels || 'copies'}`, () => this.device.queue.submit([enc.finish()]));
        this.count.submits++;
      }
    } finally {
      // Released only now: their writeBuffer-ed contents were needed by the work just submitted.
      if (this.faults.lostReason === null) for (const s of this.releaseAfterSubmit) this.pool.release(s);
      this.releaseAfterSubmit.length = 0;
      for (const b of this.destroyAfterSubmit) b.destroy();
      this.destroyAfterSubmit.length = 0;
    }
  }

  /** Drops the open stream without submitting it (`WebGpuBackend.destroy`). */
  drop(): void {
    this.encoder = null;
    this.pass = null;
    this.bound.clear();
    this.releaseAfterSubmit.length = 0;
  }
}

/** writeBuffer takes views of plain ArrayBuffers; a view of a SharedArrayBuffer is copied first. */
function unshared<T extends Float32Array | Uint32Array | Int32Array>(a: T): T & { buffer: ArrayBuffer } {
  return (a.buffer instanceof ArrayBuffer ? a : a.slice()) as T & { buffer: ArrayBuffer };
}
