// float32 elementary functions on 4 lanes (Cephes-style range reduction + minimax polynomials), NaN/±∞ handled.
// NOTE: no FMA here in either build, so both builds give the same unary results.

const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;

// @ts-ignore: decorator
@inline function poly(x: v128, c0: f32, c1: f32): v128 {
  return f32x4.add(f32x4.mul(x, f32x4.splat(c0)), f32x4.splat(c1));
}
// @ts-ignore: decorator
@inline function step(p: v128, x: v128, c: f32): v128 {
  return f32x4.add(f32x4.mul(p, x), f32x4.splat(c));
}

/** e^x, relative error ~1e-7; float32 denormals down to −103.9, 0 below, +∞ above 88.72. */
export function exp4(x: v128): v128 {
  const xc = f32x4.min(f32x4.max(x, f32x4.splat(-103.9)), f32x4.splat(88.72));
  const n = f32x4.nearest(f32x4.mul(xc, f32x4.splat(LOG2E)));
  let r = f32x4.sub(xc, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = poly(r, 1.9875691500e-4, 1.3981999507e-3);
  p = step(p, r, 8.3334519073e-3);
  p = step(p, r, 4.1665795894e-2);
  p = step(p, r, 1.6666665459e-1);
  p = step(p, r, 5.0000001201e-1);
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  // NOTE: 2^n as 2^(n>>1) · 2^(n − n>>1): n spans [−150, 128], past what one exponent field holds
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  const y = f32x4.mul(f32x4.mul(p, i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23)), i32x4.shl(i32x4.add(n2, i32x4.splat(127)), 23));
  const lo = v128.bitselect(f32x4.splat(0), y, f32x4.lt(x, f32x4.splat(-103.9)));
  const hi = v128.bitselect(f32x4.splat(Infinity), lo, f32x4.gt(x, f32x4.splat(88.72)));
  return v128.bitselect(x, hi, f32x4.ne(x, x)); // NaN stays NaN
}

/** ln x; −∞ at 0, NaN below 0, +∞ at +∞. */
export function log4(x: v128): v128 {
  const bits = x;
  let e = i32x4.sub(i32x4.shr_s(bits, 23), i32x4.splat(127));
  let m = v128.or(v128.and(bits, i32x4.splat(0x007fffff)), i32x4.splat(0x3f800000));
  const big = f32x4.gt(m, f32x4.splat(1.41421356));
  m = v128.bitselect(f32x4.mul(m, f32x4.splat(0.5)), m, big);
  e = i32x4.sub(e, big); // big lanes are −1: e + 1
  const f = f32x4.sub(m, f32x4.splat(1));
  const ef = f32x4.convert_i32x4_s(e);
  const z = f32x4.mul(f, f);
  let y = poly(f, 7.0376836292e-2, -1.1514610310e-1);
  y = step(y, f, 1.1676998740e-1);
  y = step(y, f, -1.2420140846e-1);
  y = step(y, f, 1.4249322787e-1);
  y = step(y, f, -1.6668057665e-1);
  y = step(y, f, 2.0000714765e-1);
  y = step(y, f, -2.4999993993e-1);
  y = step(y, f, 3.3333331174e-1);
  y = f32x4.mul(f32x4.mul(y, f), z);
  y = f32x4.add(y, f32x4.mul(ef, f32x4.splat(LN2_LO)));
  y = f32x4.sub(y, f32x4.mul(z, f32x4.splat(0.5)));
  let r = f32x4.add(f32x4.add(f, y), f32x4.mul(ef, f32x4.splat(LN2_HI)));
  r = v128.bitselect(f32x4.splat(Infinity), r, f32x4.eq(x, f32x4.splat(Infinity)));
  r = v128.bitselect(f32x4.splat(-Infinity), r, f32x4.eq(x, f32x4.splat(0)));
  return v128.bitselect(f32x4.splat(NaN), r, v128.or(f32x4.lt(x, f32x4.splat(0)), f32x4.ne(x, x)));
}

/** tanh x = sign(x)·(1 − 2/(e^{2|x|} + 1)); an odd Taylor polynomial below |x| < 0.125 keeps tiny inputs exact. */
export function tanh4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const e = exp4(f32x4.add(ax, ax));
  const big = f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(e, f32x4.splat(1))));
  const x2 = f32x4.mul(ax, ax);
  let p = poly(x2, -17.0 / 315.0, 2.0 / 15.0);
  p = step(p, x2, -1.0 / 3.0);
  const small = f32x4.add(ax, f32x4.mul(f32x4.mul(ax, x2), p));
  const t = v128.bitselect(small, big, f32x4.lt(ax, f32x4.splat(0.125)));
  return v128.or(t, v128.and(x, i32x4.splat(0x80000000))); // copy the sign; NaN passes through exp4
}

/** 1 / (1 + e^−x). */
export function sigmoid4(x: v128): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), exp4(f32x4.neg(x))));
}

/**
 * erf x: the Maclaurin series to x¹⁹ below |x| < 1 (error < 2e-8), above it 1 − erfc with Numerical Recipes'
 * Chebyshev erfc (fractional error < 1.2e-7, so < 2e-8 absolute there).
 */
export function erf4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const x2 = f32x4.mul(ax, ax);
  const small = f32x4.lt(ax, f32x4.splat(1));
  // NOTE: each branch is skipped when no lane needs it; a lane's value never depends on its neighbours
  let series = f32x4.splat(0);
  if (v128.any_true(small)) {
    // 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1)), n = 0..9, by Horner in x²
    let s = poly(x2, -1.0 / (362880.0 * 19.0), 1.0 / (40320.0 * 17.0));
    s = step(s, x2, -1.0 / (5040.0 * 15.0));
    s = step(s, x2, 1.0 / (720.0 * 13.0));
    s = step(s, x2, -1.0 / (120.0 * 11.0));
    s = step(s, x2, 1.0 / (24.0 * 9.0));
    s = step(s, x2, -1.0 / (6.0 * 7.0));
    s = step(s, x2, 1.0 / (2.0 * 5.0));
    s = step(s, x2, -1.0 / 3.0);
    s = step(s, x2, 1.0);
    series = f32x4.mul(f32x4.mul(s, ax), f32x4.splat(1.1283791670955126));
  }
  let tail = f32x4.splat(0);
  if (!v128.all_true<i32>(small)) {
    const t = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), f32x4.mul(ax, f32x4.splat(0.5))));
    let q = poly(t, 0.17087277, -0.82215223);
    q = step(q, t, 1.48851587);
    q = step(q, t, -1.13520398);
    q = step(q, t, 0.27886807);
    q = step(q, t, -0.18628806);
    q = step(q, t, 0.09678418);
    q = step(q, t, 0.37409196);
    q = step(q, t, 1.00002368);
    q = step(q, t, -1.26551223);
    tail = f32x4.sub(f32x4.splat(1), f32x4.mul(t, exp4(f32x4.sub(q, x2))));
  }
  const r = v128.bitselect(series, tail, small);
  return v128.bitselect(x, v128.or(r, v128.and(x, i32x4.splat(0x80000000))), f32x4.ne(x, x));
}
