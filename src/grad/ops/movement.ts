/** Movement ops: reshape (shares storage), permute / slice / concat (copies), gather (embedding lookup). */
import { sizeOf, stridesOf } from '../backend';
import { Tensor, record } from '../tensor';
import { normAxis } from './shape';

/** d reshape = reshape of dy back. Shares storage with x. One dimension may be -1. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = [...shape];
  const hole = s.indexOf(-1);
  if (hole >= 0) s[hole] = x.size / -sizeOf(s);
  if (sizeOf(s) !== x.size || s.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`reshape: [${x.shape}] to [${shape}]`);
  return record(x.alias(s), [x], (g) => [g.alias(x.shape)]);
}

/** out axis i is x axis perm[i]. d permute = permute of dy by the inverse permutation. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) throw new Error(`permute: bad permutation [${perm}] for rank ${x.rank}`);
  const xs = stridesOf(x.shape);
  const shape = perm.map((p) => x.shape[p]);
  const buf = x.backend.copy({ buf: x.buf, strides: perm.map((p) => xs[p]), offset: 0 }, shape);
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return record(Tensor.fromBuffer(x.backend, buf, shape), [x], (g) => [permute(g, inv)]);
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

/** x[start:end] along one axis. d slice = dy written into zeros of x's shape. */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const a = normAxis(axis, x.rank);
  if (!(0 <= start && start <= end && end <= x.shape[a])) throw new Error(`slice: [${start}, ${end}) of axis ${a} (size ${x.shape[a]})`);
  const xs = stridesOf(x.shape);
  const shape = x.shape.map((d, i) => (i === a ? end - start : d));
  const view = { strides: xs, offset: start * xs[a] };
  const buf = x.backend.copy({ buf: x.buf, ...view }, shape);
  return record(Tensor.fromBuffer(x.backend, buf, shape), [x], (g) => {
    const full = Tensor.zeros(g.backend, x.shape);
    g.backend.writeInto({ buf: full.buf, ...view }, shape, g.buf);
    return [full];
  });
}

/** Join along one axis. d concat = the matching slices of dy. */
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
  return record(out, xs, (g) => xs.map((x, i) => (x.requiresGrad ? slice(g, a, starts[i], starts[i] + x.shape[a]) : null)));
}

/** Rows of a [rows, ...row] table at integer indices: out [...idxShape, ...row]. d gather = scatter-add of dy. */
export function gather(table: Tensor, idx: Int32Array, idxShape: readonly number[] = [idx.length]): Tensor {
  if (sizeOf(idxShape) !== idx.length) throw new Error(`gather: ${idx.length} indices for shape [${idxShape}]`);
  const rows = table.shape[0];
  const rowShape = table.shape.slice(1);
  const rowSize = sizeOf(rowShape);
  const buf = table.backend.gather(table.buf, rowSize, idx);
  const out = Tensor.fromBuffer(table.backend, buf, [...idxShape, ...rowShape]);
  return record(out, [table], (g) => [Tensor.fromBuffer(g.backend, g.backend.scatterAdd(g.buf, rowSize, idx, rows), table.shape)]);
}
