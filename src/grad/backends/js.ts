/**
 * The CPU backend: plain loops over typed arrays. It is the reference the other backends are tested against,
 * and it can run in float64 (`new JsBackend('f64')`) so that finite-difference gradient checks are exact enough.
 *
 * Hot loops: no closures, no per-element allocation; each op switches once and then runs a tight loop.
 */
import { sizeOf, type Backend, type BinaryOp, type DeviceBuffer, type MatmulDesc, type ReduceOp, type UnaryOp, type View } from '../backend';

import { binaryRow, checkIndices, contiguous, erf, gemm, isContiguous, stridedCopy, transposeInto, type FloatArray } from './js-loops';

class JsBuffer implements DeviceBuffer {
  constructor(public data: FloatArray | null) {}
  get size(): number {
    return this.live().length;
  }
  live(): FloatArray {
    if (this.data === null) throw new Error('JsBackend: buffer used after dispose');
    return this.data;
  }
}

const data = (b: DeviceBuffer): FloatArray => (b as JsBuffer).live();

export class JsBackend implements Backend {
  readonly name: string;
  private live = 0;
  private readonly f64: boolean;

  constructor(precision: 'f32' | 'f64' = 'f32') {
    this.f64 = precision === 'f64';
    this.name = `cpu-${precision}`;
  }

  /**
   * A buffer of `size` elements, zeroed only when `zero` (kernels that overwrite every element skip it).
   * NOTE: freed arrays are pooled by size and reused: allocation and GC were ~10% of a small training step.
   */
  private alloc(size: number, zero: boolean): FloatArray {
    this.live++;
    const free = this.pool.get(size);
    const reused = free?.pop();
    if (reused !== undefined) {
      this.pooled -= size;
      if (zero) reused.fill(0);
      return reused;
    }
    return this.f64 ? new Float64Array(size) : new Float32Array(size);
  }
  private readonly pool = new Map<number, FloatArray[]>();
  private pooled = 0;
  /** Upper bound on pooled elements (64 Mi: 256 MiB in f32). */
  private static readonly POOL_LIMIT = 64 * 1024 * 1024;
  private wrap(a: FloatArray): JsBuffer {
    return new JsBuffer(a);
  }

  fill(size: number, value: number): DeviceBuffer {
    const a = this.alloc(size, false);
    a.fill(value);
    return this.wrap(a);
  }
  upload(src: Float32Array | Float64Array): DeviceBuffer {
    const a = this.alloc(src.length, false);
    a.set(src);
    return this.wrap(a);
  }
  read(buf: DeviceBuffer): Promise<Float32Array> {
    return Promise.resolve(Float32Array.from(data(buf)));
  }
  /** The buffer's own array (no copy): valid until the buffer is disposed, then reused. */
  readSync(buf: DeviceBuffer): FloatArray {
    return data(buf);
  }
  dispose(buf: DeviceBuffer): void {
    const b = buf as JsBuffer;
    const a = b.data;
    if (a === null) return;
    b.data = null;
    this.live--;
    if (a.length > 0 && this.pooled + a.length <= JsBackend.POOL_LIMIT) {
      const list = this.pool.get(a.length);
      if (list === undefined) this.pool.set(a.length, [a]);
      else list.push(a);
      this.pooled += a.length;
    }
  }
  liveBuffers(): number {
    return this.live;
  }

  unary(op: UnaryOp, xb: DeviceBuffer): DeviceBuffer {
    const x = data(xb);
    const n = x.length;
    const o = this.alloc(n, false);
    switch (op) {
      case 'neg': for (let i = 0; i < n; i++) o[i] = -x[i]; break;
      case 'exp': for (let i = 0; i < n; i++) o[i] = Math.exp(x[i]); break;
      case 'log': for (let i = 0; i < n; i++) o[i] = Math.log(x[i]); break;
      case 'tanh': for (let i = 0; i < n; i++) o[i] = Math.tanh(x[i]); break;
      case 'erf': for (let i = 0; i < n; i++) o[i] = erf(x[i]); break;
      case 'sqrt': for (let i = 0; i < n; i++) o[i] = Math.sqrt(x[i]); break;
      case 'recip': for (let i = 0; i < n; i++) o[i] = 1 / x[i]; break;
      case 'relu': for (let i = 0; i < n; i++) o[i] = x[i] > 0 ? x[i] : 0; break;
      case 'step': for (let i = 0; i < n; i++) o[i] = x[i] > 0 ? 1 : 0; break;
      // NOTE: 1/(1+e^-x) overflows e^-x for x ≪ 0 to Infinity, which still gives the right 0.
      case 'sigmoid': for (let i = 0; i < n; i++) o[i] = 1 / (1 + Math.exp(-x[i])); break;
      case 'square': for (let i = 0; i < n; i++) o[i] = x[i] * x[i]; break;
      default: op satisfies never; throw new Error(`unknown unary op ${String(op)}`);
    }
    return this.wrap(o);
  }

