// GELU (exact, erf form) in one pass each way, computing the very float32 operations of the composed form
// (functional.ts `geluComposed`: scale, erf, addScalar, mul, and their backward rules) in the same order, so the
// fused and composed forms give identical bits. Buffers are padded to whole vectors: ranges are multiples of 4.
import { erf4, exp4 } from './math';

/** y = (x·½) · (erf(x·√½) + 1) */
export function gelu(x: usize, out: usize, rsqrt2: f32, start: i32, end: i32): void {
  const half = f32x4.splat(0.5);
  const r = f32x4.splat(rsqrt2);
  const one = f32x4.splat(1);
  for (let i = start; i < end; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    v128.store(out + o, f32x4.mul(f32x4.mul(v, half), f32x4.add(erf4(f32x4.mul(v, r)), one)));
  }
}

/**
 * dx for y = h · a, h = x·½, a = erf(t) + 1, t = x·√½: dh = g·a, da = g·h, dt = da · (exp(−t²)·(2/√π)),
 * dx = dh·½ + dt·√½ (each product as its own float32 rounding, as the composed rules do).
 */
export function geluGrad(x: usize, g: usize, out: usize, rsqrt2: f32, twoRsqrtPi: f32, start: i32, end: i32): void {
  const half = f32x4.splat(0.5);
  const r = f32x4.splat(rsqrt2);
  const c = f32x4.splat(twoRsqrtPi);
  const one = f32x4.splat(1);
  for (let i = start; i < end; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    const gv = v128.load(g + o);
    const t = f32x4.mul(v, r);
    const a = f32x4.add(erf4(t), one);
    const h = f32x4.mul(v, half);
    const dh = f32x4.mul(gv, a);
    const da = f32x4.mul(gv, h);
    const dt = f32x4.mul(da, f32x4.mul(exp4(f32x4.neg(f32x4.mul(t, t))), c));
    v128.store(out + o, f32x4.add(f32x4.mul(dh, half), f32x4.mul(dt, r)));
  }
}
