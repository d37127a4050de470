import { describe, expect, it } from 'vitest';
import { Tensor, recorder } from './tensor';
import * as g from './index';
import { f64, gradCheck } from './test-utils';

const { add, sub, mul, div, matmul, reshape, permute, transpose, slice, concat, gather, sum, mean, max } = g;
const pos: [number, number] = [0.5, 2];

describe('gradients vs central differences (float64)', () => {
  it('broadcast add / sub / mul / div', () => {
    gradCheck((a, b) => add(a, b), [[3, 4], [4]]);
    gradCheck((a, b) => sub(a, b), [[2, 1, 4], [3, 1]]);
    gradCheck((a, b) => mul(a, b), [[2, 3, 4], [2, 1, 4]]);
    gradCheck((a, b) => div(a, b), [[3, 1], [1, 5]], { ranges: [undefined, pos] });
    gradCheck((a) => mul(a, a), [[5]]);
  });

  it('unary ops', () => {
    for (const f of [g.exp, g.tanh, g.erf, g.neg, g.square, g.sigmoid, g.relu, g.gelu, g.geluTanh, g.silu])
      gradCheck((x) => f(x), [[4, 5]], { seed: 3 });
    gradCheck((x) => g.log(x), [[7]], { ranges: [pos] });
    gradCheck((x) => g.sqrt(x), [[7]], { ranges: [pos] });
    gradCheck((x) => g.recip(x), [[7]], { ranges: [pos] });
    gradCheck((x) => g.affine(x, -1.5, 0.25), [[3, 2]]);
  });

  it('batched matmul with every transpose combination and a shared matrix', () => {
    for (const transA of [false, true])
      for (const transB of [false, true]) {
        const a = transA ? [2, 4, 3] : [2, 3, 4];
        const b = transB ? [2, 5, 4] : [2, 4, 5];
        gradCheck((x, y) => matmul(x, y, { transA, transB }), [a, b]);
      }
    gradCheck((x, w) => matmul(x, w, { transB: true }), [[2, 3, 4], [5, 4]]);
    gradCheck((x, w) => matmul(x, w, { transA: true }), [[2, 4, 3], [4, 5]]);
    gradCheck((x, w) => g.linear(x, w, null), [[1, 6], [3, 6]]);
  });

  it('movement ops', () => {
    gradCheck((x) => reshape(x, [4, -1]), [[2, 3, 2]]);
    gradCheck((x) => permute(x, [2, 0, 1]), [[2, 3, 4]]);
    gradCheck((x) => transpose(x, 0, 2), [[2, 3, 4]]);
    gradCheck((x) => slice(x, 1, 1, 3), [[2, 4, 3]]);
    gradCheck((x, y) => concat([x, y, x], -1), [[2, 3], [2, 1]]);
  });

  it('non-contiguous inputs: ops on transposed and sliced tensors', () => {
    gradCheck((x, y) => mul(transpose(x), y), [[3, 4], [4, 1]]);
    gradCheck((x, y) => matmul(slice(x, 1, 1, 4), transpose(y)), [[3, 5], [2, 3]]);
    gradCheck((x) => g.softmax(permute(x, [1, 0, 2]), 1), [[3, 2, 4]]);
    gradCheck((x) => sum(slice(transpose(x, 0, 1), 0, 1, 3), [0, 2]), [[3, 4, 2]]);
  });

  it('gather (embedding) with repeated indices', () => {
    const idx = Int32Array.from([2, 0, 2, 3, 2, 1]);
    gradCheck((t) => gather(t, idx, [2, 3]), [[4, 5]]);
  });

  it('sum / mean / max over axes', () => {
    gradCheck((x) => sum(x), [[3, 4]]);
    gradCheck((x) => sum(x, [0, 2], true), [[2, 3, 4]]);
    gradCheck((x) => mean(x, -1), [[2, 3, 4]]);
    gradCheck((x) => mean(x, [0, 1]), [[2, 3, 4]]);
    gradCheck((x) => max(x, 1), [[3, 5, 2]]);
    gradCheck((x) => max(x, -1, true), [[4, 6]]);
  });

  it('softmax, log-softmax, layer norm, cross-entropy', () => {
    gradCheck((x) => g.softmax(x, -1), [[3, 5]]);
    gradCheck((x) => g.softmax(x, 0), [[3, 5]]);
    gradCheck((x) => g.logSoftmax(x, -1), [[3, 5]]);
    gradCheck((x, w, b) => g.layerNorm(x, w, b, 1e-5), [[3, 6], [6], [6]]);
    gradCheck((x, w) => g.layerNorm(x, w, null, 1e-12), [[2, 2, 8], [8]]);
    gradCheck((x) => g.crossEntropy(x, [1, 0, 3]), [[3, 4]]);
  });

  it('dropout (seeded mask) and rotary embedding', () => {
    gradCheck((x) => g.dropout(x, 0.3, new g.Rng(5)), [[4, 8]]);
    const { cos, sin } = g.rotaryTables(f64, 5, 6, 10000);
    gradCheck((x) => g.rotary(x, cos, sin), [[2, 5, 6]]);
  });

  it('detects a wrong backward rule (the check can fail)', () => {
    const record = recorder<{ badSquare: { x: Tensor } }>({ badSquare: (dy, { x }) => [mul(dy, x)] }); // missing factor 2
    const badSquare = (x: Tensor) => record('badSquare', g.square(g.detach(x)), [x], { x });
    expect(() => gradCheck(badSquare, [[4]])).toThrow(/gradCheck failed/);
  });
});
