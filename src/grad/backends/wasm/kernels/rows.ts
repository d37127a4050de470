// Reductions, fused row kernels, gather / scatter-add. Every output element is written by one call, and its
// value depends only on the input (fixed summation order), never on how the calls split the work.
import { exp4 } from './math';
import { firstLanes, hmax, hsum, storeLanes } from './simd';

/**
 * x [outer, n, inner] → out [outer, inner], op 0 sum / 1 max; outputs [p0, p1) × [i0, i1). inner == 1 sums a
 * contiguous row in 4 lanes (then (l0+l1)+(l2+l3), then the tail in order); otherwise over j in order.
 */
export function reduce(op: i32, x: usize, out: usize, outer: i32, n: i32, inner: i32, p0: i32, p1: i32, i0: i32, i1: i32): void {
  if (inner == 1) {
    for (let p = p0; p < p1; p++) {
      const row = x + (<usize>(p * n) << 2);
      let j = 0;
      let acc = op == 0 ? f32x4.splat(0) : f32x4.splat(-Infinity);
      for (; j + 4 <= n; j += 4) {
        const v = v128.load(row + (<usize>j << 2));
        acc = op == 0 ? f32x4.add(acc, v) : f32x4.max(acc, v);
      }
      let s: f32 = op == 0 ? hsum(acc) : hmax(acc);
      for (; j < n; j++) { const v = load<f32>(row + (<usize>j << 2)); s = op == 0 ? s + v : max(s, v); }
      store<f32>(out + (<usize>p << 2), s);
    }
    return;
  }
  const init = op == 0 ? f32x4.splat(0) : f32x4.splat(-Infinity);
  for (let p = p0; p < p1; p++) {
    const o = out + (<usize>(p * inner) << 2);
    const xb = x + (<usize>(p * n * inner) << 2);
    let i = i0;
    for (; i + 4 <= i1; i += 4) {
      let acc = init;
      for (let j = 0; j < n; j++) {
        const v = v128.load(xb + (<usize>(j * inner + i) << 2));
        acc = op == 0 ? f32x4.add(acc, v) : f32x4.max(acc, v);
      }
      v128.store(o + (<usize>i << 2), acc);
    }
    for (; i < i1; i++) {
      let s: f32 = op == 0 ? 0 : -Infinity;
      for (let j = 0; j < n; j++) { const v = load<f32>(xb + (<usize>(j * inner + i) << 2)); s = op == 0 ? s + v : max(s, v); }
      store<f32>(o + (<usize>i << 2), s);
    }
  }
}

/** Softmax of rows [r0, r1) of x [rows, n]: max, e^(x − max) with its sum, then a division. */
export function softmaxRows(x: usize, out: usize, n: i32, r0: i32, r1: i32): void {
  const full = n & ~3;
  const rest = n - full;
  for (let r = r0; r < r1; r++) {
    const xr = x + (<usize>(r * n) << 2);
    const orow = out + (<usize>(r * n) << 2);
    let mv = f32x4.splat(-Infinity);
    for (let j = 0; j < full; j += 4) mv = f32x4.max(mv, v128.load(xr + (<usize>j << 2)));
    if (rest > 0) mv = f32x4.max(mv, firstLanes(v128.load(xr + (<usize>full << 2)), rest, -Infinity));
    const m = f32x4.splat(hmax(mv));
    let sv = f32x4.splat(0);
    for (let j = 0; j < full; j += 4) {
      const e = exp4(f32x4.sub(v128.load(xr + (<usize>j << 2)), m));
      sv = f32x4.add(sv, e);
      v128.store(orow + (<usize>j << 2), e);
    }
    let et = f32x4.splat(0);
    if (rest > 0) {
      et = firstLanes(exp4(f32x4.sub(v128.load(xr + (<usize>full << 2)), m)), rest, 0);
      sv = f32x4.add(sv, et);
    }
    const inv = f32x4.splat(1 / hsum(sv));
    for (let j = 0; j < full; j += 4) {
      const q = orow + (<usize>j << 2);
      v128.store(q, f32x4.mul(v128.load(q), inv));
    }
    if (rest > 0) storeLanes(orow + (<usize>full << 2), f32x4.mul(et, inv), rest);
  }
}

/** Rows [r0, r1) of x [rows, n] standardised: y = (x − mean)·rstd, rstd = 1/√(biased var + eps) into rstd[r]. */
export function normalizeRows(x: usize, y: usize, rstd: usize, n: i32, eps: f32, r0: i32, r1: i32): void {
  const full = n & ~3;
  const rest = n - full;
  const nf = <f32>n;
  for (let r = r0; r < r1; r++) {
    const xr = x + (<usize>(r * n) << 2);
    const yr = y + (<usize>(r * n) << 2);
    let sv = f32x4.splat(0);
    for (let j = 0; j < full; j += 4) sv = f32x4.add(sv, v128.load(xr + (<usize>j << 2)));
    if (rest > 0) sv = f32x4.add(sv, firstLanes(v128.load(xr + (<usize>full << 2)), rest, 0));
    const mean = f32x4.splat(hsum(sv) / nf);
    let vv = f32x4.splat(0);
    for (let j = 0; j < full; j += 4) {
      const d = f32x4.sub(v128.load(xr + (<usize>j << 2)), mean);
      vv = f32x4.add(vv, f32x4.mul(d, d));
    }
    if (rest > 0) {
      const d = firstLanes(f32x4.sub(v128.load(xr + (<usize>full << 2)), mean), rest, 0);
      vv = f32x4.add(vv, f32x4.mul(d, d));
    }
    const rs: f32 = 1 / sqrt<f32>(hsum(vv) / nf + eps);
    store<f32>(rstd + (<usize>r << 2), rs);
    const rv = f32x4.splat(rs);
    for (let j = 0; j < full; j += 4) v128.store(yr + (<usize>j << 2), f32x4.mul(f32x4.sub(v128.load(xr + (<usize>j << 2)), mean), rv));
    if (rest > 0) storeLanes(yr + (<usize>full << 2), f32x4.mul(f32x4.sub(v128.load(xr + (<usize>full << 2)), mean), rv), rest);
  }
}

/** out[i, :] = table[idx[i], :] for i in [i0, i1); indices were checked by the caller. */
export function gather(table: usize, out: usize, idx: usize, rowSize: i32, i0: i32, i1: i32): void {
  const bytes = <usize>rowSize << 2;
  for (let i = i0; i < i1; i++) memory.copy(out + <usize>i * bytes, table + <usize>load<i32>(idx + (<usize>i << 2)) * bytes, bytes);
}

/** out[idx[i], c] += src[i, c] for every i in order, columns [c0, c1) (out was zeroed). */
export function scatterAdd(src: usize, out: usize, idx: usize, count: i32, rowSize: i32, c0: i32, c1: i32): void {
  const bytes = <usize>rowSize << 2;
  for (let i = 0; i < count; i++) {
    const s = src + <usize>i * bytes;
    const o = out + <usize>load<i32>(idx + (<usize>i << 2)) * bytes;
    let c = c0;
    for (; c + 4 <= c1; c += 4) { const q = <usize>c << 2; v128.store(o + q, f32x4.add(v128.load(o + q), v128.load(s + q))); }
    for (; c < c1; c++) { const q = <usize>c << 2; store<f32>(o + q, load<f32>(o + q) + load<f32>(s + q)); }
  }
}
