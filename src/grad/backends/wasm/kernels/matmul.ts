// Packed, cache-blocked SGEMM (GotoBLAS/BLIS loop order) with a 6×8 register micro-kernel:
//   for jc (NC columns) · for pc (KC of k) · pack B → for ic (MC rows) · pack A → 6×8 tiles over the packed panels.
// Edges are zero-padded in the packs, so every tile runs the same micro-kernel: an element of C gets the same
// operations in the same order whichever thread computes it and wherever its tile falls.
import { madd } from './simd';

export const MR = 6;
export const NR = 8;
export const KC = 256;
export const MC = 72;
export const NC = 512;

/** Bytes of packing scratch one thread needs (A pack, B pack, one edge tile). */
export function scratchBytes(): i32 {
  return (MC * KC + KC * NC + MR * NR) * 4;
}

/** A(i, p) at a + (i·rs + p·cs)·4 for i ∈ [i0, i0+mc), p ∈ [p0, p0+kc) → panels of MR rows: [panel][p][MR]. */
function packA(a: usize, rs: i32, cs: i32, i0: i32, mc: i32, p0: i32, kc: i32, dst: usize): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const panel = dst + (<usize>(ir * kc) << 2);
    for (let r = 0; r < MR; r++) {
      const d = panel + (<usize>r << 2);
      if (r >= rows) {
        for (let p = 0; p < kc; p++) store<f32>(d + (<usize>(p * MR) << 2), 0);
        continue;
      }
      const s = a + (<usize>((i0 + ir + r) * rs + p0 * cs) << 2);
      for (let p = 0; p < kc; p++) store<f32>(d + (<usize>(p * MR) << 2), load<f32>(s + (<usize>(p * cs) << 2)));
    }
  }
}

/** B(p, j) at b + (p·rs + j·cs)·4 for p ∈ [p0, p0+kc), j ∈ [j0, j0+nc) → panels of NR columns: [panel][p][NR]. */
function packB(b: usize, rs: i32, cs: i32, p0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const panel = dst + (<usize>(jr * kc) << 2);
    if (cols == NR && cs == 1) {
      for (let p = 0; p < kc; p++) {
        const s = b + (<usize>((p0 + p) * rs + j0 + jr) << 2);
        const d = panel + (<usize>(p * NR) << 2);
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
      }
      continue;
    }
    for (let p = 0; p < kc; p++) {
      const s = b + (<usize>((p0 + p) * rs + (j0 + jr) * cs) << 2);
      const d = panel + (<usize>(p * NR) << 2);
      for (let c = 0; c < NR; c++) store<f32>(d + (<usize>c << 2), c < cols ? load<f32>(s + (<usize>(c * cs) << 2)) : 0);
    }
  }
}

/** C tile (rows × cols of a 6×8 tile, row pitch ldc elements) = (accumulate ? C : 0) + Ap·Bp over kc. */
function tile(pa: usize, pb: usize, kc: i32, c: usize, ldc: i32, rows: i32, cols: i32, accumulate: bool, edge: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0), c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    a = v128.load32_splat(pa, 16);
    c40 = madd(a, b0, c40); c41 = madd(a, b1, c41);
    a = v128.load32_splat(pa, 20);
    c50 = madd(a, b0, c50); c51 = madd(a, b1, c51);
    pa += MR * 4;
    pb += NR * 4;
  }
  const full = rows == MR && cols == NR;
  const out = full ? c : edge;
  const ld: usize = full ? <usize>ldc << 2 : NR * 4;
  if (!full && accumulate) {
    for (let r = 0; r < rows; r++) for (let q = 0; q < cols; q++) store<f32>(edge + <usize>(r * NR + q) * 4, load<f32>(c + (<usize>(r * ldc + q) << 2)));
  }
  if (accumulate) {
    v128.store(out, f32x4.add(v128.load(out), c00)); v128.store(out, f32x4.add(v128.load(out, 16), c01), 16);
    let o = out + ld;
    v128.store(o, f32x4.add(v128.load(o), c10)); v128.store(o, f32x4.add(v128.load(o, 16), c11), 16);
    o += ld;
    v128.store(o, f32x4.add(v128.load(o), c20)); v128.store(o, f32x4.add(v128.load(o, 16), c21), 16);
    o += ld;
    v128.store(o, f32x4.add(v128.load(o), c30)); v128.store(o, f32x4.add(v128.load(o, 16), c31), 16);
    o += ld;
    v128.store(o, f32x4.add(v128.load(o), c40)); v128.store(o, f32x4.add(v128.load(o, 16), c41), 16);
    o += ld;
    v128.store(o, f32x4.add(v128.load(o), c50)); v128.store(o, f32x4.add(v128.load(o, 16), c51), 16);
  } else {
    v128.store(out, c00); v128.store(out, c01, 16);
    let o = out + ld;
    v128.store(o, c10); v128.store(o, c11, 16);
    o += ld;
    v128.store(o, c20); v128.store(o, c21, 16);
    o += ld;
    v128.store(o, c30); v128.store(o, c31, 16);
    o += ld;
    v128.store(o, c40); v128.store(o, c41, 16);
    o += ld;
    v128.store(o, c50); v128.store(o, c51, 16);
  }
  if (!full) {
    for (let r = 0; r < rows; r++) for (let q = 0; q < cols; q++) store<f32>(c + (<usize>(r * ldc + q) << 2), load<f32>(edge + <usize>(r * NR + q) * 4));
  }
}

/**
 * C[b] (contiguous m×n) = op(A[b]) · op(B[b]) for every batch b, over rows [i0, i1) and columns [j0, j1) of C.
 * op(A)(i, p) at a + b·aBatch + i·ars + p·acs (elements), op(B)(p, j) at b + b·bBatch + p·brs + j·bcs.
 * k == 0 gives zeros.
 */
export function matmul(a: usize, b: usize, c: usize, batch: i32, m: i32, n: i32, k: i32, ars: i32, acs: i32, brs: i32, bcs: i32, aBatch: i32, bBatch: i32, i0: i32, i1: i32, j0: i32, j1: i32, scratch: usize): void {
  const pA = scratch;
  const pB = scratch + MC * KC * 4;
  const edge = pB + KC * NC * 4;
  for (let q = 0; q < batch; q++) {
    const aq = a + (<usize>(q * aBatch) << 2);
    const bq = b + (<usize>(q * bBatch) << 2);
    const cq = c + (<usize>(q * m * n) << 2);
    if (k == 0) {
      for (let i = i0; i < i1; i++) memory.fill(cq + (<usize>(i * n + j0) << 2), 0, <usize>(j1 - j0) << 2);
      continue;
    }
    for (let jc = j0; jc < j1; jc += NC) {
      const nc = min(NC, j1 - jc);
      for (let pc = 0; pc < k; pc += KC) {
        const kc = min(KC, k - pc);
        packB(bq, brs, bcs, pc, kc, jc, nc, pB);
        for (let ic = i0; ic < i1; ic += MC) {
          const mc = min(MC, i1 - ic);
          packA(aq, ars, acs, ic, mc, pc, kc, pA);
          for (let jr = 0; jr < nc; jr += NR) {
            const pb = pB + (<usize>(jr * kc) << 2);
            for (let ir = 0; ir < mc; ir += MR) {
              tile(pA + (<usize>(ir * kc) << 2), pb, kc, cq + (<usize>((ic + ir) * n + jc + jr) << 2), n, min(MR, mc - ir), min(NR, nc - jr), pc > 0, edge);
            }
          }
        }
      }
    }
  }
}
