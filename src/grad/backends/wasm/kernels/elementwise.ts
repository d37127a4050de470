// Elementwise kernels over raw byte pointers. Buffers are padded to whole vectors (see ../memory.ts), so the
// contiguous kernels run in whole vectors; a thread's range [start, end) is a multiple of 4 elements.
import { erf4, exp4, log4, sigmoid4, tanh4 } from './math';

/** UnaryOp codes, in the order of ../ops.ts. */
// @ts-ignore: decorator
@inline function unaryOp(op: i32, x: v128): v128 {
  switch (op) {
    case 0: return f32x4.neg(x);
    case 1: return exp4(x);
    case 2: return log4(x);
    case 3: return tanh4(x);
    case 4: return erf4(x);
    case 5: return f32x4.sqrt(x);
    case 6: return f32x4.div(f32x4.splat(1), x);
    case 7: return v128.and(x, f32x4.gt(x, f32x4.splat(0)));
    case 8: return v128.and(f32x4.splat(1), f32x4.gt(x, f32x4.splat(0)));
    case 9: return sigmoid4(x);
    default: return f32x4.mul(x, x);
  }
}

export function unary(op: i32, x: usize, out: usize, start: i32, end: i32): void {
  for (let i = start; i < end; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, unaryOp(op, v128.load(x + o)));
  }
}

export function affine(x: usize, out: usize, scale: f32, shift: f32, start: i32, end: i32): void {
  const s = f32x4.splat(scale);
  const t = f32x4.splat(shift);
  for (let i = start; i < end; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.add(f32x4.mul(v128.load(x + o), s), t));
  }
}

export function fill(out: usize, value: f32, start: i32, end: i32): void {
  const v = f32x4.splat(value);
  for (let i = start; i < end; i += 4) v128.store(out + (<usize>i << 2), v);
}

/** BinaryOp codes: add, sub, mul, div, eq. */
// @ts-ignore: decorator
@inline function binaryOp(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case 0: return f32x4.add(a, b);
    case 1: return f32x4.sub(a, b);
    case 2: return f32x4.mul(a, b);
    case 3: return f32x4.div(a, b);
    default: return v128.and(f32x4.splat(1), f32x4.eq(a, b));
  }
}
// @ts-ignore: decorator
@inline function binaryScalar(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    case 3: return a / b;
    default: return a == b ? 1 : 0;
  }
}

/** One output row of n: a and b read with element strides as, bs (0 = broadcast). */
function binaryRow(op: i32, a: usize, as: i32, b: usize, bs: i32, o: usize, n: i32): void {
  let i = 0;
  if (as == 1 && bs == 1) {
    for (; i + 4 <= n; i += 4) { const q = <usize>i << 2; v128.store(o + q, binaryOp(op, v128.load(a + q), v128.load(b + q))); }
  } else if (as == 1 && bs == 0) {
    const bv = v128.load32_splat(b);
    for (; i + 4 <= n; i += 4) { const q = <usize>i << 2; v128.store(o + q, binaryOp(op, v128.load(a + q), bv)); }
  } else if (as == 0 && bs == 1) {
    const av = v128.load32_splat(a);
    for (; i + 4 <= n; i += 4) { const q = <usize>i << 2; v128.store(o + q, binaryOp(op, av, v128.load(b + q))); }
  }
  // the rest (and strided rows): scalar, the same IEEE operation as a lane
  for (; i < n; i++) store<f32>(o + (<usize>i << 2), binaryScalar(op, load<f32>(a + (<usize>(i * as) << 2)), load<f32>(b + (<usize>(i * bs) << 2))));
}

/**
 * out (contiguous, `shape`) = op(a, b) read through strided views. meta (i32): shape[rank], aStrides[rank],
 * bStrides[rank], aOffset, bOffset. Rows [row0, row1) of the last axis.
 */
export function binary(op: i32, a: usize, b: usize, out: usize, meta: usize, rank: i32, row0: i32, row1: i32): void {
  const n = load<i32>(meta + (<usize>(rank - 1) << 2));
  const as = load<i32>(meta + (<usize>(2 * rank - 1) << 2));
  const bs = load<i32>(meta + (<usize>(3 * rank - 1) << 2));
  let ao = load<i32>(meta + (<usize>(3 * rank) << 2));
  let bo = load<i32>(meta + (<usize>(3 * rank + 1) << 2));
  // position of row0 in the outer axes
  let rem = row0;
  for (let ax = rank - 2; ax >= 0; ax--) {
    const d = load<i32>(meta + (<usize>ax << 2));
    const idx = rem % d;
    rem /= d;
    ao += idx * load<i32>(meta + (<usize>(rank + ax) << 2));
    bo += idx * load<i32>(meta + (<usize>(2 * rank + ax) << 2));
  }
  for (let r = row0; r < row1; r++) {
    binaryRow(op, a + (<usize>ao << 2), as, b + (<usize>bo << 2), bs, out + (<usize>(r * n) << 2), n);
    // odometer over the outer axes
    let q = r + 1;
    for (let ax = rank - 2; ax >= 0; ax--) {
      const d = load<i32>(meta + (<usize>ax << 2));
      ao += load<i32>(meta + (<usize>(rank + ax) << 2));
      bo += load<i32>(meta + (<usize>(2 * rank + ax) << 2));
      if (q % d != 0) break;
      ao -= d * load<i32>(meta + (<usize>(rank + ax) << 2));
      bo -= d * load<i32>(meta + (<usize>(2 * rank + ax) << 2));
      q /= d;
    }
  }
}

/**
 * dst[dOff + Σ i·dStride] = src[sOff + Σ i·sStride] over `shape`: meta (i32) shape[rank], sStrides[rank],
 * dStrides[rank], sOffset, dOffset. Rows [row0, row1) of the last axis (copy and writeInto).
 */
export function strided(src: usize, dst: usize, meta: usize, rank: i32, row0: i32, row1: i32): void {
  const n = load<i32>(meta + (<usize>(rank - 1) << 2));
  const ss = load<i32>(meta + (<usize>(2 * rank - 1) << 2));
  const ds = load<i32>(meta + (<usize>(3 * rank - 1) << 2));
  let so = load<i32>(meta + (<usize>(3 * rank) << 2));
  let dO = load<i32>(meta + (<usize>(3 * rank + 1) << 2));
  let rem = row0;
  for (let ax = rank - 2; ax >= 0; ax--) {
    const d = load<i32>(meta + (<usize>ax << 2));
    const idx = rem % d;
    rem /= d;
    so += idx * load<i32>(meta + (<usize>(rank + ax) << 2));
    dO += idx * load<i32>(meta + (<usize>(2 * rank + ax) << 2));
  }
  for (let r = row0; r < row1; r++) {
    const s = src + (<usize>so << 2);
    const d = dst + (<usize>dO << 2);
    if (ss == 1 && ds == 1) memory.copy(d, s, <usize>n << 2);
    else for (let i = 0; i < n; i++) store<f32>(d + (<usize>(i * ds) << 2), load<f32>(s + (<usize>(i * ss) << 2)));
    let q = r + 1;
    for (let ax = rank - 2; ax >= 0; ax--) {
      const dd = load<i32>(meta + (<usize>ax << 2));
      so += load<i32>(meta + (<usize>(rank + ax) << 2));
      dO += load<i32>(meta + (<usize>(2 * rank + ax) << 2));
      if (q % dd != 0) break;
      so -= dd * load<i32>(meta + (<usize>(rank + ax) << 2));
      dO -= dd * load<i32>(meta + (<usize>(2 * rank + ax) << 2));
      q /= dd;
    }
  }
}
