// Fused row kernels over x viewed as [rows, n] (contiguous rows): one workgroup per row, invocations stride over
// the row, then trees in workgroup memory.
//   softmax_rows:   out = e^(x − max) / Σ e^(x − max)
//   normalize_rows: out = (x − mean) · rstd, rstd[row] = 1/√(biased variance + eps)
// NOTE: two passes over the row (mean, then squared deviations), as the CPU reference does: the one-pass
// E[x²] − E[x]² formula loses precision when |mean| ≫ std.

override WG: u32 = 256u;

struct Params {
  rows: u32,
  n: u32,
  eps: f32,
  // NOTE: −inf comes from the host: WGSL rejects it as a constant expression.
  negInf: f32,
}

@group(0) @binding(0) var<storage, read> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> rstd: array<f32>;

var<workgroup> partial: array<f32, WG>;

// WG is a power of two (the host picks 64, 128 or 256). Every invocation of the workgroup must call these.
fn tree_sum(lid: u32, v: f32) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { partial[lid] = partial[lid] + partial[lid + s]; }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}

fn tree_max(lid: u32, v: f32) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { partial[lid] = max(partial[lid], partial[lid + s]); }
    workgroupBarrier();
  }
  let m = partial[0];
  workgroupBarrier();
  return m;
}

@compute @workgroup_size(WG)
fn softmax_rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  // NOTE: `row` is uniform across the workgroup, so the early exit keeps the barriers in uniform control flow.
  let row = wid.y * nwg.x + wid.x;
  if (row >= params.rows) { return; }
  let base = row * params.n;
  var m = params.negInf;
  for (var j = lid; j < params.n; j += WG) { m = max(m, x[base + j]); }
  m = tree_max(lid, m);
  var total = 0.0;
  for (var j = lid; j < params.n; j += WG) {
    let e = exp(x[base + j] - m);
    out[base + j] = e;
    total += e;
  }
  total = tree_sum(lid, total);
  for (var j = lid; j < params.n; j += WG) { out[base + j] = out[base + j] / total; }
}

@compute @workgroup_size(WG)
fn normalize_rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= params.rows) { return; }
  let base = row * params.n;
  let n = f32(params.n);
  var acc = 0.0;
  for (var j = lid; j < params.n; j += WG) { acc += x[base + j]; }
  let mean = tree_sum(lid, acc) / n;
  var dev = 0.0;
  for (var j = lid; j < params.n; j += WG) {
    let d = x[base + j] - mean;
    dev += d * d;
  }
  let r = 1.0 / sqrt(tree_sum(lid, dev) / n + params.eps);
  for (var j = lid; j < params.n; j += WG) { out[base + j] = (x[base + j] - mean) * r; }
  if (lid == 0u) { rstd[row] = r; }
}
