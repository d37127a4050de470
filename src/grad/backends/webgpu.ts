/**
 * The WebGPU backend: the same primitives as the CPU backend, as WGSL compute kernels (`kernels/*.wgsl`) over
 * float32 storage buffers. It is tested against the CPU backend in Chromium (`e2e/grad-webgpu.spec.ts`).
 *
 * - Primitives are recorded into one open command encoder / compute pass (`webgpu/stream.ts`) and submitted
 *   together (a "flush") only when `read()` needs the results, when an upload would overwrite a buffer that recorded
 *   work still uses, or after `maxRecorded` dispatches. A whole training step is then a handful of command buffers;
 *   `counters()` counts submits, dispatches and readbacks. Nothing is read back unless `read()` is called.
 * - Ordering: within one queue, submission order is execution order, and commands inside one encoder run in
 *   record order, so a freed buffer may be reused at once as the output of a later *recorded* dispatch. But
 *   `queue.writeBuffer` runs before the next submitted command buffer, i.e. before work already recorded: an upload
 *   into a buffer that recorded work binds flushes first, and the per-dispatch parameter buffers go back to the
 *   pool only after the flush that submits them.
 * - Freed buffers go to a pool by size class (`webgpu/pool.ts`) and are reused by later primitives.
 * - Small per-call parameters (sizes, shapes, strides) travel in pooled storage buffers written with writeBuffer.
 * - After the device is lost every call throws "The GPU device was lost: …" (and a pending read rejects).
 * - Out of memory (`webgpu/faults.ts`, with device loss): every buffer creation and dispatch runs inside an
 *   'out-of-memory' error scope; a failure (or going over `memoryBudgetBytes`) throws a GpuOutOfMemoryError (code
 *   'gpu_oom') from the next allocation or `read()`, so no caller goes on computing with invalid buffers. Each
 *   flush's finish + submit runs in its own scope, named after the kernels it carried.
 */
import { sizeOf, type Backend, type BinaryOp, type DeviceBuffer, type MatmulDesc, type ReduceOp, type UnaryOp, type View } from '../backend';
import { BufferPool } from './webgpu/pool';
import { AFFINE, BINARY, Kernels, REDUCE, TILE, UNARY, grid, type KernelKey } from './webgpu/kernels';
import { GpuOutOfMemoryError } from '../errors';
import { GpuFaults } from './webgpu/faults';
import { CommandStream, type GpuCounters } from './webgpu/stream';

export type { GpuCounters };

class GpuBuffer implements DeviceBuffer {
  constructor(
    readonly size: number,
    public gpu: GPUBuffer | null,
  ) {}
}

