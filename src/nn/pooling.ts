/**
 * Pooling a sequence's hidden states to one vector: `maskedMean` on engine tensors (ModernBERT's head), `pool` on
 * host arrays (ONNX Runtime's output, for the projection-head embedder), and the model's choice (`poolingOf`).
 */
import { Tensor, div, mul, sum } from '../grad';
import { ModelFileError, readModelJson, type ModelRef } from './model-files';
import type { TokenBatch } from './token-batch';

export type Pooling = 'mean' | 'cls';

/** Σ_s x[b, s]·mask[b, s] / Σ_s mask[b, s], [B, H]. */
export function maskedMean(x: Tensor, t: TokenBatch): Tensor {
  const m = Tensor.fromData(x.backend, Float32Array.from(t.mask), [t.batch, t.seq, 1]);
  return div(sum(mul(x, m), 1), sum(m, 1));
}

export async function poolingOf(ref: ModelRef): Promise<Pooling> {
  try {
    const p = await readModelJson<{ pooling_mode_cls_token?: boolean; pooling_mode_mean_tokens?: boolean }>(ref, '1_Pooling/config.json');
    return p.pooling_mode_cls_token && !p.pooling_mode_mean_tokens ? 'cls' : 'mean';
  } catch (e) {
    if (e instanceof ModelFileError && e.reason === 'missing') return 'mean';
    throw e;
  }
}

/** Mean of the unmasked rows of one sequence's hidden states, or its first row. */
export function pool(hidden: Float32Array, offset: number, mask: BigInt64Array, maskOffset: number, seq: number, dim: number, pooling: Pooling): Float32Array {
  const out = new Float32Array(dim);
  if (pooling === 'cls') {
    out.set(hidden.subarray(offset, offset + dim));
    return out;
  }
  let count = 0;
  for (let s = 0; s < seq; s++) {
    if (mask[maskOffset + s] === 0n) continue;
    count++;
    const row = offset + s * dim;
    for (let d = 0; d < dim; d++) out[d] += hidden[row + d];
  }
  for (let d = 0; d < dim; d++) out[d] /= Math.max(count, 1);
  return out;
}
