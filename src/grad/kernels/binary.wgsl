// out[i] = op(a[view_a(i)], b[view_b(i)]) over a contiguous output of `shape`: each input is read through a
// strided view (stride 0 broadcasts). The op is a pipeline constant. OP: 0 add, 1 sub, 2 mul, 3 div, 4 eq.
//
// info = [size, rank, aOffset, bOffset, shape[rank], aStrides[rank], bStrides[rank]]

override WG: u32 = 256u;
override OP: u32 = 0u;

@group(0) @binding(0) var<storage, read> info: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn apply(x: f32, y: f32) -> f32 {
  switch OP {
    case 0u: { return x + y; }
    case 1u: { return x - y; }
    case 2u: { return x * y; }
    case 3u: { return x / y; }
    default: { return select(0.0, 1.0, x == y); }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  if (i >= info[0]) { return; }
  let rank = info[1];
  var ai = info[2];
  var bi = info[3];
  var rest = i;
  // Peel coordinates off from the innermost axis outwards.
  for (var ax = i32(rank) - 1; ax >= 0; ax--) {
    let d = info[4u + u32(ax)];
    let c = rest % d;
    rest = rest / d;
    ai += c * info[4u + rank + u32(ax)];
    bi += c * info[4u + 2u * rank + u32(ax)];
  }
  out[i] = apply(a[ai], b[bi]);
}
