/**
 * The WebAssembly backend: our AssemblyScript kernels (kernels/*.ts, SIMD128, relaxed-SIMD FMA where the engine
 * has it) over buffers in one WebAssembly.Memory, optionally on a pool of threads sharing it.
 *
 *   const be = await createWasmBackend({ threads: 2 });   // 1 where threads are not allowed (see pool.ts)
 *
 * Work is split so that every output element is computed by exactly one thread, with the same operations in the
 * same order whatever the split: results are byte-identical on 1 and N threads.
 */
import { sizeOf, stridesOf, type Backend, type BinaryOp, type DeviceBuffer, type MatmulDesc, type ReduceOp, type UnaryOp, type View } from '../../backend';
import * as binaries from './kernels.gen.js';
import { Heap, MAX_PAGES } from './memory';
import { CTRL_BYTES, MAX_CHUNKS, Pool, threadsAllowed, type Kernel } from './pool';

const UNARY: UnaryOp[] = ['neg', 'exp', 'log', 'tanh', 'erf', 'sqrt', 'recip', 'relu', 'step', 'sigmoid', 'square'];
const BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'eq'];
/** Below this many elements (or multiply-adds for matmul) one thread does the whole op: waking the pool costs more. */
const PARALLEL_MIN = 1 << 15;
const MR = 6;
const NR = 8;
/** Chunks per thread: elementwise ops and rows split finer (balance), matmul coarser (each chunk packs its panels). */
const CHUNKS = 4;
const MATMUL_CHUNKS = 2;

/** A module with one f32x4.relaxed_madd: does this engine have relaxed SIMD? */
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x3d, 0x01, 0x3b, 0x00,
  ...[0, 1, 2].flatMap(() => [0xfd, 0x0c, ...new Array<number>(16).fill(0)]),
  0xfd, 0x85, 0x02, 0x0b,
]);
export const hasRelaxedSimd = (): boolean => WebAssembly.validate(RELAXED_PROBE);

