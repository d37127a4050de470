// Shared SIMD helpers for the kernels (AssemblyScript, compiled by ../build.mjs; not part of the app's tsconfig).
// Two builds of the same source: plain SIMD128, and relaxed SIMD where `madd` may fuse into one FMA.

/** a·b + c; one fused multiply-add in the relaxed build (not bit-identical to the plain build). */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Horizontal sum in a fixed order: (l0 + l1) + (l2 + l3). */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// @ts-ignore: decorator
@inline export function hmax(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/** Lanes < count keep v, the others become `fill` (the tail of a row: the loads past it read padding or the next row). */
// @ts-ignore: decorator
@inline export function firstLanes(v: v128, count: i32, fill: f32): v128 {
  const lane = i32x4(0, 1, 2, 3);
  const keep = i32x4.lt_s(lane, i32x4.splat(count));
  return v128.bitselect(v, f32x4.splat(fill), keep);
}

/** Stores lanes 0..count-1 of v at p (count < 4). */
// @ts-ignore: decorator
@inline export function storeLanes(p: usize, v: v128, count: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (count > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (count > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}
