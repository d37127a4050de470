import { describe, expect, it } from 'vitest';
import { JsBackend, Tensor, backward, layerNorm, layerNormComposed, mul, softmax, softmaxComposed, sum, tidy } from '.';
import { Rng } from './rng';
import { gradCheck } from './test-utils';

const cpu = new JsBackend();
const shapes = [[1, 1], [3, 63], [2, 5, 65], [4, 257], [2, 3]];

/** Output and input gradients of L = Σ f(x)·R, on the f32 CPU backend. */
function run(f: (x: Tensor, w: Tensor, b: Tensor) => Tensor, shape: number[], seed: number) {
  const rng = new Rng(seed);
  const n = shape[shape.length - 1];
  return tidy(() => {
    const x = Tensor.fromData(cpu, rng.fillUniform(new Float32Array(shape.reduce((a, b) => a * b, 1)), -3, 3), shape, true);
    const w = Tensor.fromData(cpu, rng.fillUniform(new Float32Array(n), 0.5, 1.5), [n], true);
    const b = Tensor.fromData(cpu, rng.fillUniform(new Float32Array(n), -1, 1), [n], true);
    const y = f(x, w, b);
    const r = Tensor.fromData(cpu, new Rng(seed + 1).fillUniform(new Float32Array(y.size), -1, 1), y.shape);
    backward(sum(mul(y, r)));
    const out = [y, x.grad!, w.grad, b.grad].map((t) => (t ? Array.from(t.dataSync()) : []));
    for (const t of [x, w, b]) t.grad?.dispose();
    return out;
  });
}

const close = (a: number[][], b: number[][]) => {
  let worst = 0;
  a.forEach((arr, i) => arr.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b[i][j]) / Math.max(1, Math.abs(b[i][j]))))));
  return worst;
};

describe('fused row kernels equal their composed forms', () => {
  it.each(shapes)('softmax over the last axis, forward and backward: [%i, %i…]', (...shape) => {
    const fused = run((x) => softmax(x), shape, 3);
    const composed = run((x) => softmaxComposed(x), shape, 3);
    expect(close(fused, composed)).toBeLessThan(1e-5);
  });

  it.each(shapes)('layer norm with and without bias, forward and backward: [%i, %i…]', (...shape) => {
    for (const withBias of [true, false]) {
      const fused = run((x, w, b) => layerNorm(x, w, withBias ? b : null, 1e-5), shape, 5);
      const composed = run((x, w, b) => layerNormComposed(x, w, withBias ? b : null, 1e-5), shape, 5);
      expect(close(fused, composed)).toBeLessThan(1e-4);
    }
  });

  it('softmax on another axis still uses the composed form', () => {
    const a = run((x) => softmax(x, 0), [3, 4], 9);
    const b = run((x) => softmaxComposed(x, 0), [3, 4], 9);
    expect(close(a, b)).toBe(0);
  });

  it('the composed references themselves pass central differences (float64)', () => {
    gradCheck((x) => softmaxComposed(x), [[3, 7]]);
    gradCheck((x, w, b) => layerNormComposed(x, w, b, 1e-5), [[2, 3, 9], [9], [9]]);
  });

  it('a constant row normalises to zeros (no NaN), and a huge row softmaxes without overflow', () => {
    const ln = tidy(() => Array.from(layerNorm(Tensor.fromData(cpu, [5, 5, 5, 5], [1, 4]), Tensor.fromData(cpu, [1, 1, 1, 1], [4]), null, 1e-5).dataSync()));
    expect(ln).toEqual([0, 0, 0, 0]);
    const sm = tidy(() => Array.from(softmax(Tensor.fromData(cpu, [1000, 1000], [1, 2])).dataSync()));
    expect(sm).toEqual([0.5, 0.5]);
  });
});
