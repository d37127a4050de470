/** Elementwise ops: forward on the backend, backward beside it, built from the same ops. */
import type { BinaryOp, UnaryOp } from '../backend';
import { Tensor, record } from '../tensor';
import { broadcastShapes, broadcastStrides } from './shape';
import { sumTo } from './broadcast';

function unaryPrim(op: UnaryOp, x: Tensor): Tensor {
  return Tensor.fromBuffer(x.backend, x.backend.unary(op, x.buf), x.shape);
}

function binaryPrim(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  if (a.backend !== b.backend) throw new Error(`${op}: tensors on different backends`);
  const shape = broadcastShapes(a.shape, b.shape);
  const av = { buf: a.buf, strides: broadcastStrides(a.shape, shape), offset: 0 };
  const bv = { buf: b.buf, strides: broadcastStrides(b.shape, shape), offset: 0 };
  return Tensor.fromBuffer(a.backend, a.backend.binary(op, av, bv, shape), shape);
}

/** d(-x) = -dx */
export function neg(x: Tensor): Tensor {
  return record(unaryPrim('neg', x), [x], (g) => [neg(g)]);
}

/** d(exp x) = exp x · dx */
export function exp(x: Tensor): Tensor {
  const out = unaryPrim('exp', x);
  return record(out, [x], (g) => [mul(g, out)]);
}

/** d(log x) = dx / x */
export function log(x: Tensor): Tensor {
  return record(unaryPrim('log', x), [x], (g) => [div(g, x)]);
}

/** d(tanh x) = (1 − tanh² x) · dx */
export function tanh(x: Tensor): Tensor {
  const out = unaryPrim('tanh', x);
  return record(out, [x], (g) => [mul(g, affine(square(out), -1, 1))]);
}

/** d(erf x) = 2/√π · exp(−x²) · dx */
export function erf(x: Tensor): Tensor {
  return record(unaryPrim('erf', x), [x], (g) => [mul(g, affine(exp(neg(square(x))), 2 / Math.sqrt(Math.PI), 0))]);
}

/** d(√x) = dx / (2√x) */
export function sqrt(x: Tensor): Tensor {
  const out = unaryPrim('sqrt', x);
  return record(out, [x], (g) => [div(g, affine(out, 2, 0))]);
}

/** d(1/x) = −dx / x² */
export function recip(x: Tensor): Tensor {
  const out = unaryPrim('recip', x);
  return record(out, [x], (g) => [neg(mul(g, square(out)))]);
}

/** d(x²) = 2x · dx */
export function square(x: Tensor): Tensor {
  return record(unaryPrim('square', x), [x], (g) => [mul(g, affine(x, 2, 0))]);
}

/** d relu(x) = [x > 0] · dx (NOTE: 0 at x = 0, as PyTorch) */
export function relu(x: Tensor): Tensor {
  return record(unaryPrim('relu', x), [x], (g) => [mul(g, step(x))]);
}

/** [x > 0], no gradient. */
export function step(x: Tensor): Tensor {
  return unaryPrim('step', x);
}

/** d σ(x) = σ(x)(1 − σ(x)) · dx. A primitive: the composite 1/(1+e^−x) gives 0·∞ = NaN in backward for x ≪ 0. */
export function sigmoid(x: Tensor): Tensor {
  const out = unaryPrim('sigmoid', x);
  return record(out, [x], (g) => [mul(g, mul(out, affine(out, -1, 1)))]);
}

/** d(x·s + t) = s · dx */
export function affine(x: Tensor, scale: number, shift: number): Tensor {
  const out = Tensor.fromBuffer(x.backend, x.backend.affine(x.buf, scale, shift), x.shape);
  return record(out, [x], (g) => [affine(g, scale, 0)]);
}

export const scale = (x: Tensor, s: number): Tensor => affine(x, s, 0);
export const addScalar = (x: Tensor, s: number): Tensor => affine(x, 1, s);

/** d(a + b) = da + db (summed back over broadcast axes) */
export function add(a: Tensor, b: Tensor): Tensor {
  return record(binaryPrim('add', a, b), [a, b], (g) => [sumTo(g, a.shape), sumTo(g, b.shape)]);
}

/** d(a − b) = da − db */
export function sub(a: Tensor, b: Tensor): Tensor {
  return record(binaryPrim('sub', a, b), [a, b], (g) => [sumTo(g, a.shape), b.requiresGrad ? neg(sumTo(g, b.shape)) : null]);
}

/** d(a · b) = b · da + a · db */
export function mul(a: Tensor, b: Tensor): Tensor {
  return record(binaryPrim('mul', a, b), [a, b], (g) => [
    a.requiresGrad ? sumTo(mul(g, b), a.shape) : null,
    b.requiresGrad ? sumTo(mul(g, a), b.shape) : null,
  ]);
}

/** d(a / b) = da / b − a · db / b² */
export function div(a: Tensor, b: Tensor): Tensor {
  return record(binaryPrim('div', a, b), [a, b], (g) => [
    a.requiresGrad ? sumTo(div(g, b), a.shape) : null,
    b.requiresGrad ? sumTo(neg(div(mul(g, a), square(b))), b.shape) : null,
  ]);
}

/** [a == b], no gradient. */
export function eq(a: Tensor, b: Tensor): Tensor {
  return binaryPrim('eq', a, b);
}

/** A copy of x with no autodiff record (stop-gradient). */
export function detach(x: Tensor): Tensor {
  return x.alias();
}