export interface WebGpuOptions {
  /** Cap on workgroups per grid dimension (default: the device limit). Tests lower it to exercise 2-D grids. */
  dispatchLimit?: number;
  powerPreference?: GPUPowerPreference;
  /**
   * Cap on the GPU memory this backend takes, in bytes: live tensors, the reuse pool and read-back staging together.
   * Beyond it, pooled buffers are freed first, then allocation throws a GpuOutOfMemoryError. Default: no cap (the
   * device's own out-of-memory errors still become GpuOutOfMemoryErrors).
   */
  memoryBudgetBytes?: number;
  /** Dispatches recorded before a flush is forced (default 512; 1 submits every primitive on its own, as before). */
  maxRecorded?: number;
}

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu';
  /** Uncaptured WebGPU errors (validation, out of memory), newest last; a correct run leaves this empty. */
  readonly errors: string[];
  /** Resolves with the reason once the device is lost (e.g. after `device.destroy()`). */
  readonly lost: Promise<string>;
  private live = 0;
  private readonly pool: BufferPool;
  private readonly kernels: Kernels;
  /** Invocations per workgroup of the 1-D kernels: 256, or less where the device allows less. */
  private readonly wg: number;
  private readonly maxGroups: number;
  private readonly maxBinding: number;
  private readonly faults: GpuFaults;
  /** The open command stream: encoder, its compute pass, what it binds and what to release once it is submitted. */
  private readonly stream: CommandStream;

  /** @param device the device (public for tests: `device.destroy()` simulates a lost GPU) */
  constructor(
    readonly device: GPUDevice,
    readonly adapterInfo: GPUAdapterInfo | null = null,
    options: WebGpuOptions = {},
  ) {
    const lim = device.limits;
    this.wg = 2 ** Math.floor(Math.log2(Math.min(256, lim.maxComputeInvocationsPerWorkgroup, lim.maxComputeWorkgroupSizeX)));
    this.maxGroups = Math.min(lim.maxComputeWorkgroupsPerDimension, options.dispatchLimit ?? Infinity);
    this.maxBinding = Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize);
    const maxRecorded = Math.max(1, Math.floor(options.maxRecorded ?? 512));
    this.faults = new GpuFaults(device);
    this.errors = this.faults.errors;
    this.lost = this.faults.lost;
    const budget = options.memoryBudgetBytes ?? Infinity;
    if (!(budget > 0)) throw new Error(`memoryBudgetBytes must be a positive number of bytes (got ${options.memoryBudgetBytes})`);
    this.pool = new BufferPool(device, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, Math.min(256 * 2 ** 20, budget), budget, (create) =>
      this.faults.inOomScope('allocating a buffer', create),
      (buf) => (this.stream.bound.has(buf) ? this.stream.destroyAfterSubmit.push(buf) : buf.destroy()),
    );
    this.kernels = new Kernels(device);
    this.stream = new CommandStream(device, this.pool, this.kernels, this.faults, maxRecorded);
  }

  /** Whether the device behind this backend is SwiftShader (CPU emulation), e.g. in headless test browsers. */
  get isSoftware(): boolean {
    const i = this.adapterInfo;
    return i !== null && (i.vendor === 'google' || /swiftshader|llvmpipe|software/i.test(`${i.vendor} ${i.architecture} ${i.description} ${i.device}`));
  }

  // ---- buffers --------------------------------------------------------------------------------------------

  private check(): void {
    this.faults.check();
  }

  private gpu(b: DeviceBuffer): GPUBuffer {
    const g = (b as GpuBuffer).gpu;
    if (g === undefined) throw new Error('WebGpuBackend: not a buffer of this backend');
    if (g === null) throw new Error('WebGpuBackend: buffer used after dispose');
    return g;
  }

  /**
   * A new, uninitialised output buffer of `size` floats (counted live). `forWrite`: the caller will writeBuffer
   * into it, so it must not be a pooled buffer that recorded, unsubmitted work still binds.
   */
  private alloc(size: number, forWrite = false): GpuBuffer {
    this.check();
    if (!Number.isInteger(size) || size < 0) throw new Error(`WebGpuBackend: bad buffer size ${size}`);
    if (size * 4 > this.maxBinding)
      throw new Error(`WebGpuBackend: a buffer of ${size} floats (${(size / 2 ** 18).toFixed(1)} MiB) exceeds this device's storage binding limit of ${(this.maxBinding / 2 ** 20).toFixed(0)} MiB`);
    const gpu = this.roomy(() => this.pool.acquire(size * 4, true, forWrite ? this.stream.isBound : undefined));
    this.live++;
    return new GpuBuffer(size, gpu);
  }

  /** A pooled scratch buffer holding `data` (parameters, indices); `run` gives it back after the flush that uses it. */
  private scratch(data: Uint32Array | Int32Array): GPUBuffer {
    // NOTE: scratch is exempt from the budget's refusal (still counted): it is taken after the op's output buffer,
    // and refusing it would leak that output.
    const g = this.pool.acquire(data.byteLength, false, this.stream.isBound);
    this.stream.writeBuffer(g, data);
    return g;
  }

  /**
   * Runs a budgeted pool call; where it would exceed the memory budget while parameter buffers of unsubmitted work
   * are still held, flushes (which gives them back) and tries once more.
   */
  private roomy<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (!(e instanceof GpuOutOfMemoryError) || this.stream.releaseAfterSubmit.length === 0) throw e;
      this.flush();
      return f();
    }
  }

  /**
   * Submit everything recorded so far as one command buffer (no-op when nothing is). Called by `read()`, by uploads
   * that would overtake recorded work, and every `maxRecorded` dispatches; callers may call it to bound latency.
   */
  flush(): void {
    this.stream.flush();
  }

  /** Submits, dispatches and readbacks so far (a copy). */
  counters(): GpuCounters {
    return { ...this.stream.count };
  }

  /** A 1-D grid of workgroups of `this.wg` invocations covering `n` elements. */
  private grid1(n: number): [number, number, number] {
    return grid(Math.ceil(n / this.wg), this.maxGroups);
  }

  fill(size: number, value: number): DeviceBuffer {
    const out = this.alloc(size);
    if (size === 0) return out;
    if (value === 0) {
      this.stream.clear(out.gpu!, size * 4);
      return out;
    }
    const p = new Uint32Array([size, 0, 0, 0]);
    new Float32Array(p.buffer)[2] = value;
    const ps = this.scratch(p);
    this.stream.run({ file: 'strided', entry: 'fill', constants: { WG: this.wg } }, [ps, undefined, out.gpu!], this.grid1(size), [ps]);
    return out;
  }

  upload(data: Float32Array | Float64Array): DeviceBuffer {
    const out = this.alloc(data.length, true);
    const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
    this.stream.writeBuffer(out.gpu!, f32);
    return out;
  }

  async read(buf: DeviceBuffer): Promise<Float32Array> {
    this.check();
    const src = this.gpu(buf);
    const bytes = buf.size * 4;
    if (bytes === 0) return new Float32Array(0);
    this.roomy(() => this.pool.reserve(bytes));
    let staging: GPUBuffer;
    try {
      staging = this.faults.inOomScope('allocating a read-back buffer', () => this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }));
    } catch (e) {
      this.pool.unreserve(bytes);
      throw e;
    }
    try {
      this.stream.openEncoder().copyBufferToBuffer(src, 0, staging, 0, bytes);
      this.flush();
      this.stream.count.readbacks++;
      // NOTE: race with device loss: a mapAsync on a device that is going away must not leave us waiting forever.
      await Promise.race([staging.mapAsync(GPUMapMode.READ), this.lost]);
      await this.faults.settleScopes();
      this.check();
      return new Float32Array(staging.getMappedRange().slice(0));
    } catch (e) {
      // NOTE: a mapAsync cut short by device loss can reject before `device.lost` resolves; give it a moment.
      await Promise.race([this.lost, new Promise((r) => setTimeout(r, 1000))]);
      this.check();
      throw e;
    } finally {
      staging.destroy();
      this.pool.unreserve(bytes);
    }
  }

  dispose(buf: DeviceBuffer): void {
    const b = buf as GpuBuffer;
    if (b.gpu === null) return;
    // After device loss the buffer is gone anyway; disposing must still work so that cleanup code does not throw.
    if (this.faults.lostReason === null) this.pool.release(b.gpu);
    b.gpu = null;
    this.live--;
  }

  liveBuffers(): number {
    return this.live;
  }

  /** Buffers (and bytes) held by the pool for reuse (not counted in liveBuffers), and bytes in use. */
  poolStats(): { buffers: number; bytes: number; usedBytes: number; peakBytes: number; created: number } {
    return this.pool.stats();
  }

  /** Starts a new high-water mark for `poolStats().peakBytes`. */
  resetPeak(): void {
    this.pool.resetPeak();
  }

  // ---- elementwise ----------------------------------------------------------------------------------------

  private map(op: number, x: DeviceBuffer, scale: number, shift: number): DeviceBuffer {
    const xg = this.gpu(x);
    const out = this.alloc(x.size);
    const p = new Uint32Array([x.size, 0, 0, 0]);
    const f = new Float32Array(p.buffer);
    f[1] = scale;
    f[2] = shift;
    const ps = this.scratch(p);
    this.stream.run({ file: 'unary', entry: 'main', constants: { WG: this.wg, OP: op } }, [ps, xg, out.gpu!], this.grid1(x.size), [ps]);
    return out;
  }

  unary(op: UnaryOp, x: DeviceBuffer): DeviceBuffer {
    const code = UNARY[op];
    if (code === undefined) throw new Error(`unknown unary op ${String(op)}`);
    return this.map(code, x, 1, 0);
  }

  affine(x: DeviceBuffer, scale: number, shift: number): DeviceBuffer {
    return this.map(AFFINE, x, scale, shift);
  }

  binary(op: BinaryOp, a: View, b: View, shape: readonly number[]): DeviceBuffer {
    const code = BINARY[op];
    if (code === undefined) throw new Error(`unknown binary op ${String(op)}`);
    const ag = this.gpu(a.buf);
    const bg = this.gpu(b.buf);
    const size = sizeOf(shape);
    checkView('binary', a, shape);
    checkView('binary', b, shape);
    const out = this.alloc(size);
    const r = shape.length;
    const info = new Uint32Array(4 + 3 * r);
    info.set([size, r, a.offset, b.offset]);
    info.set(shape, 4);
    info.set(a.strides.slice(0, r), 4 + r);
    info.set(b.strides.slice(0, r), 4 + 2 * r);
    const ps = this.scratch(info);
    this.stream.run({ file: 'binary', entry: 'main', constants: { WG: this.wg, OP: code } }, [ps, ag, bg, out.gpu!], this.grid1(size), [ps]);
    return out;
  }

  // ---- reductions -----------------------------------------------------------------------------------------

  reduce(op: ReduceOp, x: DeviceBuffer, outer: number, n: number, inner: number): DeviceBuffer {
    const xg = this.gpu(x);
    if (outer * n * inner > x.size) throw new Error(`reduce: [${outer}, ${n}, ${inner}] over a buffer of ${x.size}`);
    const outputs = outer * inner;
    const out = this.alloc(outputs);
    const p = new Uint32Array([outer, n, inner, 0]);
    new Float32Array(p.buffer)[3] = -Infinity;
    const ps = this.scratch(p);
    // NOTE: long axes with few outputs (a full sum, a softmax row) get a workgroup each; otherwise one
    // invocation per output keeps every invocation busy.
    const wide = n >= 64 && outputs < 4096;
    const key: KernelKey = { file: 'reduce', entry: wide ? 'reduce_wide' : 'reduce_narrow', constants: { WG: this.wg, OP: REDUCE[op] } };
    this.stream.run(key, [ps, xg, out.gpu!], wide ? grid(outputs, this.maxGroups) : this.grid1(outputs), [ps]);
    return out;
  }

  // ---- fused row kernels ----------------------------------------------------------------------------------

  private rowParams(rows: number, n: number, eps: number): GPUBuffer {
    const p = new Uint32Array([rows, n, 0, 0]);
    const f = new Float32Array(p.buffer);
    f[2] = eps;
    f[3] = -Infinity;
    return this.scratch(p);
  }

  softmaxRows(x: DeviceBuffer, rows: number, n: number): DeviceBuffer {
    const xg = this.gpu(x);
    if (rows * n > x.size) throw new Error(`softmaxRows: [${rows}, ${n}] over a buffer of ${x.size}`);
    const out = this.alloc(rows * n);
    const ps = this.rowParams(rows, n, 0);
    this.stream.run({ file: 'rows', entry: 'softmax_rows', constants: { WG: this.wg } }, [ps, xg, out.gpu!], grid(rows, this.maxGroups), [ps]);
    return out;
  }

  normalizeRows(x: DeviceBuffer, rows: number, n: number, eps: number): { y: DeviceBuffer; rstd: DeviceBuffer } {
    const xg = this.gpu(x);
    if (rows * n > x.size) throw new Error(`normalizeRows: [${rows}, ${n}] over a buffer of ${x.size}`);
    const y = this.alloc(rows * n);
    const rstd = this.alloc(rows);
    const ps = this.rowParams(rows, n, eps);
    this.stream.run({ file: 'rows', entry: 'normalize_rows', constants: { WG: this.wg } }, [ps, xg, y.gpu!, rstd.gpu!], grid(rows, this.maxGroups), [ps]);
    return { y, rstd };
  }

  // ---- movement -------------------------------------------------------------------------------------------

  private strided(entry: 'copy_view' | 'write_view', view: View, shape: readonly number[], src: GPUBuffer, dst: GPUBuffer): void {
    const r = shape.length;
    const size = sizeOf(shape);
    const info = new Uint32Array(4 + 2 * r);
    info.set([size, r, view.offset, 0]);
    info.set(shape, 4);
    info.set(view.strides.slice(0, r), 4 + r);
    const ps = this.scratch(info);
    this.stream.run({ file: 'strided', entry, constants: { WG: this.wg } }, [ps, src, dst], this.grid1(size), [ps]);
  }

  copy(src: View, shape: readonly number[]): DeviceBuffer {
    const sg = this.gpu(src.buf);
    checkView('copy', src, shape);
    const out = this.alloc(sizeOf(shape));
    this.strided('copy_view', src, shape, sg, out.gpu!);
    return out;
  }

  writeInto(dst: View, shape: readonly number[], src: DeviceBuffer): void {
    this.check();
    const dg = this.gpu(dst.buf);
    const sg = this.gpu(src);
    checkView('writeInto', dst, shape);
    if (src.size < sizeOf(shape)) throw new Error(`writeInto: source of ${src.size} for shape [${shape}]`);
    this.strided('write_view', dst, shape, sg, dg);
  }

  matmul(a: DeviceBuffer, b: DeviceBuffer, d: MatmulDesc): DeviceBuffer {
    const ag = this.gpu(a);
    const bg = this.gpu(b);
    const { batch, m, n, k } = d;
    if (batch > 0 && ((batch - 1) * d.aBatchStride + m * k > a.size || (batch - 1) * d.bBatchStride + k * n > b.size))
      throw new Error(`matmul: operands of ${a.size} and ${b.size} are too small for ${JSON.stringify(d)}`);
    const gx = Math.ceil(n / TILE);
    const gy = Math.ceil(m / TILE);
    const tileLimit = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (gx > tileLimit || gy > tileLimit) throw new Error(`matmul: ${m}×${n} output is too large for one dispatch`);
    const out = this.alloc(batch * m * n);
    if (batch * m * n === 0) return out;
    if (k === 0) {
      // NOTE: an empty inner axis gives zeros; the kernel would leave the (pooled, dirty) buffer as it was.
      this.stream.clear(out.gpu!, batch * m * n * 4);
      return out;
    }
    // The batch goes on the z axis, in chunks when it exceeds the per-dimension limit.
    for (let base = 0; base < batch; base += this.maxGroups) {
      const chunk = Math.min(this.maxGroups, batch - base);
      const ps = this.scratch(new Uint32Array([m, n, k, d.transA ? 1 : 0, d.transB ? 1 : 0, d.aBatchStride, d.bBatchStride, base]));
      this.stream.run({ file: 'matmul', entry: 'main' }, [ps, ag, bg, out.gpu!], [gx, gy, chunk], [ps]);
    }
    return out;
  }

  gather(table: DeviceBuffer, rowSize: number, idx: Int32Array): DeviceBuffer {
    const tg = this.gpu(table);
    const rows = rowSize === 0 ? 0 : table.size / rowSize;
    for (const r of idx) if (r < 0 || r >= rows) throw new Error(`gather: index ${r} out of range [0, ${rows})`);
    const out = this.alloc(idx.length * rowSize);
    if (out.size === 0) return out;
    const ps = this.scratch(new Uint32Array([out.size, rowSize]));
    const is = this.scratch(idx);
    this.stream.run({ file: 'gather', entry: 'gather', constants: { WG: this.wg } }, [ps, tg, is, out.gpu!], this.grid1(out.size), [ps, is]);
    return out;
  }

  scatterAdd(src: DeviceBuffer, rowSize: number, idx: Int32Array, numRows: number): DeviceBuffer {
    const sg = this.gpu(src);
    if (src.size < idx.length * rowSize) throw new Error(`scatterAdd: source of ${src.size} for ${idx.length} rows of ${rowSize}`);
    for (const r of idx) if (r < 0 || r >= numRows) throw new Error(`scatterAdd: index ${r} out of range [0, ${numRows})`);
    const out = this.alloc(numRows * rowSize);
    if (out.size === 0) return out;
    // Counting sort of the source rows by target row (stable: each target sums its sources in index order).
    const rows = new Uint32Array(numRows + 1 + idx.length);
    for (const r of idx) rows[r + 1]++;
    for (let r = 0; r < numRows; r++) rows[r + 1] += rows[r];
    const next = rows.slice(0, numRows);
    for (let i = 0; i < idx.length; i++) rows[numRows + 1 + next[idx[i]]++] = i;
    const ps = this.scratch(new Uint32Array([out.size, rowSize]));
    const rs = this.scratch(rows);
    this.stream.run({ file: 'gather', entry: 'scatter_add', constants: { WG: this.wg } }, [ps, sg, undefined, out.gpu!, rs], this.grid1(out.size), [ps, rs]);
    return out;
  }

  /** Release the pool and the device; the backend is unusable afterwards. */
  destroy(): void {
    this.stream.drop();
    this.pool.clear();
    this.device.destroy();
  }
}