function decode(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

class WasmBuffer implements DeviceBuffer {
  constructor(public ptr: number, readonly size: number) {}
}

export interface WasmBackendOptions {
  /** Threads including the caller (default: the cores, up to 4); 1 where threads are not allowed. */
  threads?: number;
  /** Force the plain SIMD128 kernels even where relaxed SIMD exists (tests). */
  relaxed?: boolean;
  /** Ops with less work than this run on one thread (default 32768; 0 splits every op: tests of the split). */
  parallelMin?: number;
}

export async function createWasmBackend(opts: WasmBackendOptions = {}): Promise<WasmBackend> {
  const hc = typeof navigator !== 'undefined' && navigator.hardwareConcurrency > 0 ? navigator.hardwareConcurrency : 2;
  const want = Math.max(1, Math.floor(opts.threads ?? Math.min(4, hc)));
  const threads = threadsAllowed() ? want : 1;
  const relaxed = (opts.relaxed ?? true) && hasRelaxedSimd();
  const shared = threads > 1;
  const bytes = decode(shared ? (relaxed ? binaries.relaxedShared : binaries.simdShared) : relaxed ? binaries.relaxed : binaries.simd);
  const module = await WebAssembly.compile(bytes);
  const memory = new WebAssembly.Memory({ initial: 256, maximum: MAX_PAGES, shared });
  const instance = await WebAssembly.instantiate(module, { env: { memory, abort: () => { throw new Error('wasm abort'); } } });
  const heap = new Heap(memory);
  const ctrl = heap.alloc(CTRL_BYTES);
  new Int32Array(memory.buffer, ctrl, CTRL_BYTES / 4).fill(0);
  let pool: Pool;
  try {
    pool = await Pool.create(threads, module, instance, memory, ctrl);
  } catch (e) {
    // NOTE: workers that cannot start (a CSP without worker-src, no Worker) leave one thread, not a broken backend
    console.warn(`WasmBackend: ${threads} threads could not start (${(e as Error).message}); running on 1`);
    pool = await Pool.create(1, module, instance, memory, ctrl);
  }
  const scratchBytes = (instance.exports.scratchBytes as () => number)();
  // matmul packing scratch: one per chunk (a chunk may run on any thread)
  const scratch = pool.threads === 1 ? [heap.alloc(scratchBytes)] : Array.from({ length: MATMUL_CHUNKS * pool.threads }, () => heap.alloc(scratchBytes));
  return new WasmBackend(heap, pool, scratch, relaxed, opts.parallelMin ?? PARALLEL_MIN);
}

const shared = new Map<number | undefined, Promise<WasmBackend>>();
/**
 * One backend per thread count for the whole context (the engine's jobs share it): its workers and memory are
 * made once. Buffers stay owned by whoever made them, as with any backend.
 */
export function sharedWasmBackend(threads?: number): Promise<WasmBackend> {
  let p = shared.get(threads);
  if (p === undefined) {
    p = createWasmBackend({ threads });
    p.catch(() => shared.delete(threads));
    shared.set(threads, p);
  }
  return p;
}

/** [start, end) of part t of `total` split into `parts`, boundaries multiples of `align`. */
function part(total: number, parts: number, t: number, align: number): [number, number] {
  const chunk = Math.ceil(total / parts / align) * align;
  return [Math.min(total, t * chunk), Math.min(total, (t + 1) * chunk)];
}

export class WasmBackend implements Backend {
  readonly name: string;
  readonly threads: number;
  private live = 0;
  private readonly meta: number;

  constructor(private readonly heap: Heap, private readonly pool: Pool, private readonly scratch: number[], readonly relaxed: boolean, private readonly parallelMin: number) {
    this.threads = pool.threads;
    this.name = `wasm-${relaxed ? 'relaxed-simd' : 'simd'}-${pool.threads}t`;
    this.meta = heap.alloc(4096);
  }

  private alloc(size: number): WasmBuffer {
    this.live++;
    return new WasmBuffer(this.heap.alloc(Heap.blockBytes(size)), size);
  }
  private ptr(b: DeviceBuffer): number {
    const p = (b as WasmBuffer).ptr;
    if (p < 0) throw new Error('WasmBackend: buffer used after dispose');
    return p;
  }
  /** Run `kernel` in as many chunks as `work` deserves, args of chunk t from `job(t, parts)` (null: empty). */
  private par(kernel: Kernel, work: number, job: (t: number, parts: number) => number[] | null, perThread = CHUNKS): void {
    const parts = work >= this.parallelMin && this.threads > 1 ? Math.min(MAX_CHUNKS, this.threads * perThread) : 1;
    const jobs: number[][] = [];
    for (let t = 0; t < parts; t++) {
      const j = job(t, parts);
      if (j !== null) jobs.push(j);
    }
    if (jobs.length > 0) this.pool.run(kernel, jobs);
  }
  private range(kernel: Kernel, total: number, align: number, args: (s: number, e: number) => number[], work = total): void {
    this.par(kernel, work, (t, parts) => {
      const [s, e] = part(total, parts, t, align);
      return s < e ? args(s, e) : null;
    });
  }
  /** Elements of a buffer rounded up to whole vectors (the padding every block has). */
  private static vec(size: number): number {
    return Math.ceil(size / 4) * 4;
  }

  fill(size: number, value: number): DeviceBuffer {
    const o = this.alloc(size);
    this.range('fill', WasmBackend.vec(size), 4, (s, e) => [o.ptr, value, s, e]);
    return o;
  }
  upload(data: Float32Array | Float64Array): DeviceBuffer {
    const o = this.alloc(data.length);
    this.heap.f32().set(data, o.ptr >> 2);
    return o;
  }
  read(buf: DeviceBuffer): Promise<Float32Array> {
    return Promise.resolve(this.readSync(buf));
  }
  /** A copy (the block is reused once disposed). */
  readSync(buf: DeviceBuffer): Float32Array {
    const p = this.ptr(buf) >> 2;
    return this.heap.f32().slice(p, p + buf.size);
  }
  dispose(buf: DeviceBuffer): void {
    const b = buf as WasmBuffer;
    if (b.ptr < 0) return;
    this.heap.free(b.ptr);
    b.ptr = -1;
    this.live--;
  }
  liveBuffers(): number {
    return this.live;
  }
  /** Heap statistics (bytes): for leak tests and diagnostics. */
  memoryStats(): ReturnType<Heap['stats']> {
    return this.heap.stats();
  }
  /** Stop the pool's workers; the backend is unusable afterwards. */
  close(): void {
    this.pool.close();
  }

  unary(op: UnaryOp, x: DeviceBuffer): DeviceBuffer {
    const code = UNARY.indexOf(op);
    if (code < 0) throw new Error(`unknown unary op ${String(op)}`);
    const xp = this.ptr(x);
    const o = this.alloc(x.size);
    // transcendental ops are ~20× an add: worth threads sooner
    const work = code >= 1 && code <= 4 ? x.size * 16 : code === 9 ? x.size * 16 : x.size;
    this.range('unary', WasmBackend.vec(x.size), 4, (s, e) => [code, xp, o.ptr, s, e], work);
    return o;
  }

  affine(x: DeviceBuffer, scale: number, shift: number): DeviceBuffer {
    const xp = this.ptr(x);
    const o = this.alloc(x.size);
    this.range('affine', WasmBackend.vec(x.size), 4, (s, e) => [xp, o.ptr, scale, shift, s, e]);
    return o;
  }

  /** Writes shape, two stride lists and two offsets (i32) into the meta block; returns the rank used (≥ 1). */
  private writeMeta(shape: readonly number[], s1: readonly number[], s2: readonly number[], o1: number, o2: number): number {
    const r = Math.max(1, shape.length);
    if (3 * r + 2 > 1024) throw new Error(`WasmBackend: rank ${r} too high`);
    const m = this.heap.i32();
    const b = this.meta >> 2;
    for (let i = 0; i < r; i++) {
      const scalar = shape.length === 0;
      m[b + i] = scalar ? 1 : shape[i];
      m[b + r + i] = scalar ? 0 : s1[i];
      m[b + 2 * r + i] = scalar ? 0 : s2[i];
    }
    m[b + 3 * r] = o1;
    m[b + 3 * r + 1] = o2;
    return r;
  }

  binary(op: BinaryOp, a: View, b: View, shape: readonly number[]): DeviceBuffer {
    const code = BINARY.indexOf(op);
    if (code < 0) throw new Error(`unknown binary op ${String(op)}`);
    const size = sizeOf(shape);
    const o = this.alloc(size);
    if (size === 0) return o;
    const ap = this.ptr(a.buf);
    const bp = this.ptr(b.buf);
    const rank = this.writeMeta(shape, a.strides, b.strides, a.offset, b.offset);
    const n = shape.length === 0 ? 1 : shape[shape.length - 1];
    const rows = size / n;
    this.range('binary', rows, 1, (s, e) => [code, ap, bp, o.ptr, this.meta, rank, s, e], size);
    return o;
  }

  reduce(op: ReduceOp, x: DeviceBuffer, outer: number, n: number, inner: number): DeviceBuffer {
    const xp = this.ptr(x);
    const o = this.alloc(outer * inner);
    const code = op === 'sum' ? 0 : 1;
    if (outer * inner === 0) return o;
    const work = outer * n * inner;
    if (outer >= this.threads || inner < 4 * this.threads) this.range('reduce', outer, 1, (s, e) => [code, xp, o.ptr, outer, n, inner, s, e, 0, inner], work);
    else this.range('reduce', inner, 4, (s, e) => [code, xp, o.ptr, outer, n, inner, 0, outer, s, e], work);
    return o;
  }

  softmaxRows(x: DeviceBuffer, rows: number, n: number): DeviceBuffer {
    const xp = this.ptr(x);
    const o = this.alloc(rows * n);
    this.range('softmaxRows', rows, 1, (s, e) => [xp, o.ptr, n, s, e], rows * n * 8);
    return o;
  }

  normalizeRows(x: DeviceBuffer, rows: number, n: number, eps: number): { y: DeviceBuffer; rstd: DeviceBuffer } {
    const xp = this.ptr(x);
    const y = this.alloc(rows * n);
    const rstd = this.alloc(rows);
    this.range('normalizeRows', rows, 1, (s, e) => [xp, y.ptr, rstd.ptr, n, eps, s, e], rows * n * 4);
    return { y, rstd };
  }

  gelu(x: DeviceBuffer): DeviceBuffer {
    const xp = this.ptr(x);
    const o = this.alloc(x.size);
    this.range('gelu', WasmBackend.vec(x.size), 4, (s, e) => [xp, o.ptr, Math.SQRT1_2, s, e], x.size * 16);
    return o;
  }

  geluGrad(x: DeviceBuffer, g: DeviceBuffer): DeviceBuffer {
    if (g.size !== x.size) throw new Error(`geluGrad: gradient of ${g.size} for ${x.size} elements`);
    const xp = this.ptr(x);
    const gp = this.ptr(g);
    const o = this.alloc(x.size);
    this.range('geluGrad', WasmBackend.vec(x.size), 4, (s, e) => [xp, gp, o.ptr, Math.SQRT1_2, 2 / Math.sqrt(Math.PI), s, e], x.size * 32);
    return o;
  }

  dropoutMask(size: number, p: number, keep: number, hi: number, lo: number): DeviceBuffer {
    const o = this.alloc(size);
    // ~10 integer operations per element: worth threads sooner than an add
    this.range('dropoutMask', size, 4, (s, e) => [o.ptr, hi | 0, lo | 0, p, keep, s, e], size * 8);
    return o;
  }

  private stridedCopy(src: number, ss: readonly number[], sOff: number, dst: number, ds: readonly number[], dOff: number, shape: readonly number[]): void {
    const size = sizeOf(shape);
    if (size === 0) return;
    const rank = this.writeMeta(shape, ss, ds, sOff, dOff);
    const n = shape.length === 0 ? 1 : shape[shape.length - 1];
    this.range('strided', size / n, 1, (s, e) => [src, dst, this.meta, rank, s, e], size);
  }

  copy(src: View, shape: readonly number[]): DeviceBuffer {
    const o = this.alloc(sizeOf(shape));
    this.stridedCopy(this.ptr(src.buf), src.strides, src.offset, o.ptr, stridesOf(shape), 0, shape);
    return o;
  }

  writeInto(dst: View, shape: readonly number[], src: DeviceBuffer): void {
    this.stridedCopy(this.ptr(src), stridesOf(shape), 0, this.ptr(dst.buf), dst.strides, dst.offset, shape);
  }

  matmul(a: DeviceBuffer, b: DeviceBuffer, d: MatmulDesc): DeviceBuffer {
    const { batch, m, n, k } = d;
    const ap = this.ptr(a);
    const bp = this.ptr(b);
    const o = this.alloc(batch * m * n);
    if (batch * m * n === 0) return o;
    const [ars, acs] = d.transA ? [1, m] : [k, 1];
    const [brs, bcs] = d.transB ? [1, k] : [n, 1];
    const args = (q0: number, q1: number, i0: number, i1: number, j0: number, j1: number, t: number): number[] => [
      ap + 4 * q0 * d.aBatchStride, bp + 4 * q0 * d.bBatchStride, o.ptr + 4 * q0 * m * n, q1 - q0, m, n, k, ars, acs, brs, bcs, d.aBatchStride, d.bBatchStride, i0, i1, j0, j1, this.scratch[t],
    ];
    const work = batch * m * n * Math.max(k, 1);
    const byRows = Math.ceil(m / MR) >= Math.ceil(n / NR);
    this.par('matmul', work / 16, (t, parts) => {
      // many small products (attention): whole products per chunk; else rows or columns of each product
      if (batch >= parts) {
        const [s, e] = part(batch, parts, t, 1);
        return s < e ? args(s, e, 0, m, 0, n, t) : null;
      }
      const [s, e] = part(byRows ? m : n, parts, t, byRows ? MR : NR);
      if (s >= e) return null;
      return byRows ? args(0, batch, s, e, 0, n, t) : args(0, batch, 0, m, s, e, t);
    }, MATMUL_CHUNKS);
    return o;
  }

  gather(table: DeviceBuffer, rowSize: number, idx: Int32Array): DeviceBuffer {
    const tp = this.ptr(table);
    const rows = table.size / rowSize;
    checkIndices('gather', idx, rows);
    const o = this.alloc(idx.length * rowSize);
    if (idx.length === 0 || rowSize === 0) return o;
    const ip = this.heap.alloc(idx.length * 4);
    try {
      this.heap.i32().set(idx, ip >> 2);
      this.range('gather', idx.length, 1, (s, e) => [tp, o.ptr, ip, rowSize, s, e], idx.length * rowSize);
    } finally {
      this.heap.free(ip);
    }
    return o;
  }

  scatterAdd(src: DeviceBuffer, rowSize: number, idx: Int32Array, numRows: number): DeviceBuffer {
    const sp = this.ptr(src);
    checkIndices('scatterAdd', idx, numRows);
    const o = this.alloc(numRows * rowSize);
    this.range('fill', WasmBackend.vec(numRows * rowSize), 4, (s, e) => [o.ptr, 0, s, e]);
    if (idx.length === 0 || rowSize === 0) return o;
    const ip = this.heap.alloc(idx.length * 4);
    try {
      this.heap.i32().set(idx, ip >> 2);
      this.range('scatterAdd', rowSize, 4, (s, e) => [sp, o.ptr, ip, idx.length, rowSize, s, e], idx.length * rowSize);
    } finally {
      this.heap.free(ip);
    }
    return o;
  }
}

function checkIndices(op: string, idx: Int32Array, rows: number): void {
  for (let i = 0; i < idx.length; i++) if (idx[i] < 0 || idx[i] >= rows) throw new Error(`${op}: index ${idx[i]} out of range [0, ${rows})`);
}
