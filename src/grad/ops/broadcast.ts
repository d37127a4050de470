/**
 * Broadcasting and its adjoint: `expand` (x broadcast to a shape) and `sum` (over axes) are each other's
 * backward, and `sumTo` sums a broadcast gradient back to a shape (the backward of every broadcasting op).
 * They live together so that elementwise.ts and reduce.ts both import down to here (no cycle). Rules: one
 * table keyed by op (`BroadcastOps`); `sumTo` is not an op of its own (a `sum` and a reshape).
 */
import { Tensor, recorder, type Rules } from '../tensor';
import { broadcastShapes, broadcastStrides, normAxis, sameShape } from './shape';
import { reshape } from './movement';

/** What each op's forward saves for its backward. */
export interface BroadcastOps {
  /** `kept`: the summed shape with the summed axes kept as 1 */
  sum: { x: Tensor; kept: readonly number[] };
  expand: { x: Tensor };
}

export const BROADCAST_RULES: Rules<BroadcastOps> = {
  /** d Σx = broadcast of dy back over the summed axes */
  sum: (g, { x, kept }) => [expand(g.alias(kept), x.shape)],
  /** d expand = dy summed back over the broadcast axes */
  expand: (g, { x }) => [sumTo(g, x.shape)],
};

const record = recorder(BROADCAST_RULES);

export function reduceAxis(op: 'sum' | 'max', x: Tensor, axis: number): Tensor {
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const kept = x.shape.map((d, i) => (i === axis ? 1 : d));
  return Tensor.fromBuffer(x.backend, x.backend.reduce(op, x.buf, outer, x.shape[axis], inner), kept);
}

export function axesOf(x: Tensor, axes: number | readonly number[] | undefined): number[] {
  if (axes === undefined) return x.shape.map((_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  return [...new Set(list.map((a) => normAxis(a, x.rank)))].sort((a, b) => a - b);
}

export function dropAxes(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.filter((_, i) => !axes.includes(i));
}

/** Σ x over `axes` (all when absent). */
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
  return record('sum', out, [x], { x, kept: cur.shape });
}

/** x broadcast to `shape` (materialised; the same shape is a reshape that shares storage). */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(x.shape, shape)) return reshape(x, shape);
  broadcastShapes(x.shape, shape);
  const buf = x.backend.copy({ buf: x.buf, strides: broadcastStrides(x.shape, shape), offset: 0 }, shape);
  return record('expand', Tensor.fromBuffer(x.backend, buf, shape), [x], { x });
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
export function reshapeOwned(t: Tensor, shape: readonly number[]): Tensor {
  const r = t.alias(shape);
  t.dispose();
  return r;
}
