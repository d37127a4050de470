// Dropout masks from SplitMix64, the stream of src/grad/rng.ts: element i of a mask drawn at state s is
// mix(s + (i + 1)·γ), so any range of it can be computed on its own (threads split it, results stay identical),
// and every value equals the JavaScript `Rng.uniform() >= p ? keep : 0` loop bit for bit.

const GAMMA: u64 = 0x9e3779b97f4a7c15;
const TWO_M53: f64 = 1.0 / 9007199254740992.0;

/** out[i] = u_i ≥ p ? keep : 0 for i in [start, end), u_i the (i+1)-th uniform after state (hi, lo). */
export function dropoutMask(out: usize, hi: i32, lo: i32, p: f64, keep: f32, start: i32, end: i32): void {
  const base: u64 = ((<u64>(<u32>hi)) << 32) | <u64>(<u32>lo);
  let z0 = base + <u64>(start + 1) * GAMMA;
  for (let i = start; i < end; i++) {
    let z = z0;
    z0 += GAMMA;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    z = z ^ (z >> 31);
    // NOTE: the top 53 bits over 2^53, as Rng.uniform (exact in a double)
    const u = <f64>(z >> 11) * TWO_M53;
    store<f32>(out + (<usize>i << 2), u >= p ? keep : 0);
  }
}
