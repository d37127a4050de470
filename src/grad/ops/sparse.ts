/**
 * Sparse × dense: a compressed-rows matrix S [rows, cols] (host arrays: entries of row r are ptr[r] .. ptr[r+1],
 * at columns idx[i] with values[i]) times a dense x [cols, n]:
 *
 *   out[r] = Σ_i values[i] · x[idx[i]]          d x = Sᵀ · dy   (the same op on the transposed matrix)
 *
 * A linear model on sparse features (a tf-idf bag) in one pass over the entries, without the [entries, n]
 * intermediates of gather · values · segmentSum. One kernel where the backend has it (`sparseMatmul`), else the
 * composed form (`sparseMatmulComposed`), which it is tested equal to.
 */
import { Tensor, recorder, type Rules } from '../tensor';
import { mul } from './elementwise';
import { gather, segmentSum } from './movement';

export interface SparseMatrix {
  rows: number;
  cols: number;
  ptr: Int32Array;
  idx: Int32Array;
  values: Float32Array;
}

/** What each op's forward saves for its backward. */
export interface SparseOps {
  /** `t`: Sᵀ */
  sparseMatmul: { t: SparseMatrix };
}

export const SPARSE_RULES: Rules<SparseOps> = {
  /** y = S·x: dx = Sᵀ·dy */
  sparseMatmul: (g, { t }) => [sparseMatmul(t, g)],
};

const record = recorder(SPARSE_RULES);

/** A sparse matrix from its compressed rows; checks the layout once (the kernels then trust it). */
export function sparseMatrix(ptr: Int32Array, idx: Int32Array, values: Float32Array, cols: number): SparseMatrix {
  const rows = ptr.length - 1;
  if (rows < 0 || ptr[0] !== 0 || ptr[rows] !== idx.length || values.length !== idx.length) throw new Error('sparseMatrix: ptr must run from 0 to the number of entries, one value per entry');
  for (let r = 0; r < rows; r++) if (ptr[r + 1] < ptr[r]) throw new Error(`sparseMatrix: ptr decreases at row ${r}`);
  for (let i = 0; i < idx.length; i++) if (idx[i] < 0 || idx[i] >= cols) throw new Error(`sparseMatrix: column ${idx[i]} out of range [0, ${cols})`);
  return { rows, cols, ptr, idx, values };
}

const transposes = new WeakMap<SparseMatrix, SparseMatrix>();

/** Sᵀ (a counting sort by column; entries of a column stay in row order). Made once per matrix. */
export function transposeSparse(s: SparseMatrix): SparseMatrix {
  const known = transposes.get(s);
  if (known) return known;
  const ptr = new Int32Array(s.cols + 1);
  for (let i = 0; i < s.idx.length; i++) ptr[s.idx[i] + 1]++;
  for (let c = 0; c < s.cols; c++) ptr[c + 1] += ptr[c];
  const next = ptr.slice(0, s.cols);
  const idx = new Int32Array(s.idx.length);
  const values = new Float32Array(s.idx.length);
  for (let r = 0; r < s.rows; r++) {
    for (let i = s.ptr[r]; i < s.ptr[r + 1]; i++) {
      const at = next[s.idx[i]]++;
      idx[at] = r;
      values[at] = s.values[i];
    }
  }
  const t = { rows: s.cols, cols: s.rows, ptr, idx, values };
  transposes.set(s, t);
  transposes.set(t, s);
  return t;
}

/** S·x, x [S.cols, n] → [S.rows, n]. */
export function sparseMatmul(s: SparseMatrix, x: Tensor): Tensor {
  if (x.rank !== 2 || x.shape[0] !== s.cols) throw new Error(`sparseMatmul: [${s.rows}, ${s.cols}] sparse times [${x.shape}]`);
  const be = x.backend;
  if (!be.sparseMatmul) return sparseMatmulComposed(s, x);
  const n = x.shape[1];
  const out = Tensor.fromBuffer(be, be.sparseMatmul(s.ptr, s.idx, s.values, x.buf, n), [s.rows, n]);
  return record('sparseMatmul', out, [x], { t: x.requiresGrad ? transposeSparse(s) : s });
}

/** S·x from primitives: gather the rows of x, scale each by its value, sum per row of S (the reference). */
export function sparseMatmulComposed(s: SparseMatrix, x: Tensor): Tensor {
  const n = x.shape[1];
  const rowOf = new Int32Array(s.idx.length);
  for (let r = 0; r < s.rows; r++) rowOf.fill(r, s.ptr[r], s.ptr[r + 1]);
  const v = new Float32Array(s.idx.length * n);
  for (let i = 0; i < s.idx.length; i++) v.fill(s.values[i], i * n, (i + 1) * n);
  // NOTE: `values` is saved by mul for its backward: the enclosing tidy() scope frees it, not this function.
  const values = Tensor.fromData(x.backend, v, [s.idx.length, n]);
  return segmentSum(mul(gather(x, s.idx, [s.idx.length]), values), rowOf, s.rows);
}
