/**
 * Movement ops: reshape (shares storage), permute / slice / concat (copies), gather (embedding lookup), on the
 * backend's `copy`, `writeInto`, `gather` and `scatterAdd`. Their rules: one table keyed by op (`MovementOps`).
 */
import { sizeOf, stridesOf } from '../backend';
import { Tensor, recorder, type Rules } from '../tensor';
import { normAxis } from './shape';

/** What each op's forward saves for its backward. */
export interface MovementOps {
  reshape: { x: Tensor };
  permute: { inv: number[] };
  /** `offset`: the slice's first element in x */
  slice: { x: Tensor; offset: number; shape: number[] };
  concat: { xs: readonly Tensor[]; axis: number; starts: number[] };
  gather: { table: Tensor; rowSize: number; idx: Int32Array };
  segmentSum: { idx: Int32Array };
}

export const MOVEMENT_RULES: Rules<MovementOps> = {
  /** d reshape = dy reshaped back (shares storage) */
  reshape: (g, { x }) => [g.alias(x.shape)],
  /** d permute = dy permuted by the inverse permutation */
  permute: (g, { inv }) => [permute(g, inv)],
  /** d slice = dy written into zeros of x's shape */
  slice: (g, { x, offset, shape }) => {
    const full = Tensor.zeros(g.backend, x.shape);
    g.backend.writeInto({ buf: full.buf, strides: stridesOf(x.shape), offset }, shape, g.buf);
    return [full];
  },
  /** d concat = the matching slices of dy */
  concat: (g, { xs, axis, starts }) => xs.map((x, i) => (x.requiresGrad ? slice(g, axis, starts[i], starts[i] + x.shape[axis]) : null)),
  /** d gather = scatter-add of dy into zero rows */
  gather: (g, { table, rowSize, idx }) => [Tensor.fromBuffer(g.backend, g.backend.scatterAdd(g.buf, rowSize, idx, table.shape[0]), table.shape)],
  /** d segmentSum = dy gathered at each row's segment */
  segmentSum: (g, { idx }) => [gather(g, idx, [idx.length])],
};

const record = recorder(MOVEMENT_RULES);

/** x with another shape (same size), sharing storage. One dimension may be -1. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = [...shape];
  const hole = s.indexOf(-1);
  if (hole >= 0) s[hole] = x.size / -sizeOf(s);
  if (sizeOf(s) !== x.size || s.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`reshape: [${x.shape}] to [${shape}]`);
  return record('reshape', x.alias(s), [x], { x });
}

/** out axis i is x axis perm[i]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) throw new Error(`permute: bad permutation [${perm}] for rank ${x.rank}`);
  const xs = stridesOf(x.shape);
  const shape = perm.map((p) => x.shape[p]);
  const buf = x.backend.copy({ buf: x.buf, strides: perm.map((p) => xs[p]), offset: 0 }, shape);
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return record('permute', Tensor.fromBuffer(x.backend, buf, shape), [x], { inv });
}

/** Swap two axes. */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const perm = x.shape.map((_, i) => i);
  const i = normAxis(a, x.rank);
  const j = normAxis(b, x.rank);
  perm[i] = j;
  perm[j] = i;
  return permute(x, perm);
}

/** x[start:end] along one axis. */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const a = normAxis(axis, x.rank);
  if (!(0 <= start && start <= end && end <= x.shape[a])) throw new Error(`slice: [${start}, ${end}) of axis ${a} (size ${x.shape[a]})`);
  const xs = stridesOf(x.shape);
  const shape = x.shape.map((d, i) => (i === a ? end - start : d));
  const buf = x.backend.copy({ buf: x.buf, strides: xs, offset: start * xs[a] }, shape);
  return record('slice', Tensor.fromBuffer(x.backend, buf, shape), [x], { x, offset: start * xs[a], shape });
}

/** Join along one axis. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new Error('concat: no tensors');
  const first = xs[0];
  const a = normAxis(axis, first.rank);
  for (const x of xs)
    if (x.rank !== first.rank || x.shape.some((d, i) => i !== a && d !== first.shape[i])) throw new Error(`concat: [${x.shape}] vs [${first.shape}] on axis ${a}`);
  const shape = first.shape.map((d, i) => (i === a ? xs.reduce((n, x) => n + x.shape[a], 0) : d));
  const out = Tensor.zeros(first.backend, shape);
  const os = stridesOf(shape);
  const starts: number[] = [];
  let at = 0;
  for (const x of xs) {
    starts.push(at);
    first.backend.writeInto({ buf: out.buf, strides: os, offset: at * os[a] }, x.shape, x.buf);
    at += x.shape[a];
  }
  return record('concat', out, xs, { xs, axis: a, starts });
}

/** Rows of a [rows, ...row] table at integer indices: out [...idxShape, ...row]. */
export function gather(table: Tensor, idx: Int32Array, idxShape: readonly number[] = [idx.length]): Tensor {
  if (sizeOf(idxShape) !== idx.length) throw new Error(`gather: ${idx.length} indices for shape [${idxShape}]`);
  const rowShape = table.shape.slice(1);
  const rowSize = sizeOf(rowShape);
  const buf = table.backend.gather(table.buf, rowSize, idx);
  return record('gather', Tensor.fromBuffer(table.backend, buf, [...idxShape, ...rowShape]), [table], { table, rowSize, idx });
}

/** out = zeros([segments, …]); out[idx[i]] += x[i] (a sparse bag's per-document sum). */
export function segmentSum(x: Tensor, idx: Int32Array, segments: number): Tensor {
  if (idx.length !== x.shape[0]) throw new Error(`segmentSum: ${idx.length} segment ids for [${x.shape}]`);
  const rowShape = x.shape.slice(1);
  const rowSize = sizeOf(rowShape);
  return record('segmentSum', Tensor.fromBuffer(x.backend, x.backend.scatterAdd(x.buf, rowSize, idx, segments), [segments, ...rowShape]), [x], { idx });
}
