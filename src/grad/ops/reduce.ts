/** Reductions over axes: sum, mean, max; and sumTo, the backward of broadcasting. */
import { Tensor, record } from '../tensor';
import { broadcastStrides, normAxis, sameShape } from './shape';
import { div, eq, expand, mul } from './elementwise';

function reduceAxis(op: 'sum' | 'max', x: Tensor, axis: number): Tensor {
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const kept = x.shape.map((d, i) => (i === axis ? 1 : d));
  return Tensor.fromBuffer(x.backend, x.backend.reduce(op, x.buf, outer, x.shape[axis], inner), kept);
}

function axesOf(x: Tensor, axes: number | readonly number[] | undefined): number[] {
  if (axes === undefined) return x.shape.map((_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  return [...new Set(list.map((a) => normAxis(a, x.rank)))].sort((a, b) => a - b);
}

function dropAxes(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.filter((_, i) => !axes.includes(i));
}

/** d Σx = broadcast of dy back over the summed axes */
export function sum(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = axesOf(x, axes);
  let cur = x.alias();
  for (const a of ax) {
    const next = reduceAxis('sum', cur, a);
    cur.dispose();
    cur = next;
  }
  const outShape = keepDims ? cur.shape : dropAxes(x.shape, ax);
  const out = outShape === cur.shape ? cur : reshapeOwned(cur, outShape);
  return record(out, [x], (g) => [expand(g.alias(cur.shape), x.shape)]);
}

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

/** Sum a broadcast gradient back to `shape` (the backward of every broadcasting op). */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const strides = broadcastStrides(shape, g.shape);
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) if (strides[i] === 0 && g.shape[i] !== 1) axes.push(i);
  const s = axes.length > 0 ? sum(g, axes, true) : g;
  return s.alias(shape);
}

/** A tensor of `shape` over the storage of a fresh, unrecorded result; the original handle is released. */
function reshapeOwned(t: Tensor, shape: readonly number[]): Tensor {
  const r = t.alias(shape);
  t.dispose();
  return r;
}

function scaleBy(x: Tensor, s: number): Tensor {
  const out = Tensor.fromBuffer(x.backend, x.backend.affine(x.buf, s, 0), x.shape);
  return record(out, [x], (g) => [Tensor.fromBuffer(g.backend, g.backend.affine(g.buf, s, 0), g.shape)]);
}