  affine(xb: DeviceBuffer, scale: number, shift: number): DeviceBuffer {
    const x = data(xb);
    const o = this.alloc(x.length, false);
    for (let i = 0; i < x.length; i++) o[i] = x[i] * scale + shift;
    return this.wrap(o);
  }

  binary(op: BinaryOp, a: View, b: View, shape: readonly number[]): DeviceBuffer {
    const ad = data(a.buf);
    const bd = data(b.buf);
    const size = sizeOf(shape);
    const o = this.alloc(size, false);
    const r = shape.length;
    const n = r === 0 ? 1 : shape[r - 1];
    const as = r === 0 ? 0 : a.strides[r - 1];
    const bs = r === 0 ? 0 : b.strides[r - 1];
    if (isContiguous(a, shape) && isContiguous(b, shape)) {
      binaryRow(op, ad, 0, 1, bd, 0, 1, o, 0, size);
      return this.wrap(o);
    }
    const idx = new Array<number>(Math.max(r - 1, 0)).fill(0);
    let ao = a.offset;
    let bo = b.offset;
    for (let oo = 0; oo < size; oo += n) {
      binaryRow(op, ad, ao, as, bd, bo, bs, o, oo, n);
      // odometer over the outer axes
      for (let ax = r - 2; ax >= 0; ax--) {
        idx[ax]++;
        ao += a.strides[ax];
        bo += b.strides[ax];
        if (idx[ax] < shape[ax]) break;
        ao -= a.strides[ax] * shape[ax];
        bo -= b.strides[ax] * shape[ax];
        idx[ax] = 0;
      }
    }
    return this.wrap(o);
  }

  reduce(op: ReduceOp, xb: DeviceBuffer, outer: number, n: number, inner: number): DeviceBuffer {
    const x = data(xb);
    const o = this.alloc(outer * inner, op === 'sum');
    for (let p = 0; p < outer; p++) {
      const ob = p * inner;
      const xb0 = p * n * inner;
      if (op === 'max') {
        for (let i = 0; i < inner; i++) o[ob + i] = n > 0 ? x[xb0 + i] : -Infinity;
        for (let j = 1; j < n; j++) {
          const xo = xb0 + j * inner;
          for (let i = 0; i < inner; i++) if (x[xo + i] > o[ob + i]) o[ob + i] = x[xo + i];
        }
      } else {
        for (let j = 0; j < n; j++) {
          const xo = xb0 + j * inner;
          for (let i = 0; i < inner; i++) o[ob + i] += x[xo + i];
        }
      }
    }
    return this.wrap(o);
  }

  softmaxRows(xb: DeviceBuffer, rows: number, n: number): DeviceBuffer {
    const x = data(xb);
    const o = this.alloc(rows * n, false);
    for (let r = 0; r < rows; r++) {
      const b = r * n;
      let m = -Infinity;
      for (let j = 0; j < n; j++) if (x[b + j] > m) m = x[b + j];
      let total = 0;
      for (let j = 0; j < n; j++) total += o[b + j] = Math.exp(x[b + j] - m);
      for (let j = 0; j < n; j++) o[b + j] /= total;
    }
    return this.wrap(o);
  }

  normalizeRows(xb: DeviceBuffer, rows: number, n: number, eps: number): { y: DeviceBuffer; rstd: DeviceBuffer } {
    const x = data(xb);
    const y = this.alloc(rows * n, false);
    const rs = this.alloc(rows, false);
    for (let r = 0; r < rows; r++) {
      const b = r * n;
      let mean = 0;
      for (let j = 0; j < n; j++) mean += x[b + j];
      mean /= n;
      let v = 0;
      for (let j = 0; j < n; j++) v += (x[b + j] - mean) ** 2;
      const rstd = 1 / Math.sqrt(v / n + eps);
      rs[r] = rstd;
      for (let j = 0; j < n; j++) y[b + j] = (x[b + j] - mean) * rstd;
    }
    return { y: this.wrap(y), rstd: this.wrap(rs) };
  }

