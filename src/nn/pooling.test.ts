import { describe, expect, it } from 'vitest';
import { JsBackend, Rng, Tensor, backward, noGrad, tidy } from '../grad';
import { maskedMean, pool, poolTensor } from './pooling';

/** The host loop `pool` was before it ran the engine's definition: skips masked rows, float32 accumulation. */
function formerPool(hidden: Float32Array, offset: number, mask: BigInt64Array, maskOffset: number, seq: number, dim: number, pooling: 'mean' | 'cls'): Float32Array {
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

describe('pooling: one definition for engine tensors and ONNX Runtime host arrays', () => {
  const [batch, seq, dim] = [4, 9, 16];
  const hidden = new Rng(3).fillNormal(new Float32Array(batch * seq * dim), 2);
  const lengths = [9, 5, 1, 0]; // full, padded, only the first token, none (pools to 0)
  const mask = new BigInt64Array(batch * seq);
  lengths.forEach((n, b) => mask.fill(1n, b * seq, b * seq + n));

  it.each(['mean', 'cls'] as const)('%s: host `pool` equals the former host loop bit for bit, and the engine op on every row', (pooling) => {
    const be = new JsBackend('f32');
    const t = { mask: Int32Array.from(mask, Number), batch, seq };
    const engine = noGrad(() => tidy(() => Float32Array.from(poolTensor(Tensor.fromData(be, hidden, [batch, seq, dim]), t, pooling).dataSync())));
    for (let b = 0; b < batch; b++) {
      const got = pool(hidden, b * seq * dim, mask, b * seq, seq, dim, pooling);
      expect(Array.from(got), `row ${b}`).toEqual(Array.from(formerPool(hidden, b * seq * dim, mask, b * seq, seq, dim, pooling)));
      expect(Array.from(got), `row ${b}, batched engine op`).toEqual(Array.from(engine.subarray(b * dim, (b + 1) * dim)));
    }
    expect(be.liveBuffers()).toBe(0);
  });

  it('maskedMean: hand-computed values, and its gradient reaches only the unmasked positions', () => {
    const be = new JsBackend('f64');
    // x [2, 3, 2]; row 0 keeps tokens 0 and 1, row 1 only token 0
    const x = Tensor.fromData(be, [1, 2, 3, 4, 100, 100, 5, 6, -7, 7, 9, 9], [2, 3, 2], true);
    const t = { mask: Int32Array.from([1, 1, 0, 1, 0, 0]), batch: 2, seq: 3 };
    tidy(() => {
      const y = maskedMean(x, t);
      expect(Array.from(y.dataSync())).toEqual([2, 3, 5, 6]);
      backward(y);
    });
    expect(Array.from(x.grad!.dataSync())).toEqual([0.5, 0.5, 0.5, 0.5, 0, 0, 1, 1, 0, 0, 0, 0]);
    x.grad!.dispose();
    x.dispose();
    expect(be.liveBuffers()).toBe(0);
  });
});
