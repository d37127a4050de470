/**
 * Elementwise ops: forward on the backend, backward beside it, built from the same ops.
 *
 * The rules live in one table keyed by op (the backend's `UnaryOp` and `BinaryOp` names, and `affine`), typed
 * `Rules<ElementwiseOps>`: a primitive added to the backend without a derivative fails to compile. `null` says,
 * explicitly, that an op has no gradient (`step`, `eq`).
 */
import type { BinaryOp, UnaryOp } from '../backend';
import { Tensor, recorder, type Rules } from '../tensor';
import { broadcastShapes, broadcastStrides } from './shape';
import { sumTo } from './broadcast';

/** What each op's forward saves for its backward. */
export type ElementwiseOps = { [P in UnaryOp]: { x: Tensor; out: Tensor } } & { [P in BinaryOp]: { a: Tensor; b: Tensor } } & {
  affine: { scale: number };
};

export const ELEMENTWISE_RULES: Rules<ElementwiseOps> = {
  /** d(-x) = -dx */
  neg: (g) => [neg(g)],
  /** d(exp x) = exp x · dx */
  exp: (g, { out }) => [mul(g, out)],
  /** d(log x) = dx / x */
  log: (g, { x }) => [div(g, x)],
  /** d(tanh x) = (1 − tanh² x) · dx */
  tanh: (g, { out }) => [mul(g, affine(square(out), -1, 1))],
  /** d(erf x) = 2/√π · exp(−x²) · dx */
  erf: (g, { x }) => [mul(g, affine(exp(neg(square(x))), 2 / Math.sqrt(Math.PI), 0))],
  /** d(√x) = dx / (2√x) */
  sqrt: (g, { out }) => [div(g, affine(out, 2, 0))],
  /** d(1/x) = −dx / x² */
  recip: (g, { out }) => [neg(mul(g, square(out)))],
  /** d(x²) = 2x · dx */
  square: (g, { x }) => [mul(g, affine(x, 2, 0))],
  /** d relu(x) = [x > 0] · dx (NOTE: 0 at x = 0, as PyTorch) */
  relu: (g, { x }) => [mul(g, step(x))],
  /** [x > 0]: no gradient. */
  step: null,
  /** d σ(x) = σ(x)(1 − σ(x)) · dx. A primitive: the composite 1/(1+e^−x) gives 0·∞ = NaN in backward for x ≪ 0. */
  sigmoid: (g, { out }) => [mul(g, mul(out, affine(out, -1, 1)))],

  /** d(a + b) = da + db (summed back over broadcast axes) */
  add: (g, { a, b }) => [sumTo(g, a.shape), sumTo(g, b.shape)],
  /** d(a − b) = da − db */
  sub: (g, { a, b }) => [sumTo(g, a.shape), b.requiresGrad ? neg(sumTo(g, b.shape)) : null],
  /** d(a · b) = b · da + a · db */
  mul: (g, { a, b }) => [a.requiresGrad ? sumTo(mul(g, b), a.shape) : null, b.requiresGrad ? sumTo(mul(g, a), b.shape) : null],
  /** d(a / b) = da / b − a · db / b² */
  div: (g, { a, b }) => [a.requiresGrad ? sumTo(div(g, b), a.shape) : null, b.requiresGrad ? sumTo(neg(div(mul(g, a), square(b))), b.shape) : null],
  /** [a == b]: no gradient. */
  eq: null,

  /** d(x·s + t) = s · dx */
  affine: (g, { scale }) => [affine(g, scale, 0)],
};

const record = recorder(ELEMENTWISE_RULES);

function unary(op: UnaryOp, x: Tensor): Tensor {
  const out = Tensor.fromBuffer(x.backend, x.backend.unary(op, x.buf), x.shape);
  return record(op, out, [x], { x, out });
}

function binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  if (a.backend !== b.backend) throw new Error(`${op}: tensors on different backends`);
  const shape = broadcastShapes(a.shape, b.shape);
  const av = { buf: a.buf, strides: broadcastStrides(a.shape, shape), offset: 0 };
  const bv = { buf: b.buf, strides: broadcastStrides(b.shape, shape), offset: 0 };
  const out = Tensor.fromBuffer(a.backend, a.backend.binary(op, av, bv, shape), shape);
  return record(op, out, [a, b], { a, b });
}

export function neg(x: Tensor): Tensor {
  return unary('neg', x);
}
export function exp(x: Tensor): Tensor {
  return unary('exp', x);
}
export function log(x: Tensor): Tensor {
  return unary('log', x);
}
export function tanh(x: Tensor): Tensor {
  return unary('tanh', x);
}
export function erf(x: Tensor): Tensor {
  return unary('erf', x);
}
export function sqrt(x: Tensor): Tensor {
  return unary('sqrt', x);
}
export function recip(x: Tensor): Tensor {
  return unary('recip', x);
}
export function square(x: Tensor): Tensor {
  return unary('square', x);
}
export function relu(x: Tensor): Tensor {
  return unary('relu', x);
}
/** [x > 0], no gradient. */
export function step(x: Tensor): Tensor {
  return unary('step', x);
}
export function sigmoid(x: Tensor): Tensor {
  return unary('sigmoid', x);
}

/** x · scale + shift */
export function affine(x: Tensor, scale: number, shift: number): Tensor {
  return record('affine', Tensor.fromBuffer(x.backend, x.backend.affine(x.buf, scale, shift), x.shape), [x], { scale });
}

export const scale = (x: Tensor, s: number): Tensor => affine(x, s, 0);
export const addScalar = (x: Tensor, s: number): Tensor => affine(x, 1, s);

export function add(a: Tensor, b: Tensor): Tensor {
  return binary('add', a, b);
}
export function sub(a: Tensor, b: Tensor): Tensor {
  return binary('sub', a, b);
}
export function mul(a: Tensor, b: Tensor): Tensor {
  return binary('mul', a, b);
}
export function div(a: Tensor, b: Tensor): Tensor {
  return binary('div', a, b);
}
/** [a == b], no gradient. */
export function eq(a: Tensor, b: Tensor): Tensor {
  return binary('eq', a, b);
}

/** A copy of x with no autodiff record (stop-gradient). */
export function detach(x: Tensor): Tensor {
  return x.alias();
}
