/**
 * Composite ops, built only from the primitives in ops/: their gradients come from autodiff for free.
 * Each is tested against central differences like the primitives.
 */
import type { Backend } from './backend';
import { Tensor, noGrad } from './tensor';
import { add, addScalar, affine, erf, exp, log, mul, neg, recip, scale, sigmoid, sqrt, square, sub, tanh } from './ops/elementwise';
import { matmul } from './ops/matmul';
import { concat, slice } from './ops/movement';
import { sum } from './ops/broadcast';
import { max, mean } from './ops/reduce';
import { fusesGelu, fusesNormalize, fusesSoftmax, geluFused, normalizeLast, softmaxLast } from './ops/fused';
import type { Rng } from './rng';

/** softmax along `axis`: e^(x − max) / Σ e^(x − max). NOTE: the max is detached; softmax is shift-invariant. */
export function softmax(x: Tensor, axis = -1): Tensor {
  if ((axis === -1 || axis === x.rank - 1) && fusesSoftmax(x)) return softmaxLast(x);
  return softmaxComposed(x, axis);
}

/** The composed softmax: the reference the fused kernel is tested against. */
export function softmaxComposed(x: Tensor, axis = -1): Tensor {
  const m = noGrad(() => max(x, axis, true));
  const e = exp(sub(x, m));
  return mul(e, recip(sum(e, axis, true)));
}

/** log-softmax along `axis`: (x − max) − log Σ e^(x − max), stable for large |x|. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const m = noGrad(() => max(x, axis, true));
  const shifted = sub(x, m);
  return sub(shifted, log(sum(exp(shifted), axis, true)));
}

/** GELU, exact (erf) form: ½ x (1 + erf(x / √2)); one kernel each way where the backend fuses it. */
export function gelu(x: Tensor): Tensor {
  return fusesGelu(x) ? geluFused(x) : geluComposed(x);
}

/** The composed GELU: the reference the fused kernel is tested against (bit for bit on wasm). */
export function geluComposed(x: Tensor): Tensor {
  return mul(scale(x, 0.5), addScalar(erf(scale(x, Math.SQRT1_2)), 1));
}

/** GELU, tanh approximation (HF gelu_new / gelu_pytorch_tanh): ½ x (1 + tanh(√(2/π)(x + 0.044715 x³))). */
export function geluTanh(x: Tensor): Tensor {
  const inner = scale(add(x, scale(mul(x, square(x)), 0.044715)), Math.sqrt(2 / Math.PI));
  return mul(scale(x, 0.5), addScalar(tanh(inner), 1));
}

/** SiLU (swish): x · σ(x). */
export function silu(x: Tensor): Tensor {
  return mul(x, sigmoid(x));
}

/** Layer norm over the last axis: (x − μ) / √(σ² + eps) · w (+ b). σ² is the biased variance, as PyTorch. */
export function layerNorm(x: Tensor, weight: Tensor, bias: Tensor | null, eps: number): Tensor {
  if (!fusesNormalize(x)) return layerNormComposed(x, weight, bias, eps);
  const y = mul(normalizeLast(x, eps), weight);
  return bias === null ? y : add(y, bias);
}

/** The composed layer norm: the reference the fused kernel is tested against. */
export function layerNormComposed(x: Tensor, weight: Tensor, bias: Tensor | null, eps: number): Tensor {
  const xc = sub(x, mean(x, -1, true));
  const rstd = recip(sqrt(addScalar(mean(square(xc), -1, true), eps)));
  const y = mul(mul(xc, rstd), weight);
  return bias === null ? y : add(y, bias);
}

/** y = x · Wᵀ (+ b), W stored [out, in] as in PyTorch / HF. */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const y = matmul(x, weight, { transB: true });
  return bias === null ? y : add(y, bias);
}

/**
 * Mean cross-entropy of logits [n, classes] against integer labels: −mean_i log softmax(x_i)[label_i].
 * The one-hot is built on the host (labels are host data anyway).
 */
export function crossEntropy(logits: Tensor, labels: ArrayLike<number>): Tensor {
  const [n, c] = logits.shape;
  if (logits.rank !== 2 || labels.length !== n) throw new Error(`crossEntropy: logits [${logits.shape}] with ${labels.length} labels`);
  const oneHot = new Float32Array(n * c);
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (!(Number.isInteger(l) && l >= 0 && l < c)) throw new Error(`crossEntropy: label ${l} not in [0, ${c})`);
    oneHot[i * c + l] = 1;
  }
  const picked = sum(mul(logSoftmax(logits, -1), Tensor.fromData(logits.backend, oneHot, [n, c])));
  return scale(picked, -1 / n);
}

/** Inverted dropout with a seeded mask: x · [u ≥ p] / (1 − p). Identity when p = 0. */
export function dropout(x: Tensor, p: number, rng: Rng): Tensor {
  if (p <= 0) return affine(x, 1, 0);
  if (p >= 1) throw new Error('dropout: p must be < 1');
  const s = 1 / (1 - p);
  const be = x.backend;
  if (be.dropoutMask) {
    // the same mask, drawn on the device (no host loop, no upload)
    const [hi, lo] = rng.skip(x.size);
    return mul(x, Tensor.fromBuffer(be, be.dropoutMask(x.size, p, s, hi, lo), x.shape));
  }
  const keep = new Float32Array(x.size);
  for (let i = 0; i < keep.length; i++) keep[i] = rng.uniform() >= p ? s : 0;
  return mul(x, Tensor.fromData(x.backend, keep, x.shape));
}

/** cos / sin tables [seq, dim] for rotary embeddings: angle(pos, i) = pos · θ^(−2(i mod dim/2)/dim). */
export function rotaryTables(backend: Backend, seq: number, dim: number, theta: number): { cos: Tensor; sin: Tensor } {
  const half = dim / 2;
  const cos = new Float32Array(seq * dim);
  const sin = new Float32Array(seq * dim);
  for (let p = 0; p < seq; p++)
    for (let i = 0; i < dim; i++) {
      // NOTE: PyTorch computes inv_freq and the angle in float32; Math.fround matches it to the last bit.
      const inv = Math.fround(1 / Math.fround(theta ** Math.fround((2 * (i % half)) / dim)));
      const ang = Math.fround(p * inv);
      cos[p * dim + i] = Math.cos(ang);
      sin[p * dim + i] = Math.sin(ang);
    }
  return { cos: Tensor.fromData(backend, cos, [seq, dim]), sin: Tensor.fromData(backend, sin, [seq, dim]) };
}

/** Rotary position embedding on x [..., seq, dim]: x · cos + rotate_half(x) · sin, rotate_half = [−x₂, x₁]. */
export function rotary(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  const d = x.shape[x.rank - 1];
  const rot = concat([neg(slice(x, -1, d / 2, d)), slice(x, -1, 0, d / 2)], -1);
  return add(mul(x, cos), mul(rot, sin));
}
