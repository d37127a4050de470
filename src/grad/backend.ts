/**
 * The device interface of the autograd engine: a small, primitive-level set of kernels over opaque buffers.
 *
 * One file per device implements it (`backends/js.ts`, `backends/webgpu.ts`). Every tensor op in
 * `ops/` is built from these primitives, so a new backend gets forward AND backward of every op for free.
 *
 * Conventions a backend author can rely on:
 * - Every buffer holds `size` float elements (float32 on devices; the CPU backend may run in float64 for tests).
 * - Every primitive returns a NEW buffer that the caller owns, except `writeInto` (in place into `dst`).
 * - Shapes are plain row-major; a `View` adds strides (0 = broadcast) and an element offset over a buffer.
 * - Index arrays (`gather`, `scatterAdd`) arrive as host Int32Arrays; a GPU backend uploads them itself.
 * - Readback is async (`read`); `readSync` exists only where the device allows it (CPU).
 */

/** An opaque device buffer; backends keep their own data behind it. */
export interface DeviceBuffer {
  /** Number of float elements. */
  readonly size: number;
}

/** A strided window over a buffer (strides in elements; 0 broadcasts that axis). */
export interface View {
  readonly buf: DeviceBuffer;
  readonly strides: readonly number[];
  readonly offset: number;
}

/** Elementwise functions of one input. `step` is x > 0 ? 1 : 0 (no gradient). */
export type UnaryOp = 'neg' | 'exp' | 'log' | 'tanh' | 'erf' | 'sqrt' | 'recip' | 'relu' | 'step' | 'sigmoid' | 'square';

/** Elementwise functions of two broadcast inputs. `eq` is a == b ? 1 : 0 (no gradient). */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'eq';

/** Reductions over the middle axis of a [outer, n, inner] layout. */
export type ReduceOp = 'sum' | 'max';

/** C[b] = op(A[b]) · op(B[b]); op(A) is m×k, op(B) is k×n; C is contiguous [batch, m, n]. */
export interface MatmulDesc {
  batch: number;
  m: number;
  n: number;
  k: number;
  /** A is stored k×m (per batch) and read transposed. */
  transA: boolean;
  /** B is stored n×k (per batch) and read transposed. */
  transB: boolean;
  /** Elements between consecutive batches of A / B; 0 broadcasts one matrix over the batch. */
  aBatchStride: number;
  bBatchStride: number;
}

export interface Backend {
  readonly name: string;

  /** A new buffer of `size` elements, all `value`. */
  fill(size: number, value: number): DeviceBuffer;
  /** A new buffer holding a copy of `data`. */
  upload(data: Float32Array | Float64Array): DeviceBuffer;
  /** Copy a buffer back to the host. */
  read(buf: DeviceBuffer): Promise<Float32Array>;
  /** Synchronous readback in the backend's own precision, where the device allows it. */
  readSync?(buf: DeviceBuffer): Float32Array | Float64Array;
  /** Release a buffer; using it afterwards is an error. */
  dispose(buf: DeviceBuffer): void;
  /** Buffers allocated and not yet disposed (leak checks). */
  liveBuffers(): number;
  /** Release everything the backend holds (a GPU device and its pooled buffers); unusable afterwards. */
  destroy?(): void;

  /** out[i] = op(x[i]) over a contiguous buffer. */
  unary(op: UnaryOp, x: DeviceBuffer): DeviceBuffer;
  /** out[i] = x[i] * scale + shift. */
  affine(x: DeviceBuffer, scale: number, shift: number): DeviceBuffer;
  /** out = op(a, b) over `shape` (contiguous), reading a and b through broadcasting views. */
  binary(op: BinaryOp, a: View, b: View, shape: readonly number[]): DeviceBuffer;
  /** x viewed as [outer, n, inner] → out [outer, inner]. */
  reduce(op: ReduceOp, x: DeviceBuffer, outer: number, n: number, inner: number): DeviceBuffer;
  /** Materialise a strided view of `shape` into a new contiguous buffer (permute, slice, expand). */
  copy(src: View, shape: readonly number[]): DeviceBuffer;
  /** In place: write contiguous `src` of `shape` into the strided window `dst` (concat, slice backward). */
  writeInto(dst: View, shape: readonly number[], src: DeviceBuffer): void;
  /** Batched matrix product, see MatmulDesc. */
  matmul(a: DeviceBuffer, b: DeviceBuffer, desc: MatmulDesc): DeviceBuffer;
  /** out[i, :] = table[idx[i], :] with rows of `rowSize`; an index out of range throws. */
  gather(table: DeviceBuffer, rowSize: number, idx: Int32Array): DeviceBuffer;
  /** out = zeros(numRows, rowSize); out[idx[i], :] += src[i, :] (the backward of gather). */
  scatterAdd(src: DeviceBuffer, rowSize: number, idx: Int32Array, numRows: number): DeviceBuffer;

  // Fused kernels (optional): ops use them when present and fall back to the composed primitives otherwise;
  // each is tested equal to its composed form.
  /** softmax over each contiguous row: x viewed as [rows, n]. */
  softmaxRows?(x: DeviceBuffer, rows: number, n: number): DeviceBuffer;
  /** Each contiguous row of n standardised, y = (x − mean)·rstd with rstd = 1/√(biased var + eps); also rstd per row. */
  normalizeRows?(x: DeviceBuffer, rows: number, n: number, eps: number): { y: DeviceBuffer; rstd: DeviceBuffer };
  /**
   * Sparse × dense, out [rows, n]: out[r, :] = Σ_{i ∈ [ptr[r], ptr[r+1])} values[i] · x[idx[i], :] with
   * rows = ptr.length − 1 (host arrays, checked by the caller: ops/sparse.ts).
   */
  sparseMatmul?(ptr: Int32Array, idx: Int32Array, values: Float32Array, x: DeviceBuffer, n: number): DeviceBuffer;
  /**
   * A dropout mask of `size`: element i is `keep` where the (i+1)-th SplitMix64 uniform after the 64-bit state
   * (hi, lo) is ≥ p, else 0 — the values of `Rng.uniform() >= p ? keep : 0` drawn in order (see ../rng.ts).
   */
  dropoutMask?(size: number, p: number, keep: number, hi: number, lo: number): DeviceBuffer;
  /** GELU (erf form) of a contiguous buffer, the same float32 operations as the composed form, in one pass. */
  gelu?(x: DeviceBuffer): DeviceBuffer;
  /** Its backward: dx for the upstream gradient g (same size as x), as the composed form's rules compute it. */
  geluGrad?(x: DeviceBuffer, g: DeviceBuffer): DeviceBuffer;
}

/** Product of a shape's dimensions (1 for a scalar). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major contiguous strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}
