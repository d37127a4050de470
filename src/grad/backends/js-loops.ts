/** The JavaScript backend's loops (see ./js): erf, strided copies, broadcasting rows and a blocked GEMM. */
import { sizeOf, type BinaryOp, type View } from '../backend';
export type FloatArray = Float32Array | Float64Array;

/** erf by Abramowitz–Stegun 7.1.26 is only 1e-7 accurate; use a series/continued fraction good to ~1e-15. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: erf x = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  if (ax > 6) return x < 0 ? -1 : 1;
  // erfc by continued fraction (Lentz), converges fast for |x| ≥ 2.5
  let f = ax;
  let c = ax;
  let d = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    d = ax + an * d;
    d = d === 0 ? 1e-300 : 1 / d;
    c = ax + an / c;
    if (c === 0) c = 1e-300;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / (f * Math.sqrt(Math.PI));
  return x < 0 ? erfc - 1 : 1 - erfc;
}

export function checkIndices(op: string, idx: Int32Array, rows: number): void {
  for (let i = 0; i < idx.length; i++) if (idx[i] < 0 || idx[i] >= rows) throw new Error(`${op}: index ${idx[i]} out of range [0, ${rows})`);
}

export function isContiguous(v: View, shape: readonly number[]): boolean {
  if (v.offset !== 0) return false;
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && v.strides[i] !== acc) return false;
    acc *= shape[i];
  }
  return true;
}

export function binaryRow(op: BinaryOp, a: FloatArray, ao: number, as: number, b: FloatArray, bo: number, bs: number, o: FloatArray, oo: number, n: number): void {
  switch (op) {
    case 'add': for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as] + b[bo + i * bs]; break;
    case 'sub': for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as] - b[bo + i * bs]; break;
    case 'mul': for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as] * b[bo + i * bs]; break;
    case 'div': for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as] / b[bo + i * bs]; break;
    case 'eq': for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as] === b[bo + i * bs] ? 1 : 0; break;
    default: op satisfies never; throw new Error(`unknown binary op ${String(op)}`);
  }
}

export function contiguous(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}

/** dst[dOff + Σ i·dStride] = src[sOff + Σ i·sStride] over `shape`, innermost axis as a tight loop. */
export function stridedCopy(src: FloatArray, sOff: number, ss: readonly number[], dst: FloatArray, dOff: number, ds: readonly number[], shape: readonly number[]): void {
  const r = shape.length;
  const size = sizeOf(shape);
  if (size === 0) return;
  if (r === 0) { dst[dOff] = src[sOff]; return; }
  const n = shape[r - 1];
  const sIn = ss[r - 1];
  const dIn = ds[r - 1];
  const idx = new Array<number>(r - 1).fill(0);
  let so = sOff;
  let dO = dOff;
  for (let done = 0; done < size; done += n) {
    if (sIn === 1 && dIn === 1) dst.set(src.subarray(so, so + n), dO);
    else for (let i = 0; i < n; i++) dst[dO + i * dIn] = src[so + i * sIn];
    for (let ax = r - 2; ax >= 0; ax--) {
      idx[ax]++;
      so += ss[ax];
      dO += ds[ax];
      if (idx[ax] < shape[ax]) break;
      so -= ss[ax] * shape[ax];
      dO -= ds[ax] * shape[ax];
      idx[ax] = 0;
    }
  }
}

/** dst (cols×rows, contiguous) = transpose of src (rows×cols at offset). */
export function transposeInto(src: FloatArray, off: number, rows: number, cols: number, dst: FloatArray): void {
  for (let r = 0; r < rows; r++) {
    const so = off + r * cols;
    for (let c = 0; c < cols; c++) dst[c * rows + r] = src[so + c];
  }
}

const KC = 128;
const NC = 512;

/**
 * C[m×n] += A[m×k] · B[k×n], all row-major contiguous. i-k-j order (contiguous inner loop over a row of B), blocked
 * over k and j so a panel of B stays in cache, with a 4-row × 2-k register block: each B element loaded feeds 8
 * multiply-adds. NOTE: ~1.5-2× the plain i-k-j loop in V8 on the shapes of a LoRA step.
 */
export function gemm(A: FloatArray, aOff: number, B: FloatArray, bOff: number, C: FloatArray, cOff: number, m: number, n: number, k: number): void {
  for (let j0 = 0; j0 < n; j0 += NC) {
    const j1 = Math.min(n, j0 + NC);
    for (let k0 = 0; k0 < k; k0 += KC) {
      const k1 = Math.min(k, k0 + KC);
      let i = 0;
      for (; i + 3 < m; i += 4) {
        const c0 = cOff + i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
        const r0 = aOff + i * k, r1 = r0 + k, r2 = r1 + k, r3 = r2 + k;
        let p = k0;
        for (; p + 1 < k1; p += 2) {
          const x0 = A[r0 + p], x1 = A[r0 + p + 1], y0 = A[r1 + p], y1 = A[r1 + p + 1];
          const z0 = A[r2 + p], z1 = A[r2 + p + 1], w0 = A[r3 + p], w1 = A[r3 + p + 1];
          const b0 = bOff + p * n, b1 = b0 + n;
          for (let j = j0; j < j1; j++) {
            const u0 = B[b0 + j], u1 = B[b1 + j];
            C[c0 + j] += x0 * u0 + x1 * u1;
            C[c1 + j] += y0 * u0 + y1 * u1;
            C[c2 + j] += z0 * u0 + z1 * u1;
            C[c3 + j] += w0 * u0 + w1 * u1;
          }
        }
        for (; p < k1; p++) {
          const x0 = A[r0 + p], y0 = A[r1 + p], z0 = A[r2 + p], w0 = A[r3 + p];
          const b0 = bOff + p * n;
          for (let j = j0; j < j1; j++) {
            const u = B[b0 + j];
            C[c0 + j] += x0 * u;
            C[c1 + j] += y0 * u;
            C[c2 + j] += z0 * u;
            C[c3 + j] += w0 * u;
          }
        }
      }
      for (; i < m; i++) {
        const c0 = cOff + i * n;
        const r0 = aOff + i * k;
        for (let p = k0; p < k1; p++) {
          const x0 = A[r0 + p];
          const b0 = bOff + p * n;
          for (let j = j0; j < j1; j++) C[c0 + j] += x0 * B[b0 + j];
        }
      }
    }
  }
}
