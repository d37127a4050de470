/**
 * SplitMix64, seeded per name: `Rng.forKey(seed, 'bert.encoder.layer.0...lora_A')` gives the same stream
 * whatever order parameters are created in.
 */
const MASK = (1n << 64n) - 1n;

function mix(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
  return z ^ (z >> 31n);
}

/** FNV-1a 64 of a string's UTF-16 code units. */
function hash64(s: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < s.length; i++) {
    h ^= BigInt(s.charCodeAt(i));
    h = (h * 0x100000001b3n) & MASK;
  }
  return h;
}

export class Rng {
  private state: bigint;
  private spare: number | null = null;

  constructor(seed: number | bigint) {
    this.state = BigInt.asUintN(64, BigInt(seed));
  }

  /** A stream keyed by (seed, name): independent of creation order. */
  static forKey(seed: number | bigint, key: string): Rng {
    return new Rng(mix(BigInt.asUintN(64, BigInt(seed)) ^ hash64(key)));
  }

  /** Next raw 64-bit output. */
  nextU64(): bigint {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & MASK;
    return mix(this.state);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    return Number(this.nextU64() >> 11n) / 2 ** 53;
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fill with uniform(lo, hi). */
  fillUniform<T extends Float32Array | Float64Array>(out: T, lo: number, hi: number): T {
    for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * this.uniform();
    return out;
  }

  /** Fill with normal(0, std). */
  fillNormal<T extends Float32Array | Float64Array>(out: T, std: number): T {
    for (let i = 0; i < out.length; i++) out[i] = std * this.normal();
    return out;
  }
}
