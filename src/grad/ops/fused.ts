/**
 * Fused row ops: one kernel where the backend has it (`softmaxRows`, `normalizeRows`), tested equal to the
 * composed forms in functional.ts. Backward rules are written out here from the same primitives.
 */
import { Tensor, record } from '../tensor';
import { mul, sub } from './elementwise';
import { sum } from './broadcast';
import { mean } from './reduce';

/** Whether `x`'s backend fuses softmax / normalisation over the last axis. */
export const fusesSoftmax = (x: Tensor) => x.backend.softmaxRows !== undefined && x.rank > 0 && x.size > 0;
export const fusesNormalize = (x: Tensor) => x.backend.normalizeRows !== undefined && x.rank > 0 && x.size > 0;

/** y = softmax over the last axis. d: dx = y ⊙ (dy − Σ_last dy ⊙ y). */
export function softmaxLast(x: Tensor): Tensor {
  const n = x.shape[x.rank - 1];
  const out = Tensor.fromBuffer(x.backend, x.backend.softmaxRows!(x.buf, x.size / n, n), x.shape);
  return record(out, [x], (g) => {
    const gy = mul(g, out);
    return [sub(gy, mul(out, sum(gy, -1, true)))];
  });
}

/**
 * x̂ = (x − mean)·rstd over the last axis (biased variance + eps). d: dx = rstd ⊙ (dx̂ − mean(dx̂) − x̂ ⊙ mean(dx̂ ⊙ x̂)).
 */
export function normalizeLast(x: Tensor, eps: number): Tensor {
  const n = x.shape[x.rank - 1];
  const { y, rstd } = x.backend.normalizeRows!(x.buf, x.size / n, n, eps);
  const out = Tensor.fromBuffer(x.backend, y, x.shape);
  const r = Tensor.fromBuffer(x.backend, rstd, [...x.shape.slice(0, -1), 1]);
  return record(out, [x], (g) => [mul(r, sub(sub(g, mean(g, -1, true)), mul(out, mean(mul(g, out), -1, true))))]);
}
