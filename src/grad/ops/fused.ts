/**
 * Fused row ops: one kernel where the backend has it (`softmaxRows`, `normalizeRows`), tested equal to the
 * composed forms in functional.ts. Their rules: one table keyed by op (`FusedOps`), from the same primitives.
 */
import { Tensor, recorder, type Rules } from '../tensor';
import { mul, sub } from './elementwise';
import { sum } from './broadcast';
import { mean } from './reduce';

/** What each op's forward saves for its backward. */
export interface FusedOps {
  softmaxRows: { out: Tensor };
  /** `rstd`: 1/√(var + eps) per row, [..., 1] */
  normalizeRows: { out: Tensor; rstd: Tensor };
  gelu: { x: Tensor };
}

export const FUSED_RULES: Rules<FusedOps> = {
  /** y = softmax(x): dx = y ⊙ (dy − Σ_last dy ⊙ y) */
  softmaxRows: (g, { out }) => {
    const gy = mul(g, out);
    return [sub(gy, mul(out, sum(gy, -1, true)))];
  },
  /** x̂ = (x − mean)·rstd: dx = rstd ⊙ (dx̂ − mean(dx̂) − x̂ ⊙ mean(dx̂ ⊙ x̂)) */
  normalizeRows: (g, { out, rstd }) => [mul(rstd, sub(sub(g, mean(g, -1, true)), mul(out, mean(mul(g, out), -1, true))))],
  /** y = gelu(x): dx = dy ⊙ (Φ(x) + x·φ(x)), one backend kernel (backward runs without recording) */
  gelu: (g, { x }) => [Tensor.fromBuffer(x.backend, x.backend.geluGrad!(x.buf, g.buf), x.shape)],
};

const record = recorder(FUSED_RULES);

/** Whether `x`'s backend fuses softmax / normalisation over the last axis. */
export const fusesSoftmax = (x: Tensor) => x.backend.softmaxRows !== undefined && x.rank > 0 && x.size > 0;
export const fusesNormalize = (x: Tensor) => x.backend.normalizeRows !== undefined && x.rank > 0 && x.size > 0;
export const fusesGelu = (x: Tensor) => x.backend.gelu !== undefined && x.backend.geluGrad !== undefined && x.size > 0;

/** GELU (erf form) in one kernel, with a one-kernel backward. */
export function geluFused(x: Tensor): Tensor {
  return record('gelu', Tensor.fromBuffer(x.backend, x.backend.gelu!(x.buf), x.shape), [x], { x });
}

/** y = softmax over the last axis. */
export function softmaxLast(x: Tensor): Tensor {
  const n = x.shape[x.rank - 1];
  const out = Tensor.fromBuffer(x.backend, x.backend.softmaxRows!(x.buf, x.size / n, n), x.shape);
  return record('softmaxRows', out, [x], { out });
}

/** x̂ = (x − mean)·rstd over the last axis (biased variance + eps). */
export function normalizeLast(x: Tensor, eps: number): Tensor {
  const n = x.shape[x.rank - 1];
  const { y, rstd } = x.backend.normalizeRows!(x.buf, x.size / n, n, eps);
  const out = Tensor.fromBuffer(x.backend, y, x.shape);
  return record('normalizeRows', out, [x], { out, rstd: Tensor.fromBuffer(x.backend, rstd, [...x.shape.slice(0, -1), 1]) });
}
