/**
 * Pooling a sequence's hidden states to one vector, defined once on engine tensors: `poolTensor` (`maskedMean` or
 * `firstToken`) serves training and our own inference on any backend, and `pool` runs that same definition on
 * host arrays (ONNX Runtime's output, for the projection-head embedder) through the JavaScript backend in float32.
 * Their agreement with the former host loop, bit for bit, is in pooling.test.ts. `poolingOf` is the model's choice.
 */
import { JsBackend, Tensor, div, mul, noGrad, reshape, slice, sum, tidy } from '../grad';
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
 * `maskOffset`), as ONNX Runtime returns them. The JavaScript backend in float32 accumulates in the same order
 * and precision as a plain loop would, so this is the one definition, not an approximation of it.
 */
export function pool(hidden: Float32Array, offset: number, mask: BigInt64Array, maskOffset: number, seq: number, dim: number, pooling: Pooling): Float32Array {
  const be = new JsBackend('f32'); // NOTE: one per call, so that its pool of freed arrays does not outlive the call
  const m = Int32Array.from(mask.subarray(maskOffset, maskOffset + seq), Number);
  return noGrad(() =>
    tidy(() => {
      const x = Tensor.fromData(be, hidden.subarray(offset, offset + seq * dim), [1, seq, dim]);
      return Float32Array.from(poolTensor(x, { mask: m, batch: 1, seq }, pooling).dataSync());
    }),
  );
}
