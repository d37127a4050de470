/**
 * The WebAssembly backend's heap: one `WebAssembly.Memory` (shared between the pool's threads where there are
 * threads) carved by our own allocator. Blocks are 64-byte aligned and sized in whole 64-byte lines, so every
 * buffer ends in padding a kernel may run a whole vector into. Free blocks are kept by start and by end and
 * coalesced with their neighbours on free; an allocation takes the smallest free block that fits (splitting it),
 * else bumps the top, growing the memory when needed.
 */

const PAGE = 65536;
const ALIGN = 64;
/** The first 64 KiB belong to the kernel module itself (static data). */
const HEAP_BASE = 65536;
export const MAX_PAGES = 32768;

export class Heap {
  private top = HEAP_BASE;
  private readonly sizes = new Map<number, number>();
  private readonly freeByStart = new Map<number, number>();
  private readonly freeByEnd = new Map<number, number>();
  private view = new Float32Array(0);
  private iview = new Int32Array(0);

  constructor(readonly memory: WebAssembly.Memory) {}

  /** Bytes of a block holding `floats` float32 elements (at least one line, whole lines). */
  static blockBytes(floats: number): number {
    return Math.max(ALIGN, Math.ceil((floats * 4) / ALIGN) * ALIGN);
  }

  /** A block of at least `bytes` (rounded up to whole lines); returns its byte address. */
  alloc(bytes: number): number {
    const need = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let best = -1;
    let bestSize = Infinity;
    for (const [start, size] of this.freeByStart) {
      if (size >= need && size < bestSize) {
        best = start;
        bestSize = size;
        if (size === need) break;
      }
    }
    if (best >= 0) {
      this.freeByStart.delete(best);
      this.freeByEnd.delete(best + bestSize);
      if (bestSize > need) this.addFree(best + need, bestSize - need);
      this.sizes.set(best, need);
      return best;
    }
    const at = this.top;
    const end = at + need;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      // NOTE: grow by at least a quarter of what there is, so a growing workload does not grow page by page.
      const want = Math.max(pages, Math.ceil(have / PAGE / 4));
      const cur = have / PAGE;
      const grant = Math.min(want, MAX_PAGES - cur);
      if (grant < pages) throw new Error(`WasmBackend: out of memory (${(end / 2 ** 20).toFixed(0)} MiB needed, at most ${MAX_PAGES / 16} MiB)`);
      this.memory.grow(grant);
    }
    this.top = end;
    this.sizes.set(at, need);
    return at;
  }

  /** Return a block; merges it with free neighbours and with the top. */
  free(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`WasmBackend: free of an unknown block ${ptr}`);
    this.sizes.delete(ptr);
    let start = ptr;
    let len = size;
    const before = this.freeByEnd.get(start);
    if (before !== undefined) {
      const bs = this.freeByStart.get(before)!;
      this.freeByStart.delete(before);
      this.freeByEnd.delete(start);
      start = before;
      len += bs;
    }
    const afterSize = this.freeByStart.get(start + len);
    if (afterSize !== undefined) {
      this.freeByStart.delete(start + len);
      this.freeByEnd.delete(start + len + afterSize);
      len += afterSize;
    }
    if (start + len === this.top) this.top = start;
    else this.addFree(start, len);
  }

  private addFree(start: number, len: number): void {
    this.freeByStart.set(start, len);
    this.freeByEnd.set(start + len, start);
  }

  /** Blocks in use. */
  get liveBlocks(): number {
    return this.sizes.size;
  }
  /** Bytes in use, free inside the heap, and the heap's extent (for tests and diagnostics). */
  stats(): { used: number; free: number; top: number; memory: number } {
    let used = 0;
    for (const s of this.sizes.values()) used += s;
    let free = 0;
    for (const s of this.freeByStart.values()) free += s;
    return { used, free, top: this.top, memory: this.memory.buffer.byteLength };
  }

  /** A float32 view of the whole memory (re-made after the memory grew). */
  f32(): Float32Array {
    // NOTE: a grown private memory detaches the old buffer (length 0), a grown shared one is longer: either way the length differs.
    if (this.view.byteLength !== this.memory.buffer.byteLength) this.view = new Float32Array(this.memory.buffer);
    return this.view;
  }
  i32(): Int32Array {
    if (this.iview.byteLength !== this.memory.buffer.byteLength) this.iview = new Int32Array(this.memory.buffer);
    return this.iview;
  }
}