/** Strides must be non-negative integers, one per axis (the kernels index in u32). */
function checkView(what: string, v: View, shape: readonly number[]): void {
  if (v.strides.length < shape.length || v.offset < 0 || v.strides.some((s) => s < 0 || !Number.isInteger(s)))
    throw new Error(`${what}: unsupported view (offset ${v.offset}, strides [${v.strides}]) for shape [${shape}]`);
}

/**
 * Request a WebGPU adapter and device (with the adapter's full buffer-size limits) and wrap them in a backend.
 * Throws a clear Error where WebGPU is missing (no `navigator.gpu`) or no adapter is available.
 */
export async function createWebGpuBackend(options: WebGpuOptions = {}): Promise<WebGpuBackend> {
  const gpu = typeof navigator === 'undefined' ? undefined : (navigator as Navigator & { gpu?: GPU }).gpu;
  if (gpu === undefined || gpu === null) throw new Error('WebGPU is not available: navigator.gpu is missing (this browser or context has no WebGPU)');
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (adapter === null) throw new Error('WebGPU is available but no GPU adapter was found (navigator.gpu.requestAdapter() returned null)');
  const requiredLimits: Record<string, number> = {};
  for (const name of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupsPerDimension'] as const) requiredLimits[name] = adapter.limits[name];
  const device = await adapter.requestDevice({ requiredLimits });
  return new WebGpuBackend(device, adapter.info ?? null, options);
}
