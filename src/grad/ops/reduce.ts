/** Reductions over axes: mean and max (sum, and sumTo — the backward of broadcasting — are in ./broadcast). */
import { Tensor, record } from '../tensor';
import { normAxis } from './shape';
import { axesOf, dropAxes, reduceAxis, reshapeOwned, sum } from './broadcast';
import { div, eq, mul } from './elementwise';

export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = axesOf(x, axes);
  const n = ax.reduce((acc, a) => acc * x.shape[a], 1);
  const s = sum(x, ax, keepDims);
  const out = scaleBy(s, 1 / n);
  return out;
}

/** d max(x) = dy · [x = max] / #ties (ties share the gradient, like torch.amax) */
export function max(x: Tensor, axis: number, keepDims = false): Tensor {
  const a = normAxis(axis, x.rank);
  const m = reduceAxis('max', x, a);
  const out = keepDims ? m : reshapeOwned(m, dropAxes(x.shape, [a]));
  return record(out, [x], (g) => {
    const mk = out.alias(m.shape);
    const hit = eq(x, mk);
    const share = div(hit, sum(hit, a, true));
    return [mul(share, g.alias(m.shape))];
  });
}

function scaleBy(x: Tensor, s: number): Tensor {
  const out = Tensor.fromBuffer(x.backend, x.backend.affine(x.buf, s, 0), x.shape);
  return record(out, [x], (g) => [Tensor.fromBuffer(g.backend, g.backend.affine(g.buf, s, 0), g.shape)]);
}
