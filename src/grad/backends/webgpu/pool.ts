/**
 * A pool of GPU storage buffers by size class, so that the many short-lived tensors of a training step reuse
 * a few allocations instead of creating and destroying a GPUBuffer each.
 *
 * Reusing a released buffer at once is safe: WebGPU runs queue operations (writeBuffer, submit) in call order,
 * so the commands already submitted that read the buffer run before any later write into it.
 */

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
  private created = 0;

  /** @param maxFreeBytes released buffers beyond this many bytes are destroyed instead of kept */
  constructor(
    private readonly device: GPUDevice,
    private readonly usage: GPUBufferUsageFlags,
    private readonly maxFreeBytes = 256 * 2 ** 20,
  ) {}

  /** A buffer of at least `bytes` bytes (its contents are whatever the last user left). */
  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    const list = this.free.get(size);
    const reused = list?.pop();
    if (reused !== undefined) {
      this.freeBytes -= size;
      return reused;
    }
    this.created++;
    return this.device.createBuffer({ size, usage: this.usage });
  }

  release(buf: GPUBuffer): void {
    const size = buf.size;
    if (this.freeBytes + size > this.maxFreeBytes) {
      buf.destroy();
      return;
    }
    let list = this.free.get(size);
    if (list === undefined) this.free.set(size, (list = []));
    list.push(buf);
    this.freeBytes += size;
  }

  /** Buffers held for reuse and their bytes; `created`: GPUBuffers created so far (reuse keeps it flat). */
  stats(): { buffers: number; bytes: number; created: number } {
    let buffers = 0;
    for (const l of this.free.values()) buffers += l.length;
    return { buffers, bytes: this.freeBytes, created: this.created };
  }

  /** Destroy every pooled buffer. */
  clear(): void {
    for (const l of this.free.values()) for (const b of l) b.destroy();
    this.free.clear();
    this.freeBytes = 0;
  }
}
