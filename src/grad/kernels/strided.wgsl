// Strided views ↔ contiguous buffers, one invocation per element of `shape`.
//   copy_view:  dst[i] = src[view(i)]   (materialise a permute / slice / expand)
//   write_view: dst[view(i)] = src[i]   (in place: concat, the backward of slice)
//
// info = [size, rank, viewOffset, 0, shape[rank], viewStrides[rank]]

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> info: array<u32>;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

fn view_index(i: u32) -> u32 {
  let rank = info[1];
  var vi = info[2];
  var rest = i;
  for (var ax = i32(rank) - 1; ax >= 0; ax--) {
    let d = info[4u + u32(ax)];
    vi += (rest % d) * info[4u + rank + u32(ax)];
    rest = rest / d;
  }
  return vi;
}

fn flat(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG + lid;
}

@compute @workgroup_size(WG)
fn copy_view(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flat(wid, nwg, lid);
  if (i >= info[0]) { return; }
  dst[i] = src[view_index(i)];
}

@compute @workgroup_size(WG)
fn write_view(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flat(wid, nwg, lid);
  if (i >= info[0]) { return; }
  dst[view_index(i)] = src[i];
}

// dst[i] = value (fill); the value is info[2] as f32 bits.
@compute @workgroup_size(WG)
fn fill(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flat(wid, nwg, lid);
  if (i >= info[0]) { return; }
  dst[i] = bitcast<f32>(info[2]);
}
