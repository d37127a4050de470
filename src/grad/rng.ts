/**
 * SplitMix64, seeded per name: `Rng.forKey(seed, 'bert.encoder.layer.0...lora_A')` gives the same stream
 * whatever order parameters are created in.
 *
 * NOTE: the 64-bit state lives in two uint32 halves with hand-written 64-bit multiply: BigInt arithmetic costs
 * ~230 ns per draw, too slow for dropout masks (hundreds of thousands of draws per step).
 */

const TWO32 = 4294967296;

// Results of mul64 / mix: plain module variables (no typed-array traffic in the hot path).
let rLo = 0;
let rHi = 0;

/** (rHi, rLo) = low 64 bits of a·b, a = (ah, al), b = (bh, bl), all uint32. */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p01 = a0 * b1; // each product < 2^32: exact in a double
  const p10 = a1 * b0;
  const t = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const hiOfLow = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (t >>> 16);
  rLo = Math.imul(al, bl) >>> 0;
  rHi = (hiOfLow + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

/** (rHi, rLo) = mix(z): the SplitMix64 output function. */
function mix(hi: number, lo: number): void {
  // z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9
  mul64((hi ^ (hi >>> 30)) >>> 0, (lo ^ ((lo >>> 30) | (hi << 2))) >>> 0, 0xbf58476d, 0x1ce4e5b9);
  // z = (z ^ (z >>> 27)) * 0x94d049bb133111eb
  let h = rHi;
  let l = rLo;
  mul64((h ^ (h >>> 27)) >>> 0, (l ^ ((l >>> 27) | (h << 5))) >>> 0, 0x94d049bb, 0x133111eb);
  // z ^ (z >>> 31)
  h = rHi;
  l = rLo;
  rLo = (l ^ ((l >>> 31) | (h << 1))) >>> 0;
  rHi = (h ^ (h >>> 31)) >>> 0;
}

/** FNV-1a 64 of a string's UTF-16 code units, as (hi, lo). */
function hash64(s: string): [number, number] {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < s.length; i++) {
    lo = (lo ^ s.charCodeAt(i)) >>> 0;
    mul64(hi, lo, 0x00000100, 0x000001b3);
    lo = rLo;
    hi = rHi;
  }
  return [hi, lo];
}

function splitSeed(seed: number | bigint): [number, number] {
  const b = BigInt.asUintN(64, BigInt(seed));
  return [Number(b >> 32n), Number(b & 0xffffffffn)];
}

export class Rng {
  private hi: number;
  private lo: number;
  private spare: number | null = null;

  constructor(seed: number | bigint) {
    [this.hi, this.lo] = splitSeed(seed);
  }

  /** A stream keyed by (seed, name): independent of creation order. */
  static forKey(seed: number | bigint, key: string): Rng {
    const [sh, sl] = splitSeed(seed);
    const [kh, kl] = hash64(key);
    mix((sh ^ kh) >>> 0, (sl ^ kl) >>> 0);
    return new Rng((BigInt(rHi) << 32n) | BigInt(rLo));
  }

  /** Advance and leave the next 64-bit output in (rHi, rLo). */
  private next(): void {
    // state += 0x9e3779b97f4a7c15
    const lo = this.lo + 0x7f4a7c15;
    this.lo = lo >>> 0;
    this.hi = (this.hi + 0x9e3779b9 + (lo >= TWO32 ? 1 : 0)) >>> 0;
    mix(this.hi, this.lo);
  }

  /**
   * Skips `n` draws: returns the state (hi, lo) before them and advances as `n` calls of `uniform` would
   * (a backend's `dropoutMask` computes those draws from the returned state).
   */
  skip(n: number): [number, number] {
    const before: [number, number] = [this.hi, this.lo];
    const s = BigInt.asUintN(64, ((BigInt(this.hi) << 32n) | BigInt(this.lo)) + BigInt(n) * 0x9e3779b97f4a7c15n);
    this.hi = Number(s >> 32n);
    this.lo = Number(s & 0xffffffffn);
    return before;
  }

  /** Next raw 64-bit output. */
  nextU64(): bigint {
    this.next();
    return (BigInt(rHi) << 32n) | BigInt(rLo);
  }

  /** Uniform in [0, 1) with 53 random bits (the top 53 of the 64-bit output). */
  uniform(): number {
    this.next();
    return (rHi * 2097152 + (rLo >>> 11)) / 9007199254740992;
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
