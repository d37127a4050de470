/**
 * Pooling a sequence's hidden states to one vector: `poolTensor` (`maskedMean` or `firstToken`) on engine tensors,
 * `pool` on host arrays (ONNX Runtime's output, for the projection-head embedder), and the model's choice
 * (`poolingOf`). The two agree bit for bit (pooling.test.ts), and must stay two definitions:
 * - the engine op has to be differentiable (ModernBERT's mean-pooling head trains through it) and to run where
 *   the hidden states live (GPU buffers on WebGPU), so it is built from engine primitives;
 * - ONNX Runtime's output is already a host Float32Array. Running it through the engine's JS backend instead was
 *   tried and measured: 45–60 ms per batch of 32 × 128 × 384 against 5 ms for the loop (the engine multiplies
 *   every padded row by 0 with a general broadcast kernel and allocates three intermediates), a cost on every
 *   embedding batch for no difference in the result.
 * What they share is the definition itself: the mean over unmasked positions with the count clamped to 1 (an empty
 * row pools to 0), and the first position for `cls`.
 */
import { Tensor, div, mul, reshape, slice, sum } from '../grad';
import { ModelFileError, readModelJson, type ModelRef } from './model-files';
import type { TokenBatch } from './token-batch';

export type Pooling = 'mean' | 'cls';

/** The mask and its shape, all pooling reads of a token batch. */
export type PoolingMask = Pick<TokenBatch, 'mask' | 'batch' | 'seq'>;

/**
 * Σ_s x[b, s]·mask[b, s] / max(1, Σ_s mask[b, s]), [B, H]. The count is host data (the mask is), so it costs no
 * reduction; a sequence with no unmasked token pools to 0. NOTE: masked positions are multiplied by 0, not
 * skipped, so they must be finite (an encoder's outputs are; a NaN there would reach the mean).
 */
export function maskedMean(x: Tensor, t: PoolingMask): Tensor {
  const counts = new Float32Array(t.batch);
  for (let b = 0; b < t.batch; b++) {
    let c = 0;
    for (let s = 0; s < t.seq; s++) c += t.mask[b * t.seq + s];
    counts[b] = Math.max(c, 1);
  }
  const m = Tensor.fromData(x.backend, Float32Array.from(t.mask), [t.batch, t.seq, 1]);
  return div(sum(mul(x, m), 1), Tensor.fromData(x.backend, counts, [t.batch, 1]));
}

/** The hidden state of the first token, [B, H]. */
export function firstToken(x: Tensor): Tensor {
  const [b, , h] = x.shape;
  return reshape(slice(x, 1, 0, 1), [b, h]);
}

/** x [B, S, H] pooled to [B, H]. */
export function poolTensor(x: Tensor, t: PoolingMask, pooling: Pooling): Tensor {
  switch (pooling) {
    case 'mean':
      return maskedMean(x, t);
    case 'cls':
      return firstToken(x);
    default:
      pooling satisfies never;
      throw new Error(`unknown pooling ${String(pooling)}`);
  }
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

/**
 * `poolTensor` on one sequence of host hidden states (`seq` rows of `dim` from `offset`) and its int64 mask (from
 * `maskOffset`), as ONNX Runtime returns them: the same math as a plain loop, equal to the engine op bit for bit
 * (float32, the same order of additions, masked rows adding nothing; pooling.test.ts checks it).
 */
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
