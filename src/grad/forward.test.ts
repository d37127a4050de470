import { describe, expect, it } from 'vitest';
import * as g from './index';
import { erf } from './backends/js-loops';
import { f64 } from './test-utils';

const { Tensor } = g;
const f32 = new g.JsBackend('f32');

function naiveMatmul(A: Float32Array, B: Float32Array, m: number, n: number, k: number, tA: boolean, tB: boolean): Float64Array {
  const C = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (tA ? A[p * m + i] : A[i * k + p]) * (tB ? B[j * k + p] : B[p * n + j]);
      C[i * n + j] = s;
    }
  return C;
}

describe('forward values', () => {
  it('CPU matmul equals a naive triple loop on awkward shapes, all transposes', () => {
    const rng = new g.Rng(7);
    for (const [m, n, k] of [[1, 63, 65], [65, 1, 257], [63, 65, 1], [17, 300, 33]])
      for (const tA of [false, true])
        for (const tB of [false, true]) {
          const A = rng.fillUniform(new Float32Array(m * k), -1, 1);
          const B = rng.fillUniform(new Float32Array(k * n), -1, 1);
          const a = Tensor.fromData(f32, A, tA ? [k, m] : [m, k]);
          const b = Tensor.fromData(f32, B, tB ? [n, k] : [k, n]);
          const c = g.matmul(a, b, { transA: tA, transB: tB });
          const want = naiveMatmul(A, B, m, n, k, tA, tB);
          const got = c.dataSync();
          let err = 0;
          for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
          expect(err).toBeLessThan(1e-5 * Math.sqrt(k));
          for (const t of [a, b, c]) t.dispose();
        }
    expect(f32.liveBuffers()).toBe(0);
  });

  it('pooled CPU buffers: kernels that accumulate start from zero after reuse', () => {
    const be = new g.JsBackend('f32');
    const run = () => {
      const a = Tensor.fromData(be, [1, 2, 3, 4, 5, 6], [2, 3]);
      const out = [g.matmul(a, a, { transB: true }), g.sum(a, 0), g.gather(a, Int32Array.from([1, 1]))];
      const grad = be.scatterAdd(a.buf, 3, Int32Array.from([1, 1]), 2);
      const vals = [...out.map((t) => [...t.dataSync()]), [...be.readSync(grad)]];
      for (const t of [a, ...out]) t.dispose();
      be.dispose(grad);
      return vals;
    };
    const fresh = run();
    for (const n of [2, 3, 4, 6]) be.dispose(be.fill(n, 123)); // dirty arrays of every size into the pool
    expect(run()).toEqual(fresh);
    expect(fresh[0]).toEqual([14, 32, 32, 77]);
    expect(fresh[3]).toEqual([0, 0, 0, 5, 7, 9]);
    expect(be.liveBuffers()).toBe(0);
  });

  it('erf matches known values to 1e-14', () => {
    const known: [number, number][] = [[0, 0], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [-2, -0.9953222650189527], [2.5, 0.999593047982555], [3.5, 0.9999992569016276]];
    for (const [x, y] of known) expect(Math.abs(erf(x) - y)).toBeLessThan(1e-14);
  });

  it('softmax / log-softmax / layer norm / gelu values', () => {
    const x = Tensor.fromData(f64, [1, 2, 3, 1000, 1000, 1001], [2, 3]);
    const s = g.softmax(x).dataSync();
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const z = e[0] + e[1] + e[2];
    for (let i = 0; i < 3; i++) {
      expect(s[i]).toBeCloseTo(e[i] / z, 14);
      const z2 = 2 * e[1] + 1;
      expect(s[3 + i]).toBeCloseTo(i === 2 ? 1 / z2 : e[1] / z2, 14);
    }
    const ls = g.logSoftmax(x).dataSync();
    expect(ls[5]).toBeCloseTo(-Math.log(2 * e[1] + 1), 12);
    expect(ls[0]).toBeCloseTo(Math.log(e[0] / z), 12);
    const w = Tensor.fromData(f64, [1, 2, 3], [3]);
    const b = Tensor.fromData(f64, [0, 1, 0], [3]);
    const ln = g.layerNorm(Tensor.fromData(f64, [1, 2, 6], [3]), w, b, 0).dataSync();
    const mu = 3;
    const sd = Math.sqrt((4 + 1 + 9) / 3);
    expect([...ln].map((v) => +v.toFixed(12))).toEqual([(1 - mu) / sd, 1 + (2 * (2 - mu)) / sd, (3 * (6 - mu)) / sd].map((v) => +v.toFixed(12)));
    const ge = g.gelu(Tensor.fromData(f64, [-1, 0.5], [2])).dataSync();
    expect(ge[0]).toBeCloseTo(-0.15865525393145707, 14);
    expect(ge[1]).toBeCloseTo(0.34573123063700656, 14);
    // torch.nn.functional.gelu(x, approximate='tanh') and silu at -1, 0.5
    const gt = g.geluTanh(Tensor.fromData(f64, [-1, 0.5], [2])).dataSync();
    expect(gt[0]).toBeCloseTo(-0.15880800939172324, 14);
    expect(gt[1]).toBeCloseTo(0.34571400982514394, 14);
    const si = g.silu(Tensor.fromData(f64, [-1, 0.5], [2])).dataSync();
    expect(si[0]).toBeCloseTo(-1 / (1 + Math.E), 14);
    expect(si[1]).toBeCloseTo(0.5 / (1 + Math.exp(-0.5)), 14);
  });

  it('sum / max / gather values and bounds', () => {
    const x = Tensor.fromData(f64, [1, 5, 3, 4, 2, 6], [2, 3]);
    expect([...g.sum(x, 0).dataSync()]).toEqual([5, 7, 9]);
    expect([...g.max(x, 1).dataSync()]).toEqual([5, 6]);
    expect([...g.mean(x).dataSync()]).toEqual([3.5]);
    expect([...g.gather(x, Int32Array.from([1, 1, 0])).dataSync()]).toEqual([4, 2, 6, 4, 2, 6, 1, 5, 3]);
    expect(() => g.gather(x, Int32Array.from([2]))).toThrow(/out of range/);
  });

  it('SplitMix64 matches the reference sequence and is keyed by name', () => {
    // Reference: splitmix64 with seed 1234567 (Vigna's splitmix64.c)
    const r = new g.Rng(1234567n);
    expect(r.nextU64()).toBe(6457827717110365317n);
    expect(r.nextU64()).toBe(3203168211198807973n);
    // Against a BigInt restatement, over seeds that exercise every carry.
    const M = (1n << 64n) - 1n;
    const mix = (z: bigint) => {
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M;
      return z ^ (z >> 31n);
    };
    for (const seed of [0n, 1n, 0xffffffffn, 0xffffffffffffffffn, 0x8000000080000000n, 123456789012345n]) {
      const fast = new g.Rng(seed);
      let s = seed;
      for (let i = 0; i < 50; i++) {
        s = (s + 0x9e3779b97f4a7c15n) & M;
        expect(fast.nextU64()).toBe(mix(s));
      }
    }
    let h = 0xcbf29ce484222325n;
    for (const ch of 'w.lora_A') h = ((h ^ BigInt(ch.charCodeAt(0))) * 0x100000001b3n) & M;
    const keyed = new g.Rng(mix(7n ^ h)).nextU64();
    expect(g.Rng.forKey(7, 'w.lora_A').nextU64()).toBe(keyed);
    const a = g.Rng.forKey(42, 'layer.0.lora_A').uniform();
    g.Rng.forKey(42, 'other');
    expect(g.Rng.forKey(42, 'layer.0.lora_A').uniform()).toBe(a);
    expect(g.Rng.forKey(42, 'layer.1.lora_A').uniform()).not.toBe(a);
  });
});
