import { describe, expect, it } from 'vitest';
import * as g from './index';

const { Tensor } = g;

describe('AdamW, clipping, schedules', () => {
  it('AdamW matches a scalar restatement of torch.optim.AdamW over 3 steps', () => {
    const be = new g.JsBackend('f64');
    const p0 = [0.5, -1.25, 2];
    const grads = [[0.1, -0.2, 0.3], [0.05, 0.4, -0.1], [-0.3, 0.2, 0.0]];
    const p = Tensor.fromData(be, p0, [3], true);
    const opt = new g.AdamW([p], { lr: 0.01, weightDecay: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-6 });
    const ref = [...p0];
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    for (let t = 1; t <= 3; t++) {
      p.grad = Tensor.fromData(be, grads[t - 1], [3]).keep();
      opt.update();
      g.zeroGrad([p]);
      for (let i = 0; i < 3; i++) {
        const gi = grads[t - 1][i];
        ref[i] *= 1 - 0.01 * 0.1;
        m[i] = 0.9 * m[i] + 0.1 * gi;
        v[i] = 0.99 * v[i] + 0.01 * gi * gi;
        const denom = Math.sqrt(v[i]) / Math.sqrt(1 - 0.99 ** t) + 1e-6;
        ref[i] -= (0.01 / (1 - 0.9 ** t)) * (m[i] / denom);
      }
    }
    const got = p.dataSync();
    for (let i = 0; i < 3; i++) expect(Math.abs(got[i] - ref[i])).toBeLessThan(1e-14);
    expect(ref[0]).not.toBeCloseTo(p0[0], 3);
    opt.dispose();
    p.dispose();
    expect(be.liveBuffers()).toBe(0);
  });

  it('parameters excluded by `decays` get no weight decay', () => {
    const be = new g.JsBackend('f64');
    const w = Tensor.fromData(be, [2], [1], true);
    const b = Tensor.fromData(be, [2], [1], true);
    b.name = 'classifier.bias';
    const opt = new g.AdamW([w, b], { lr: 0.1, weightDecay: 0.5, decays: (p) => !p.name?.endsWith('bias') });
    w.grad = Tensor.fromData(be, [0], [1]).keep();
    b.grad = Tensor.fromData(be, [0], [1]).keep();
    opt.update();
    expect(w.dataSync()[0]).toBeCloseTo(2 * (1 - 0.1 * 0.5), 14);
    expect(b.dataSync()[0]).toBe(2);
    g.zeroGrad([w, b]);
    opt.dispose();
  });

  it('clipGradNorm scales to the max norm only when above it', () => {
    const be = new g.JsBackend('f64');
    const a = Tensor.fromData(be, [3], [1], true);
    const b = Tensor.fromData(be, [0, 4], [2], true);
    a.grad = Tensor.fromData(be, [3], [1]).keep();
    b.grad = Tensor.fromData(be, [0, 4], [2]).keep();
    const n = g.clipGradNorm([a, b], 1);
    expect(n.dataSync()[0]).toBeCloseTo(5, 14);
    expect(a.grad.dataSync()[0]).toBeCloseTo(3 / (5 + 1e-6), 14);
    expect(b.grad.dataSync()[1]).toBeCloseTo(4 / (5 + 1e-6), 14);
    g.clipGradNorm([a, b], 10).dispose();
    expect(a.grad.dataSync()[0]).toBeCloseTo(3 / (5 + 1e-6), 14);
    n.dispose();
    g.zeroGrad([a, b]);
    a.dispose();
    b.dispose();
    expect(be.liveBuffers()).toBe(0);
  });

  it('warmup + constant / linear / cosine schedules (HF formulas)', () => {
    const s = { peakLr: 1e-3, warmupSteps: 10, totalSteps: 110 };
    expect(g.learningRate({ ...s, kind: 'linear' }, 0)).toBe(0);
    expect(g.learningRate({ ...s, kind: 'linear' }, 5)).toBeCloseTo(5e-4, 15);
    expect(g.learningRate({ ...s, kind: 'linear' }, 60)).toBeCloseTo(5e-4, 15);
    expect(g.learningRate({ ...s, kind: 'linear' }, 110)).toBe(0);
    expect(g.learningRate({ ...s, kind: 'cosine' }, 60)).toBeCloseTo(5e-4, 15);
    expect(g.learningRate({ ...s, kind: 'cosine' }, 35)).toBeCloseTo(1e-3 * 0.5 * (1 + Math.cos(Math.PI / 4)), 15);
    expect(g.learningRate({ ...s, kind: 'constant' }, 100)).toBe(1e-3);
  });
});