  copy(src: View, shape: readonly number[]): DeviceBuffer {
    const o = this.alloc(sizeOf(shape), false);
    stridedCopy(data(src.buf), src.offset, src.strides, o, 0, contiguous(shape), shape);
    return this.wrap(o);
  }

  writeInto(dst: View, shape: readonly number[], src: DeviceBuffer): void {
    stridedCopy(data(src), 0, contiguous(shape), data(dst.buf), dst.offset, dst.strides, shape);
  }

  matmul(ab: DeviceBuffer, bb: DeviceBuffer, d: MatmulDesc): DeviceBuffer {
    const A = data(ab);
    const B = data(bb);
    const { batch, m, n, k } = d;
    const C = this.alloc(batch * m * n, true);
    // NOTE: i-k-j order needs op(A) rows and op(B) rows contiguous; transposed operands are first
    // copied into contiguous scratch (O(mk + kn), small next to the O(mnk) product).
    const aT = d.transA ? new (this.f64 ? Float64Array : Float32Array)(m * k) : null;
    const bT = d.transB ? new (this.f64 ? Float64Array : Float32Array)(k * n) : null;
    for (let p = 0; p < batch; p++) {
      let a: FloatArray = A;
      let aOff = p * d.aBatchStride;
      if (aT !== null && (p === 0 || d.aBatchStride !== 0)) {
        transposeInto(A, aOff, k, m, aT);
      }
      if (aT !== null) { a = aT; aOff = 0; }
      let b: FloatArray = B;
      let bOff = p * d.bBatchStride;
      if (bT !== null && (p === 0 || d.bBatchStride !== 0)) {
        transposeInto(B, bOff, n, k, bT);
      }
      if (bT !== null) { b = bT; bOff = 0; }
      gemm(a, aOff, b, bOff, C, p * m * n, m, n, k);
    }
    return this.wrap(C);
  }

  gather(tb: DeviceBuffer, rowSize: number, idx: Int32Array): DeviceBuffer {
    const t = data(tb);
    const rows = t.length / rowSize;
    checkIndices('gather', idx, rows);
    const o = this.alloc(idx.length * rowSize, false);
    if (rowSize <= 16) {
      // NOTE: short rows (a sparse bag's [features, classes]): a subarray per row costs more than the copy.
      for (let i = 0; i < idx.length; i++) {
        const src = idx[i] * rowSize;
        const dst = i * rowSize;
        for (let j = 0; j < rowSize; j++) o[dst + j] = t[src + j];
      }
    } else {
      for (let i = 0; i < idx.length; i++) {
        const r = idx[i];
        o.set(t.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
      }
    }
    return this.wrap(o);
  }

  scatterAdd(sb: DeviceBuffer, rowSize: number, idx: Int32Array, numRows: number): DeviceBuffer {
    const s = data(sb);
    checkIndices('scatterAdd', idx, numRows);
    const o = this.alloc(numRows * rowSize, true);
    for (let i = 0; i < idx.length; i++) {
      const r = idx[i];
      const oo = r * rowSize;
      const so = i * rowSize;
      for (let j = 0; j < rowSize; j++) o[oo + j] += s[so + j];
    }
    return this.wrap(o);
  }

  sparseMatmul(ptr: Int32Array, idx: Int32Array, values: Float32Array, xb: DeviceBuffer, n: number): DeviceBuffer {
    const x = data(xb);
    checkIndices('sparseMatmul', idx, x.length / n);
    const rows = ptr.length - 1;
    const o = this.alloc(rows * n, false);
    // NOTE: one output column at a time with the sum in a register: rows are short and n small (classes), so
    // re-reading a row's entries is cheaper than a scratch accumulator per row.
    for (let r = 0; r < rows; r++) {
      const a = ptr[r];
      const b = ptr[r + 1];
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let i = a; i < b; i++) acc += values[i] * x[idx[i] * n + j];
        o[r * n + j] = acc;
      }
    }
    return this.wrap(o);
  }
}
