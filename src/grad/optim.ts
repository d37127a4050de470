/** Optimiser and learning-rate schedules. Updates run under noGrad and replace parameter storage in place. */
import { Tensor, noGrad, tidy } from './tensor';
import { add, affine, div, mul, recip, relu, scale, sqrt, square, sub } from './ops/elementwise';
import { sum } from './ops/broadcast';

export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Which parameters get weight decay (default: all). HF's Trainer exempts biases and LayerNorm weights. */
  decays?: (p: Tensor) => boolean;
}

/**
 * AdamW exactly as torch.optim.AdamW: p ← p·(1 − lr·wd); m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
 * p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + eps).
 */
export class AdamW {
  readonly params: Tensor[];
  private readonly m = new Map<Tensor, Tensor>();
  private readonly v = new Map<Tensor, Tensor>();
  step = 0;
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly decays: (p: Tensor) => boolean;

  constructor(params: Iterable<Tensor>, o: AdamWOptions) {
    this.params = [...params];
    this.lr = o.lr;
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? 0.01;
    this.decays = o.decays ?? (() => true);
  }

  /** One update from each parameter's `.grad` (parameters without a grad are skipped). */
  update(): void {
    this.step++;
    const bc1 = 1 - this.beta1 ** this.step;
    const bc2 = 1 - this.beta2 ** this.step;
    const lr = this.lr;
    for (const p of this.params) {
      const g = p.grad;
      if (g === null) continue;
      tidy(() =>
        noGrad(() => {
          const m0 = this.m.get(p);
          const v0 = this.v.get(p);
          const m = m0 === undefined ? scale(g, 1 - this.beta1) : add(scale(m0, this.beta1), scale(g, 1 - this.beta1));
          const v = v0 === undefined ? scale(square(g), 1 - this.beta2) : add(scale(v0, this.beta2), scale(square(g), 1 - this.beta2));
          const denom = affine(sqrt(v), 1 / Math.sqrt(bc2), this.eps);
          const decayed = this.weightDecay !== 0 && this.decays(p) ? scale(p, 1 - lr * this.weightDecay) : p;
          const next = add(decayed, scale(div(m, denom), -lr / bc1));
          p.assign(next);
          m0?.dispose();
          v0?.dispose();
          this.m.set(p, m.keep());
          this.v.set(p, v.keep());
        }),
      );
    }
  }

  /** Free the moment buffers. */
  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}

/**
 * Scale all gradients so their global L2 norm is at most maxNorm (torch.nn.utils.clip_grad_norm_:
 * coef = min(1, maxNorm / (norm + 1e-6))). Stays on the device: no readback. Returns the norm (caller owns it).
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): Tensor {
  const ps = [...params].filter((p) => p.grad !== null);
  if (ps.length === 0) throw new Error('clipGradNorm: no gradients');
  return noGrad(() => {
    const norm = tidy(() => {
      let total: Tensor | null = null;
      for (const p of ps) {
        const s = sum(square(p.grad as Tensor));
        total = total === null ? s : add(total, s);
      }
      return sqrt(total as Tensor);
    });
    tidy(() => {
      // coef = min(1, c) = c − relu(c − 1), c = maxNorm / (norm + 1e-6)
      const c = scale(recip(affine(norm, 1, 1e-6)), maxNorm);
      const clipped = sub(c, relu(affine(c, 1, -1)));
      for (const p of ps) {
        const g = p.grad as Tensor;
        const next = mul(g, clipped);
        g.assign(next);
      }
    });
    return norm;
  });
}

export type ScheduleKind = 'constant' | 'linear' | 'cosine';

export interface Schedule {
  kind: ScheduleKind;
  peakLr: number;
  warmupSteps: number;
  totalSteps: number;
}

/**
 * Learning rate before optimiser step `step` (0-based), as HF's get_{constant,linear,cosine}_schedule_with_warmup:
 * warmup lr·s/w, then constant 1, linear (T − s)/(T − w), or cosine ½(1 + cos(π·progress)), never below 0.
 */
export function learningRate(s: Schedule, step: number): number {
  const { warmupSteps: w, totalSteps: T } = s;
  if (step < w) return (s.peakLr * step) / Math.max(1, w);
  const progress = (step - w) / Math.max(1, T - w);
  switch (s.kind) {
    case 'constant':
      return s.peakLr;
    case 'linear':
      return s.peakLr * Math.max(0, (T - step) / Math.max(1, T - w));
    case 'cosine':
      return s.peakLr * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
    default:
      s.kind satisfies never;
      throw new Error(`unknown schedule ${String(s.kind)}`);
  }
}
