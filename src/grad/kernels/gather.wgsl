// Row gather and its backward, scatter-add, over row-major tables with rows of `rowSize`.
//   gather:      out[i, c] = table[idx[i], c]                 (one invocation per output element)
//   scatter_add: out[r, c] = Σ_{i : idx[i] = r} src[i, c]      (one invocation per output element)
// NOTE: WGSL has no float atomics, so scatter_add does not scatter: the host sorts the indices by target row
// (a counting sort, stable) into `order` with row r's sources at order[rowStart[r] .. rowStart[r + 1]), and each
// output element sums its own sources in index order — the same order as the CPU loop, so the sums match it.

override WG: u32 = 256u;

struct Params {
  size: u32,
  rowSize: u32,
}

@group(0) @binding(0) var<storage, read> params: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> idx: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
// scatter_add only: rowStart[numRows + 1] then order[count], packed in one buffer.
@group(0) @binding(4) var<storage, read> rows: array<u32>;

fn flat(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG + lid;
}

@compute @workgroup_size(WG)
fn gather(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let e = flat(wid, nwg, lid);
  if (e >= params.size) { return; }
  let i = e / params.rowSize;
  let c = e % params.rowSize;
  out[e] = src[u32(idx[i]) * params.rowSize + c];
}

@compute @workgroup_size(WG)
fn scatter_add(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let e = flat(wid, nwg, lid);
  if (e >= params.size) { return; }
  let r = e / params.rowSize;
  let c = e % params.rowSize;
  let numRows = params.size / params.rowSize;
  var acc = 0.0;
  for (var j = rows[r]; j < rows[r + 1u]; j++) {
    acc += src[rows[numRows + 1u + j] * params.rowSize + c];
  }
  out[e] = acc;
}
