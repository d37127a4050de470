import { describe, expect, it } from 'vitest';
import { JsBackend } from './backends/js';
import { Tensor, backward, tidy } from './tensor';
import { mul } from './ops/elementwise';
import { sum } from './ops/broadcast';
import { sparseMatmul, sparseMatmulComposed, sparseMatrix, transposeSparse, type SparseMatrix } from './ops/sparse';
import { Rng } from './rng';
import { f64, gradCheck } from './test-utils';

/** A random sparse matrix with empty rows, unused columns and repeated columns within a row. */
function randomSparse(rows: number, cols: number, seed: number): SparseMatrix {
  const rng = new Rng(seed);
  const ptr = new Int32Array(rows + 1);
  const idx: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < rows; r++) {
    const n = r % 4 === 1 ? 0 : Math.floor(rng.uniform() * 6);
    for (let i = 0; i < n; i++) {
      idx.push(Math.floor(rng.uniform() * Math.max(1, cols - 1))); // the last column stays unused
      values.push(rng.uniform() * 4 - 2);
    }
    ptr[r + 1] = idx.length;
  }
  return sparseMatrix(ptr, Int32Array.from(idx), Float32Array.from(values), cols);
}

/** Output and gradient of L = Σ (S·x)·R by the given op. */
function run(op: typeof sparseMatmul, s: SparseMatrix, n: number, be: JsBackend, seed: number) {
  return tidy(() => {
    const x = Tensor.fromData(be, new Rng(seed).fillUniform(new Float32Array(s.cols * n), -1, 1), [s.cols, n], true);
    const y = op(s, x);
    const r = Tensor.fromData(be, new Rng(seed + 1).fillUniform(new Float32Array(y.size), -1, 1), y.shape);
    backward(sum(mul(y, r)));
    const out = [Array.from(y.dataSync()), Array.from(x.grad!.dataSync())];
    x.grad!.dispose();
    return out;
  });
}

describe('sparse × dense (sparseMatmul)', () => {
  const cases: [number, number, number][] = [[1, 1, 1], [7, 5, 2], [63, 17, 3], [65, 257, 6], [200, 40, 1]];

  it.each(cases)('the fused kernel equals gather · values · segmentSum, forward and backward: [%i, %i] × [·, %i]', (rows, cols, n) => {
    const s = randomSparse(rows, cols, rows + cols);
    const be = new JsBackend('f64');
    const composed = new JsBackend('f64');
    (composed as { sparseMatmul?: unknown }).sparseMatmul = undefined; // the op falls back to the primitives
    const [y, dx] = run(sparseMatmul, s, n, be, 5);
    const [y0, dx0] = run(sparseMatmul, s, n, composed, 5);
    const [y1, dx1] = run(sparseMatmulComposed, s, n, be, 5);
    for (const [a, b] of [[y, y0], [dx, dx0], [y0, y1], [dx0, dx1]]) {
      expect(a.length).toBe(b.length);
      a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 10));
    }
    if (cols > 1) expect(dx.slice(-n).every((v) => v === 0)).toBe(true); // the unused last column gets no gradient
    expect(be.liveBuffers()).toBe(0);
  });

  it('its backward matches central differences (f64)', () => {
    const s = randomSparse(9, 6, 3);
    const r = gradCheck((x) => sparseMatmul(s, x), [[6, 3]]);
    expect(r.checked).toBeGreaterThan(0);
    expect(f64.liveBuffers()).toBe(0);
  });

  it('the transpose holds every entry once, in row order within a column, and transposes back', () => {
    const s = randomSparse(30, 11, 8);
    const t = transposeSparse(s);
    expect([t.rows, t.cols, t.idx.length]).toEqual([11, 30, s.idx.length]);
    const dense = (m: SparseMatrix) => {
      const d = new Float64Array(m.rows * m.cols);
      for (let r = 0; r < m.rows; r++) for (let i = m.ptr[r]; i < m.ptr[r + 1]; i++) d[r * m.cols + m.idx[i]] += m.values[i];
      return d;
    };
    const a = dense(s);
    const b = dense(t);
    for (let r = 0; r < s.rows; r++) for (let c = 0; c < s.cols; c++) expect(b[c * s.rows + r]).toBe(a[r * s.cols + c]);
    for (let c = 0; c < t.rows; c++) for (let i = t.ptr[c] + 1; i < t.ptr[c + 1]; i++) expect(t.idx[i]).toBeGreaterThanOrEqual(t.idx[i - 1]);
    expect(transposeSparse(t)).toBe(s);
  });

  it('rejects a bad layout and a mismatched dense operand', () => {
    expect(() => sparseMatrix(Int32Array.from([0, 2]), Int32Array.from([0]), Float32Array.from([1]), 3)).toThrow(/ptr/);
    expect(() => sparseMatrix(Int32Array.from([0, 1]), Int32Array.from([3]), Float32Array.from([1]), 3)).toThrow(/out of range/);
    const s = randomSparse(4, 3, 1);
    expect(() => sparseMatmul(s, Tensor.zeros(f64, [4, 2]))).toThrow(/sparse times/);
  });
});
