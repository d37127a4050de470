// out[i] = op(x[i]) over a contiguous buffer; the op is a pipeline constant (one pipeline per op).
// OP: 0 neg, 1 exp, 2 log, 3 tanh, 4 erf, 5 sqrt, 6 recip, 7 relu, 8 step, 9 sigmoid, 10 square, 11 affine.

override WG: u32 = 256u;
override OP: u32 = 0u;

struct Params {
  size: u32,
  scale: f32,
  shift: f32,
}

@group(0) @binding(0) var<storage, read> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

// NOTE: WGSL has no erf. Below 0.5 a Maclaurin series (7 terms, error < 1e-8); above, 1 − erfc with the
// Numerical Recipes Chebyshev fit of erfc (fractional error < 1.2e-7), which has no cancellation there.
fn erf_f32(v: f32) -> f32 {
  let a = abs(v);
  if (a < 0.5) {
    let x2 = v * v;
    let s = 1.0 - x2 * (1.0 / 3.0 - x2 * (0.1 - x2 * (1.0 / 42.0 - x2 * (1.0 / 216.0 - x2 * (1.0 / 1320.0 - x2 / 9360.0)))));
    return 1.1283791670955126 * v * s;
  }
  let t = 1.0 / (1.0 + 0.5 * a);
  let poly = -a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  let erfc = t * exp(poly);
  return sign(v) * (1.0 - erfc);
}

fn apply(v: f32) -> f32 {
  switch OP {
    case 0u: { return -v; }
    case 1u: { return exp(v); }
    case 2u: { return log(v); }
    // NOTE: some tanh implementations compute (e^2x − 1)/(e^2x + 1) and give NaN once e^2x overflows.
    case 3u: { return select(tanh(v), sign(v), abs(v) > 10.0); }
    case 4u: { return erf_f32(v); }
    case 5u: { return sqrt(v); }
    case 6u: { return 1.0 / v; }
    case 7u: { return select(0.0, v, v > 0.0); }
    case 8u: { return select(0.0, 1.0, v > 0.0); }
    // NOTE: split by sign so exp never overflows (e^-x for x ≪ 0 would be +inf).
    case 9u: {
      if (v >= 0.0) { return 1.0 / (1.0 + exp(-v)); }
      let e = exp(v);
      return e / (1.0 + e);
    }
    case 10u: { return v * v; }
    default: { return v * params.scale + params.shift; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  if (i >= params.size) { return; }
  out[i] = apply(x[i]);
}
