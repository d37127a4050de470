// Sum / max over the middle axis of x viewed as [outer, n, inner] → out [outer, inner]. OP: 0 sum, 1 max.
//   reduce_narrow: one invocation per output, looping over n (short n, or many outputs).
//   reduce_wide:   one workgroup per output; invocations stride over n, then a tree in workgroup memory.
// NOTE: max of an empty axis is −inf, as on the CPU; NaN inputs are skipped by `>` there and here.

override WG: u32 = 256u;
override OP: u32 = 0u;

struct Params {
  outer: u32,
  n: u32,
  inner: u32,
  // NOTE: −inf, the identity of max, comes from the host: WGSL rejects it as a constant expression.
  negInf: f32,
}

@group(0) @binding(0) var<storage, read> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

fn combine(acc: f32, v: f32) -> f32 {
  if (OP == 0u) { return acc + v; }
  return select(acc, v, v > acc);
}

fn identity() -> f32 {
  if (OP == 0u) { return 0.0; }
  return params.negInf;
}

@compute @workgroup_size(WG)
fn reduce_narrow(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let o = (wid.y * nwg.x + wid.x) * WG + lid;
  if (o >= params.outer * params.inner) { return; }
  let p = o / params.inner;
  let i = o % params.inner;
  var base = p * params.n * params.inner + i;
  var acc = identity();
  for (var j = 0u; j < params.n; j++) {
    acc = combine(acc, x[base]);
    base += params.inner;
  }
  out[o] = acc;
}

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn reduce_wide(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  // NOTE: `o` is uniform across the workgroup, so the early exit keeps the barriers below in uniform control flow.
  let o = wid.y * nwg.x + wid.x;
  if (o >= params.outer * params.inner) { return; }
  let p = o / params.inner;
  let i = o % params.inner;
  let base = p * params.n * params.inner + i;
  var acc = identity();
  for (var j = lid; j < params.n; j += WG) {
    acc = combine(acc, x[base + j * params.inner]);
  }
  partial[lid] = acc;
  workgroupBarrier();
  // WG is a power of two (the host picks 64, 128 or 256).
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { partial[lid] = combine(partial[lid], partial[lid + s]); }
    workgroupBarrier();
  }
  if (lid == 0u) { out[o] = partial[0]; }
}
