/** Test helpers: central-difference gradient checks in float64 on the CPU backend. */
import { JsBackend } from './backends/js';
import { Tensor, backward, noGrad, tidy } from './tensor';
import { mul } from './ops/elementwise';
import { sum } from './ops/broadcast';
import { Rng } from './rng';

export const f64 = new JsBackend('f64');

export interface GradCheckOptions {
  seed?: number;
  /** Sample inputs from (lo, hi); default (−2, 2). */
  range?: [number, number];
  /** Per-input ranges override `range` (e.g. positive denominators). */
  ranges?: ([number, number] | undefined)[];
  h?: number;
  atol?: number;
  rtol?: number;
  /** Check at most this many elements per input (evenly spread). */
  maxChecks?: number;
}

export interface GradCheckResult {
  maxAbsErr: number;
  worst: string;
  checked: number;
}

/**
 * Compare the autodiff gradient of L = Σ f(xs) · R (R a fixed random tensor) with central differences
 * (L(x + h) − L(x − h)) / 2h, element by element. Throws with the worst element if any is out of tolerance.
 */
export function gradCheck(f: (...xs: Tensor[]) => Tensor, shapes: number[][], o: GradCheckOptions = {}): GradCheckResult {
  const rng = new Rng(o.seed ?? 1);
  const h = o.h ?? 1e-6;
  const atol = o.atol ?? 1e-7;
  const rtol = o.rtol ?? 1e-6;
  const data = shapes.map((s, i) => {
    const [lo, hi] = o.ranges?.[i] ?? o.range ?? [-2, 2];
    return rng.fillUniform(new Float64Array(s.reduce((a, b) => a * b, 1)), lo, hi);
  });
  let outShape: readonly number[] = [];
  const loss = (vals: Float64Array[], withGrad: boolean): { value: number; grads: Float64Array[] } =>
    tidy(() => {
      const xs = vals.map((v, i) => Tensor.fromData(f64, v, shapes[i], withGrad));
      const y = withGrad ? f(...xs) : noGrad(() => f(...xs));
      outShape = y.shape;
      const r = Tensor.fromData(f64, new Rng(99).fillUniform(new Float64Array(y.size), -1, 1), y.shape);
      const l = sum(mul(y, r));
      const value = l.dataSync()[0];
      if (!withGrad) return { value, grads: [] };
      backward(l);
      const grads = xs.map((x) => Float64Array.from(x.grad === null ? new Float64Array(x.size) : x.grad.dataSync()));
      for (const x of xs) x.grad?.dispose();
      return { value, grads };
    });
  const { grads } = loss(data, true);
  let maxAbsErr = 0;
  let worst = '';
  let checked = 0;
  for (let i = 0; i < data.length; i++) {
    const n = data[i].length;
    const stride = Math.max(1, Math.floor(n / (o.maxChecks ?? 64)));
    for (let j = 0; j < n; j += stride) {
      const orig = data[i][j];
      data[i][j] = orig + h;
      const up = loss(data, false).value;
      data[i][j] = orig - h;
      const down = loss(data, false).value;
      data[i][j] = orig;
      const numeric = (up - down) / (2 * h);
      const err = Math.abs(numeric - grads[i][j]);
      checked++;
      if (err > maxAbsErr) {
        maxAbsErr = err;
        worst = `input ${i} [${j}]: autodiff ${grads[i][j]} vs numeric ${numeric}`;
      }
      if (!(err <= atol + rtol * Math.abs(numeric)))
        throw new Error(`gradCheck failed (out [${outShape}]): ${worst}; err ${err}`);
    }
  }
  return { maxAbsErr, worst, checked };
}
