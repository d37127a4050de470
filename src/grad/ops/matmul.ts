/** Batched matrix product with optionally transposed operands; its rules: one table keyed by op (`MatmulOps`). */
import { sizeOf } from '../backend';
import { Tensor, recorder, type Rules } from '../tensor';
import { expand, sumTo } from './broadcast';

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

/** What each op's forward saves for its backward. */
export interface MatmulOps {
  /** `sharedB`: B is one matrix shared by every batch of A */
  matmul: { a: Tensor; b: Tensor; transA: boolean; transB: boolean; sharedB: boolean };
  /** x [..., k] · op(W), run as one 2-D GEMM over the `rows` of x */
  matmulRows: { a: Tensor; b: Tensor; transB: boolean; rows: number; k: number; n: number };
}

/** dA = dC · op(B)ᵀ, dB = op(A)ᵀ · dC, each one more matmul with the transposes folded into flags. */
export const MATMUL_RULES: Rules<MatmulOps> = {
  matmul: (g, { a, b, transA, transB, sharedB }) => [
    !a.requiresGrad ? null : transA ? matmul(sharedB ? expand(b, [...a.shape.slice(0, -2), ...b.shape]) : b, g, { transA: transB, transB: true }) : matmul(g, b, { transB: !transB }),
    !b.requiresGrad ? null : sumTo(transB ? matmul(g, a, { transA: true, transB: transA }) : matmul(a, g, { transA: !transA }), b.shape),
  ],
  /** both directions as 2-D GEMMs over the flattened rows */
  matmulRows: (g, { a, b, transB, rows, k, n }) => {
    const g2 = g.alias([rows, n]);
    const a2 = a.alias([rows, k]);
    const da = a.requiresGrad ? matmul(g2, b, { transB: !transB }).alias(a.shape) : null;
    const db = b.requiresGrad ? (transB ? matmul(g2, a2, { transA: true }) : matmul(a2, g2, { transA: true })) : null;
    return [da, db];
  },
};

const record = recorder(MATMUL_RULES);

/**
 * C = op(A) · op(B) over the last two axes; leading (batch) axes must match, or B may be a plain matrix
 * shared by every batch (a linear layer's weight). With transB, B is stored [..., n, k]: x · Wᵀ needs no copy.
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  if (a.rank < 2 || b.rank < 2) throw new Error(`matmul: operands need rank ≥ 2, got [${a.shape}] and [${b.shape}]`);
  // A plain-matrix B under a batched, untransposed A (a linear layer): one GEMM with the batch folded into m.
  if (b.rank === 2 && a.rank > 2 && !transA) return matmulRows(a, b, transB);
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const bShared = b.rank === 2 && a.rank > 2;
  if (!bShared && (aBatch.length !== bBatch.length || aBatch.some((d, i) => d !== bBatch[i])))
    throw new Error(`matmul: batch shapes [${aBatch}] and [${bBatch}] differ`);
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const kb = transB ? bc : br;
  const n = transB ? br : bc;
  if (k !== kb) throw new Error(`matmul: inner sizes differ, [${a.shape}]${transA ? 'ᵀ' : ''} · [${b.shape}]${transB ? 'ᵀ' : ''}`);
  const batch = sizeOf(aBatch);
  const buf = a.backend.matmul(a.buf, b.buf, { batch, m, n, k, transA, transB, aBatchStride: ar * ac, bBatchStride: bShared ? 0 : br * bc });
  const out = Tensor.fromBuffer(a.backend, buf, [...aBatch, m, n]);
  return record('matmul', out, [a, b], { a, b, transA, transB, sharedB: bShared });
}

/** x [..., k] · op(W): one GEMM over the flattened rows of x. */
function matmulRows(a: Tensor, b: Tensor, transB: boolean): Tensor {
  const k = a.shape[a.rank - 1];
  const rows = a.size / k;
  const [br, bc] = b.shape;
  const n = transB ? br : bc;
  if ((transB ? bc : br) !== k) throw new Error(`matmul: inner sizes differ, [${a.shape}] · [${b.shape}]${transB ? 'ᵀ' : ''}`);
  const buf = a.backend.matmul(a.buf, b.buf, { batch: 1, m: rows, n, k, transA: false, transB, aBatchStride: 0, bBatchStride: 0 });
  const out = Tensor.fromBuffer(a.backend, buf, [...a.shape.slice(0, -1), n]);
  return record('matmulRows', out, [a, b], { a, b, transB, rows, k, n });
}
