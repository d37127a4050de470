import { describe, expect, it } from 'vitest';
import { JsBackend } from './backends/js';
import type { Backend, UnaryOp } from './backend';
import { conformanceCases } from './conformance';
import { Rng } from './rng';

/**
 * Devices checked against the reference (the js backend's float64 loops), never against themselves. In Node:
 * the WebAssembly backend once it lands (add it here); WebGPU runs the same cases in Chromium. The js backend in
 * float32 is not listed: it runs the reference's own loops, so agreeing with them would prove nothing.
 */
const backends: [string, () => Backend][] = [];

describe.each(backends)('backend conformance vs the js float64 reference: %s', (_, make) => {
  const be = make();
  it.each(conformanceCases().map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const err = await c.run(be);
    expect(err).toBeLessThanOrEqual(c.tol);
  });
});

describe('the conformance suite', () => {
  it('detects a wrong kernel (the suite can fail)', async () => {
    const broken = new JsBackend('f32');
    const real = broken.unary.bind(broken);
    broken.unary = (op, x) => real(op === 'tanh' ? 'sigmoid' : op, x);
    const c = conformanceCases().find((k) => k.name.startsWith('unary tanh'));
    expect(await c?.run(broken)).toBeGreaterThan(0.1);
  });
});

/** The reference itself, against math written here independently of its loops (Math.*, a naive triple loop). */
describe('the js float64 reference vs independent math', () => {
  const ref = new JsBackend('f64');
  const x = new Rng(7).fillUniform(new Float32Array(65), 0.1, 3);
  const independent: Record<UnaryOp, (v: number) => number> = {
    neg: (v) => -v,
    exp: Math.exp,
    log: Math.log,
    tanh: Math.tanh,
    erf: (v) => {
      // erf by Simpson's rule on 2/√π·∫₀ˣ e^(−t²) dt (2,000 intervals: ~1e-13 here).
      const n = 2000;
      const h = v / n;
      let s = 1 + Math.exp(-v * v);
      for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2));
      return ((2 / Math.sqrt(Math.PI)) * s * h) / 3;
    },
    sqrt: Math.sqrt,
    recip: (v) => 1 / v,
    relu: (v) => Math.max(0, v),
    step: (v) => (v > 0 ? 1 : 0),
    sigmoid: (v) => 1 / (1 + Math.exp(-v)),
    square: (v) => v * v,
  };
  it.each(Object.keys(independent) as UnaryOp[])('unary %s', (op) => {
    const got = ref.readSync(ref.unary(op, ref.upload(x)));
    x.forEach((v, i) => expect(got[i]).toBeCloseTo(independent[op](v), 11));
  });

  it('matmul 7×9·9×5 and a sum reduction', () => {
    const rng = new Rng(9);
    const [m, k, n] = [7, 9, 5];
    const a = rng.fillUniform(new Float32Array(m * k), -1, 1);
    const b = rng.fillUniform(new Float32Array(k * n), -1, 1);
    const got = ref.readSync(ref.matmul(ref.upload(a), ref.upload(b), { batch: 1, m, k, n, transA: false, transB: false, aBatchStride: m * k, bBatchStride: k * n }));
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += a[i * k + t] * b[t * n + j];
        expect(got[i * n + j]).toBeCloseTo(s, 12);
      }
    const sum = ref.readSync(ref.reduce('sum', ref.upload(a), 1, m * k, 1));
    expect(sum[0]).toBeCloseTo(a.reduce((p, v) => p + v, 0), 12);
  });
});
