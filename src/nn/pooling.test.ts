import { describe, expect, it } from 'vitest';
import { JsBackend, Rng, Tensor, backward, noGrad, tidy } from '../grad';
import { maskedMean, pool, poolTensor } from './pooling';

describe('pooling: the host loop (ONNX Runtime arrays) and the engine op agree', () => {
  const [batch, seq, dim] = [4, 9, 16];
  const hidden = new Rng(3).fillNormal(new Float32Array(batch * seq * dim), 2);
  const lengths = [9, 5, 1, 0]; // full, padded, only the first token, none (pools to 0)
  const mask = new BigInt64Array(batch * seq);
  lengths.forEach((n, b) => mask.fill(1n, b * seq, b * seq + n));

  it.each(['mean', 'cls'] as const)('%s: host `pool` equals the engine op (float32 JS backend) bit for bit on every row', (pooling) => {
    const be = new JsBackend('f32');
    const t = { mask: Int32Array.from(mask, Number), batch, seq };
    const engine = noGrad(() => tidy(() => Float32Array.from(poolTensor(Tensor.fromData(be, hidden, [batch, seq, dim]), t, pooling).dataSync())));
    for (let b = 0; b < batch; b++) {
      const got = pool(hidden, b * seq * dim, mask, b * seq, seq, dim, pooling);
      expect(Array.from(got), `row ${b}`).toEqual(Array.from(engine.subarray(b * dim, (b + 1) * dim)));
      if (pooling === 'mean' && b === 3) expect(Array.from(got), 'an empty row pools to 0').toEqual(new Array(dim).fill(0));
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
