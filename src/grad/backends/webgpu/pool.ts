/**
 * A pool of GPU storage buffers by size class, so that the many short-lived tensors of a training step reuse
 * a few allocations instead of creating and destroying a GPUBuffer each.
 *
 * Reusing a released buffer at once as a dispatch's output is safe when every dispatch goes through the same
 * command stream (record order is execution order). The backend guards the two cases that are not: a
 * queue.writeBuffer into a buffer that recorded, unsubmitted work still binds (it flushes first), and destroying
 * such a buffer (`onDestroy` lets it defer the destroy until after the submit).
 */
import { GpuOutOfMemoryError } from '../../errors';

/** Smallest buffer the pool hands out, in bytes (also keeps 0-element tensors bindable). */
const MIN_BYTES = 256;

/** Size classes: 4 per doubling (256, 320, 384, 448, 512, 640, …), so at most 25% of a buffer is slack. */
export function sizeClass(bytes: number): number {
  if (bytes <= MIN_BYTES) return MIN_BYTES;
  const e = Math.floor(Math.log2(bytes));
  const step = 2 ** (e - 2);
  return Math.ceil(bytes / step) * step;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private freeBytes = 0;
  /** Bytes of buffers handed out and not yet released (plus `reserve`d bytes). */
  private usedBytes = 0;
  private peakBytes = 0;
  private created = 0;

  /**
   * @param maxFreeBytes released buffers beyond this many bytes are destroyed instead of kept
   * @param budgetBytes cap on used + pooled bytes: past it, pooled buffers are destroyed to make room, and when
   *   that is not enough `acquire` throws a GpuOutOfMemoryError (a real, testable out-of-memory)
   * @param onCreate wraps each `createBuffer` (the backend opens an out-of-memory error scope around it)
   */
  constructor(
    private readonly device: GPUDevice,
    private readonly usage: GPUBufferUsageFlags,
    private readonly maxFreeBytes = 256 * 2 ** 20,
    readonly budgetBytes = Infinity,
    private readonly onCreate: (create: () => GPUBuffer) => GPUBuffer = (create) => create(),
    private readonly onDestroy: (buf: GPUBuffer) => void = (buf) => buf.destroy(),
  ) {}

  /**
   * A buffer of at least `bytes` bytes (its contents are whatever the last user left); `enforceBudget` false:
   * counted, never refused. `avoid`: pooled buffers it returns true for are skipped (the backend skips buffers that
   * recorded work still binds when the caller will writeBuffer into the result).
   */
  acquire(bytes: number, enforceBudget = true, avoid?: (buf: GPUBuffer) => boolean): GPUBuffer {
    const size = sizeClass(bytes);
    const list = this.free.get(size);
    let reused: GPUBuffer | undefined;
    if (list !== undefined) {
      let i = list.length - 1;
      if (avoid !== undefined) while (i >= 0 && avoid(list[i])) i--;
      if (i >= 0) reused = list.splice(i, 1)[0];
    }
    if (reused !== undefined) {
      this.freeBytes -= size;
      this.use(size);
      return reused;
    }
    if (enforceBudget) this.makeRoom(size);
    this.created++;
    const buf = this.onCreate(() => this.device.createBuffer({ size, usage: this.usage }));
    this.use(size);
    return buf;
  }

  /** Counts `bytes` held outside the pool (a staging buffer) against the budget; `unreserve` gives them back. */
  reserve(bytes: number): void {
    this.makeRoom(bytes);
    this.use(bytes);
  }

  private use(bytes: number): void {
    this.usedBytes += bytes;
    if (this.usedBytes > this.peakBytes) this.peakBytes = this.usedBytes;
  }

  /** Starts a new high-water mark of used bytes (see `stats().peakBytes`). */
  resetPeak(): void {
    this.peakBytes = this.usedBytes;
  }

  unreserve(bytes: number): void {
    this.usedBytes -= bytes;
  }

  /** Destroys pooled buffers until `size` more bytes fit the budget; throws when even an empty pool is not enough. */
  private makeRoom(size: number): void {
    if (this.usedBytes + this.freeBytes + size <= this.budgetBytes) return;
    for (const [cls, list] of this.free) {
      while (list.length > 0 && this.usedBytes + this.freeBytes + size > this.budgetBytes) {
        this.onDestroy(list.pop()!);
        this.freeBytes -= cls;
      }
    }
    if (this.usedBytes + size > this.budgetBytes) {
      throw new GpuOutOfMemoryError(
        `GPU out of memory: ${size} more bytes would exceed the memory budget of ${this.budgetBytes} bytes (${this.usedBytes} in use).`,
      );
    }
  }

  release(buf: GPUBuffer): void {
    const size = buf.size;
    this.usedBytes -= size;
    if (this.freeBytes + size > this.maxFreeBytes) {
      this.onDestroy(buf);
      return;
    }
    let list = this.free.get(size);
    if (list === undefined) this.free.set(size, (list = []));
    list.push(buf);
    this.freeBytes += size;
  }

  /** Buffers held for reuse and their bytes; `usedBytes`: handed out (`peakBytes`: its high-water mark); `created`: GPUBuffers created so far. */
  stats(): { buffers: number; bytes: number; usedBytes: number; peakBytes: number; created: number } {
    let buffers = 0;
    for (const l of this.free.values()) buffers += l.length;
    return { buffers, bytes: this.freeBytes, usedBytes: this.usedBytes, peakBytes: this.peakBytes, created: this.created };
  }

  /** Destroy every pooled buffer. */
  clear(): void {
    for (const l of this.free.values()) for (const b of l) b.destroy();
    this.free.clear();
    this.freeBytes = 0;
  }
}
