/**
 * Reductions over axes: mean (a sum and an affine) and max, whose rule is the one table entry below
 * (`ReduceOps`). sum, and sumTo — the backward of broadcasting — are in ./broadcast.
 */
import { Tensor, recorder, type Rules } from '../tensor';
import { normAxis } from './shape';
import { axesOf, dropAxes, reduceAxis, reshapeOwned, sum } from './broadcast';
import { affine, div, eq, mul } from './elementwise';

/** What each op's forward saves for its backward. */
export interface ReduceOps {
  /** `axis` normalised; `kept`: the max with that axis kept as 1 */
  max: { x: Tensor; out: Tensor; axis: number; kept: readonly number[] };
}

export const REDUCE_RULES: Rules<ReduceOps> = {
  /** d max(x) = dy · [x = max] / #ties (ties share the gradient, like torch.amax) */
  max: (g, { x, out, axis, kept }) => {
    const hit = eq(x, out.alias(kept));
    const share = div(hit, sum(hit, axis, true));
    return [mul(share, g.alias(kept))];
  },
};

const record = recorder(REDUCE_RULES);

/** Mean over `axes` (all when absent): Σ x / n. */
export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = axesOf(x, axes);
  const n = ax.reduce((acc, a) => acc * x.shape[a], 1);
  return affine(sum(x, ax, keepDims), 1 / n, 0);
}

/** Max over one axis. */
export function max(x: Tensor, axis: number, keepDims = false): Tensor {
  const a = normAxis(axis, x.rank);
  const m = reduceAxis('max', x, a);
  const out = keepDims ? m : reshapeOwned(m, dropAxes(x.shape, [a]));
  return record('max', out, [x], { x, out, axis: a, kept: m.shape });
}
