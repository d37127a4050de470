// C[b] = op(A[b]) · op(B[b]), C contiguous [batch, m, n]; see MatmulDesc in backend.ts.
//
// One workgroup of 16×16 invocations computes a 64×64 tile of C; each invocation owns a 4×4 block strided by 16
// (rows ty + 16r, columns tx + 16c). The k axis is walked in slabs of 16: the workgroup stages the 64×16 slab
// of op(A) and the 16×64 slab of op(B) in workgroup memory, then every invocation does 16 rank-1 updates from
// there. Transposed operands only change how a slab is loaded (so that neighbouring invocations read
// neighbouring addresses); a batch stride of 0 reads the same matrix for every batch.
// NOTE: 256 invocations is the most SwiftShader (and WebGPU's default limits) allow per workgroup.

const TILE: u32 = 64u;
const SLAB: u32 = 16u;
const THREADS: u32 = 16u;

struct Params {
  m: u32,
  n: u32,
  k: u32,
  transA: u32,
  transB: u32,
  aBatchStride: u32,
  bBatchStride: u32,
  batchBase: u32,
}

@group(0) @binding(0) var<storage, read> params: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;

// As[kk * TILE + row] = op(A)[row0 + row, k0 + kk];  Bs[kk * TILE + col] = op(B)[k0 + kk, col0 + col]
var<workgroup> As: array<f32, 1024>;
var<workgroup> Bs: array<f32, 1024>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid3: vec3u, @builtin(local_invocation_index) lid: u32) {
  let m = params.m;
  let n = params.n;
  let k = params.k;
  let batch = wid.z + params.batchBase;
  let aBase = batch * params.aBatchStride;
  let bBase = batch * params.bBatchStride;
  let row0 = wid.y * TILE;
  let col0 = wid.x * TILE;
  let tx = lid3.x;
  let ty = lid3.y;

  // NOTE: four vec4 accumulators (row r of the 4×4 block, columns tx + 16c) rather than an indexed array:
  // compilers that do not unroll (SwiftShader) would otherwise keep the block in memory.
  var acc0 = vec4f();
  var acc1 = vec4f();
  var acc2 = vec4f();
  var acc3 = vec4f();
  for (var k0 = 0u; k0 < k; k0 += SLAB) {
    for (var q = 0u; q < 4u; q++) {
      let e = lid + q * THREADS * THREADS;
      // op(A) slab: 64 rows × 16 k.
      var row: u32;
      var kk: u32;
      if (params.transA == 0u) { row = e / SLAB; kk = e % SLAB; } else { kk = e / TILE; row = e % TILE; }
      let gr = row0 + row;
      let gk = k0 + kk;
      var av = 0.0;
      if (gr < m && gk < k) {
        if (params.transA == 0u) { av = A[aBase + gr * k + gk]; } else { av = A[aBase + gk * m + gr]; }
      }
      As[kk * TILE + row] = av;
      // op(B) slab: 16 k × 64 columns.
      var col: u32;
      if (params.transB == 0u) { kk = e / TILE; col = e % TILE; } else { col = e / SLAB; kk = e % SLAB; }
      let gc = col0 + col;
      let gk2 = k0 + kk;
      var bv = 0.0;
      if (gc < n && gk2 < k) {
        if (params.transB == 0u) { bv = B[bBase + gk2 * n + gc]; } else { bv = B[bBase + gc * k + gk2]; }
      }
      Bs[kk * TILE + col] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < SLAB; kk++) {
      let s = kk * TILE;
      let b = vec4f(Bs[s + tx], Bs[s + tx + 16u], Bs[s + tx + 32u], Bs[s + tx + 48u]);
      acc0 = fma(vec4f(As[s + ty]), b, acc0);
      acc1 = fma(vec4f(As[s + ty + 16u]), b, acc1);
      acc2 = fma(vec4f(As[s + ty + 32u]), b, acc2);
      acc3 = fma(vec4f(As[s + ty + 48u]), b, acc3);
    }
    workgroupBarrier();
  }

  let cBase = batch * m * n;
  store(cBase, row0 + ty, col0 + tx, acc0);
  store(cBase, row0 + ty + 16u, col0 + tx, acc1);
  store(cBase, row0 + ty + 32u, col0 + tx, acc2);
  store(cBase, row0 + ty + 48u, col0 + tx, acc3);
}

/** C[row, col + 16c] = v[c] for the columns inside the matrix. */
fn store(cBase: u32, row: u32, col: u32, v: vec4f) {
  if (row >= params.m) { return; }
  for (var c = 0u; c < 4u; c++) {
    let gc = col + c * THREADS;
    if (gc < params.n) { C[cBase + row * params.n + gc] = v[c]; }
  }
}