describe('gradient accumulation', () => {
  it('backward twice adds into .grad (micro-batches); zeroGrad clears it', () => {
    const be = new g.JsBackend('f64');
    const w = Tensor.fromData(be, [1, 2, 3], [3], true);
    const x = Tensor.fromData(be, [4, 5, 6], [3]);
    for (let i = 0; i < 2; i++) g.tidy(() => g.backward(g.sum(g.mul(g.mul(w, w), x))));
    expect([...(w.grad as g.Tensor).dataSync()]).toEqual([16, 40, 72]); // 2 × 2wx
    g.zeroGrad([w]);
    expect(w.grad).toBeNull();
    w.dispose();
    x.dispose();
    expect(be.liveBuffers()).toBe(0);
  });
});

describe('memory ownership', () => {
  it('tidy() frees what it made when an op throws halfway', () => {
    const be = new g.JsBackend('f32');
    const a = Tensor.fromData(be, [1, 2, 3, 4], [2, 2]);
    expect(() => g.tidy(() => g.matmul(g.exp(g.add(a, a)), Tensor.zeros(be, [3, 1])))).toThrow(/inner sizes differ/);
    expect(be.liveBuffers()).toBe(1);
    a.dispose();
  });

  it('a training step inside tidy() leaves no live buffers beyond params, grads and optimiser state', () => {
    const be = new g.JsBackend('f32');
    const rng = new g.Rng(3);
    const w1 = Tensor.fromData(be, rng.fillNormal(new Float32Array(8 * 4), 0.5), [8, 4], true);
    const b1 = Tensor.zeros(be, [8], true);
    const w2 = Tensor.fromData(be, rng.fillNormal(new Float32Array(3 * 8), 0.5), [3, 8], true);
    const emb = Tensor.fromData(be, rng.fillNormal(new Float32Array(10 * 4), 1), [10, 4]);
    const params = [w1, b1, w2];
    const opt = new g.AdamW(params, { lr: 1e-2 });
    const step = (): number =>
      g.tidy(() => {
        const x = g.gather(emb, Int32Array.from([1, 4, 7, 2, 9, 0]), [2, 3]);
        const h = g.gelu(g.linear(g.layerNorm(x, Tensor.full(be, [4], 1), null, 1e-5), w1, b1));
        const logits = g.linear(g.mean(g.softmax(h, -1), 1), w2, null);
        const loss = g.crossEntropy(logits, [0, 2]);
        g.backward(loss);
        g.clipGradNorm(params, 1);
        opt.update();
        g.zeroGrad(params);
        return loss.dataSync()[0];
      });
    const base = be.liveBuffers(); // 4 tensors
    expect(base).toBe(4);
    const l0 = step();
    const after1 = be.liveBuffers();
    expect(after1).toBe(base + 2 * params.length); // + m and v per parameter
    let l = l0;
    for (let i = 0; i < 20; i++) l = step();
    expect(be.liveBuffers()).toBe(after1);
    expect(l).toBeLessThan(l0);
    opt.dispose();
    for (const t of [...params, emb]) t.dispose();
    expect(be.liveBuffers()).toBe(0);
  });
});
