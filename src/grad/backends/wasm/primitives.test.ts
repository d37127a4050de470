// Every primitive of the wasm backend against the float64 JS reference on awkward shapes (1, 7, 63, 65, 257,
// non-square, every transpose, shared batches, broadcasts, strided views), on 1 and 2 threads. With
// parallelMin 0 the 2-thread backend splits even the smallest op, so the split itself is what is tested.
import { afterAll, describe, expect, it } from 'vitest';
import { sizeOf, stridesOf, type Backend, type DeviceBuffer, type UnaryOp } from '../../backend';
import { JsBackend } from '../js';
import { Rng } from '../../rng';
import { Tensor, backward, gelu, geluComposed, mul, sum, tidy } from '../..';
import { createWasmBackend, type WasmBackend } from './index';

const ref = new JsBackend('f64');
const made: WasmBackend[] = [];
afterAll(() => made.forEach((b) => b.close()));

const rand = (n: number, seed: number, lo = -2, hi = 2): Float32Array => new Rng(seed).fillUniform(new Float32Array(n), lo, hi);

/** Runs f on both backends; returns max |got − want| / (1 + |want|) (relative where values are large). */
function diff(be: Backend, inputs: Float32Array[], f: (b: Backend, x: DeviceBuffer[]) => DeviceBuffer): number {
  const run = (b: Backend): Float32Array | Float64Array => {
    const bufs = inputs.map((x) => b.upload(x));
    const out = f(b, bufs);
    const r = Float64Array.from(b.readSync!(out));
    for (const x of [...bufs, out]) b.dispose(x);
    return r;
  };
  const want = run(ref);
  const got = run(be);
  expect(got.length).toBe(want.length);
  let err = 0;
  for (let i = 0; i < want.length; i++) {
    want[i] = Math.fround(want[i]); // what float32 can hold (overflow to ±∞ included)
    if (Number.isNaN(want[i]) || !Number.isFinite(want[i])) {
      expect(Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i])), `element ${i}: ${got[i]} vs ${want[i]}`).toBe(true);
      continue;
    }
    const d = Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
    if (!(d <= err)) err = Number.isNaN(d) ? Infinity : d;
  }
  return err;
}

const SIZES = [1, 7, 63, 65, 257];

describe.each([1, 2])('wasm primitives vs the float64 reference, %i thread(s)', (threads) => {
  let be: WasmBackend;
  it('starts with the requested threads', async () => {
    be = await createWasmBackend({ threads, parallelMin: 0 });
    made.push(be);
    expect(be.threads).toBe(threads);
  });

  const unaryRange: Record<UnaryOp, [number, number]> = {
    neg: [-5, 5], exp: [-100, 90], log: [1e-6, 1e6], tanh: [-12, 12], erf: [-6, 6], sqrt: [0, 1e4],
    recip: [0.01, 100], relu: [-3, 3], step: [-3, 3], sigmoid: [-100, 100], square: [-50, 50],
  };
  for (const op of Object.keys(unaryRange) as UnaryOp[])
    it(`unary ${op} on sizes ${SIZES.join(', ')} over [${unaryRange[op].join(', ')}]`, () => {
      for (const n of SIZES) {
        const [lo, hi] = unaryRange[op];
        // log-uniform for the wide positive ranges, so small values are tested too
        const x = lo > 0 ? rand(n, n, Math.log(lo), Math.log(hi)).map(Math.exp) : rand(n, n, lo, hi);
        // relative float32 accuracy: a few ulps (exp and log over their whole range, tanh/erf near 0 and ±1)
        expect(diff(be, [x], (b, [t]) => b.unary(op, t)), `${op} n=${n}`).toBeLessThan(op === 'exp' || op === 'log' ? 1e-6 : 3e-7);
      }
    });
  it('unary special values: ±0, ±∞, NaN, tiny and huge', () => {
    const x = Float32Array.from([0, -0, Infinity, -Infinity, NaN, 1e-30, -1e-30, 1e30, -1e30, 88, -88, 1e-8]);
    for (const op of ['exp', 'tanh', 'erf', 'sigmoid', 'neg', 'relu', 'step', 'square'] as UnaryOp[]) expect(diff(be, [x], (b, [t]) => b.unary(op, t)), op).toBeLessThan(1e-6);
    const pos = Float32Array.from([0, Infinity, NaN, 1e-30, 1e30, 1, 2]);
    for (const op of ['log', 'sqrt', 'recip'] as UnaryOp[]) expect(diff(be, [pos], (b, [t]) => b.unary(op, t)), op).toBeLessThan(1e-6);
    expect(diff(be, [Float32Array.from([-1, -1e-30])], (b, [t]) => b.unary('log', t))).toBe(0); // NaN both
  });

  it('affine on every size', () => {
    for (const n of SIZES) expect(diff(be, [rand(n, 3)], (b, [t]) => b.affine(t, 0.37, -1.25))).toBeLessThan(3e-7);
  });

  /** Broadcast strides of `s` (right-aligned) inside `shape`. */
  const bcast = (shape: number[], s: number[]): number[] => {
    const st = stridesOf(s);
    const off = shape.length - s.length;
    return shape.map((_, i) => (i < off || s[i - off] === 1 ? 0 : st[i - off]));
  };
  const cases: [number[], number[], number[]][] = [
    [[7, 63, 65], [7, 63, 65], [7, 63, 65]],
    [[7, 63, 65], [65], [7, 1, 65]],
    [[7, 63, 65], [63, 1], [1]],
    [[1, 257], [257], [1, 1]],
    [[65, 7], [65, 1], [7]],
    [[257], [1], [257]],
    [[], [], []],
  ];
  for (const op of ['add', 'sub', 'mul', 'div', 'eq'] as const)
    it(`binary ${op}: every broadcast pattern`, () => {
      for (const [shape, as, bs] of cases) {
        const a = rand(Math.max(1, sizeOf(as)), 5, 0.5, 2);
        const b = op === 'eq' ? Float32Array.from({ length: Math.max(1, sizeOf(bs)) }, (_, i) => (i % 3 === 0 ? a[i % a.length] : 7)) : rand(Math.max(1, sizeOf(bs)), 6, 0.5, 2);
        const err = diff(be, [a, b], (bk, [x, y]) => bk.binary(op, { buf: x, strides: bcast(shape, as), offset: 0 }, { buf: y, strides: bcast(shape, bs), offset: 0 }, shape));
        expect(err, `${op} ${JSON.stringify([shape, as, bs])}`).toBeLessThan(3e-7);
      }
    });
  it('binary through a transposed view with an offset', () => {
    // a: a [65, 7] window of a [66, 9] buffer read transposed as [7, 65]; b: a row broadcast down
    const err = diff(be, [rand(66 * 9, 7), rand(65, 8)], (b, [x, y]) => b.binary('sub', { buf: x, strides: [1, 9], offset: 9 + 1 }, { buf: y, strides: [0, 1], offset: 0 }, [7, 65]));
    expect(err).toBeLessThan(3e-7);
  });

  for (const op of ['sum', 'max'] as const)
    it(`reduce ${op} over [outer, n, inner] layouts`, () => {
      for (const [o, n, i] of [[1, 1, 1], [7, 63, 1], [1, 257, 65], [65, 7, 63], [3, 1, 257], [257, 65, 1], [2, 5, 3]])
        expect(diff(be, [rand(o * n * i, o + n + i)], (b, [x]) => b.reduce(op, x, o, n, i)), `${op} [${o},${n},${i}]`).toBeLessThan(op === 'sum' ? 1e-7 * n + 1e-6 : 1e-12); // float32 accumulation
    });

  it('copy: permutations, slices, expands', () => {
    const x = rand(7 * 63 * 5, 9);
    const views: [number[], number[], number][] = [
      [[5, 63, 7], [1, 5, 315], 0], // full permutation
      [[63, 7, 5], [5, 315, 1], 0],
      [[3, 60, 2], [315, 5, 1], 5 * 3 + 1], // slice with offset
      [[4, 63, 5], [0, 5, 1], 0], // expand (stride 0)
      [[257], [1], 11],
      [[], [], 4],
    ];
    for (const [shape, strides, offset] of views) expect(diff(be, [x], (b, [t]) => b.copy({ buf: t, strides, offset }, shape)), JSON.stringify(shape)).toBe(0);
  });
  it('writeInto: strided windows, permuted destination', () => {
    expect(diff(be, [rand(63 * 7, 10)], (b, [s]) => { const d = b.fill(65 * 9, 0.5); b.writeInto({ buf: d, strides: [9, 1], offset: 2 * 9 + 1 }, [63, 7], s); return d; })).toBe(0);
    expect(diff(be, [rand(7 * 65, 11)], (b, [s]) => { const d = b.fill(65 * 7, -1); b.writeInto({ buf: d, strides: [1, 7], offset: 0 }, [7, 65], s); return d; })).toBe(0);
  });

  const shapes: [number, number, number, number][] = [[1, 1, 1, 1], [5, 7, 9, 13], [1, 7, 65, 63], [2, 63, 257, 7], [3, 65, 7, 257], [1, 257, 63, 65], [2, 1, 1, 257], [1, 6, 8, 0]];
  for (const [batch, m, n, k] of shapes)
    it(`matmul b${batch} ${m}×${k}·${k}×${n}: every transpose, batch stride and shared operand`, () => {
      for (const transA of [false, true])
        for (const transB of [false, true])
          for (const [sa, sb] of batch > 1 ? [[false, false], [true, false], [false, true]] : [[false, false]]) {
            const d = { batch, m, n, k, transA, transB, aBatchStride: sa ? 0 : m * k, bBatchStride: sb ? 0 : k * n };
            const err = diff(be, [rand(Math.max(1, (sa ? 1 : batch) * m * k), m + k), rand(Math.max(1, (sb ? 1 : batch) * k * n), n + k)], (b, [x, y]) => b.matmul(x, y, d));
            expect(err, JSON.stringify(d)).toBeLessThan(1e-6 * Math.sqrt(k + 1) * 4);
          }
    });

  it('gather and scatterAdd: repeated indices, row sizes 1, 7, 65', () => {
    const idx = Int32Array.from([3, 0, 3, 9, 1, 3, 9, 9, 2]);
    for (const rs of [1, 7, 65]) {
      expect(diff(be, [rand(10 * rs, rs)], (b, [t]) => b.gather(t, rs, idx))).toBe(0);
      expect(diff(be, [rand(idx.length * rs, rs + 1)], (b, [s]) => b.scatterAdd(s, rs, idx, 10))).toBeLessThan(1e-6);
    }
    const t = be.upload(rand(10, 1));
    expect(() => be.gather(t, 1, Int32Array.from([10]))).toThrow(/out of range/);
    expect(() => be.scatterAdd(t, 1, Int32Array.from([-1]), 5)).toThrow(/out of range/);
    be.dispose(t);
  });

  it('softmaxRows and normalizeRows on every row length', () => {
    for (const n of SIZES) {
      const x = rand(7 * n, n, -30, 30);
      const sm = (b: Backend, xs: DeviceBuffer): DeviceBuffer => b.softmaxRows!(xs, 7, n);
      expect(diff(be, [x], (b, [t]) => sm(b, t)), `softmax n=${n}`).toBeLessThan(1e-6);
      for (const which of ['y', 'rstd'] as const)
        expect(diff(be, [x], (b, [t]) => { const r = b.normalizeRows!(t, 7, n, 1e-5); b.dispose(which === 'y' ? r.rstd : r.y); return r[which]; }), `normalize ${which} n=${n}`).toBeLessThan(2e-6);
    }
  });

  it('frees everything it allocates: liveBuffers back to 0, heap back to its start, memory reused', () => {
    const start = be.memoryStats();
    expect(be.liveBuffers()).toBe(0);
    for (let round = 0; round < 3; round++) {
      const bufs = SIZES.map((n) => be.upload(rand(n * 1000, n)));
      const outs = bufs.map((b) => be.unary('exp', b));
      const m = be.matmul(bufs[4], bufs[4], { batch: 1, m: 257, n: 257, k: 1000, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 });
      expect(be.liveBuffers()).toBe(2 * SIZES.length + 1);
      for (const b of [...bufs, ...outs, m]) be.dispose(b);
      expect(be.liveBuffers()).toBe(0);
      const s = be.memoryStats();
      expect(s.used).toBe(start.used);
      expect(s.top).toBe(start.top); // every block coalesced back into the top
    }
    expect(be.memoryStats().memory).toBeLessThan(64 * 2 ** 20); // three rounds reused one round's memory
  });
});

describe('wasm memory growth under threads', () => {
  it('grows the shared memory past its first size while workers compute, results still right', async () => {
    const be = await createWasmBackend({ threads: 2, parallelMin: 0 });
    made.push(be);
    const before = be.memoryStats().memory;
    const big: DeviceBuffer[] = [];
    for (let i = 0; i < 6; i++) big.push(be.fill(4 * 2 ** 20, i)); // 6 × 16 MiB
    expect(be.memoryStats().memory).toBeGreaterThan(before);
    // a product whose operands lie past the original end of memory
    const x = rand(65 * 257, 1);
    const y = rand(257 * 63, 2);
    const err = diff(be, [x, y], (b, [p, q]) => b.matmul(p, q, { batch: 1, m: 65, n: 63, k: 257, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 }));
    expect(err).toBeLessThan(1e-6 * Math.sqrt(258) * 4);
    expect(be.readSync(big[5])[4 * 2 ** 20 - 1]).toBe(5);
    big.forEach((b) => be.dispose(b));
    expect(be.liveBuffers()).toBe(0);
  });
});

describe.each([1, 2])('wasm dropout masks, %i thread(s)', (threads) => {
  it.each([1, 7, 63, 65, 257, 100_003])('size %i: the same mask as the Rng loop, bit for bit, and the stream continues alike', async (size) => {
    const be = await createWasmBackend({ threads, parallelMin: 0 });
    made.push(be);
    for (const p of [0.1, 0.5, 0.9]) {
      const seed = 1000 + size;
      const keep = 1 / (1 - p);
      const host = new Rng(seed);
      const want = new Float32Array(size);
      for (let i = 0; i < size; i++) want[i] = host.uniform() >= p ? keep : 0;
      const device = new Rng(seed);
      const [hi, lo] = device.skip(size);
      const buf = be.dropoutMask(size, p, keep, hi, lo);
      const got = be.readSync(buf);
      be.dispose(buf);
      const a = new Uint32Array(got.buffer);
      const b = new Uint32Array(want.buffer);
      let first = -1;
      for (let i = 0; i < size && first < 0; i++) if (a[i] !== b[i]) first = i;
      expect(first, `first differing element (p ${p})`).toBe(-1);
      // the fraction dropped is near p (the check can fail if the mask were constant)
      if (size > 1000) expect(Math.abs(got.filter((v) => v === 0).length / size - p)).toBeLessThan(0.01);
      expect(device.uniform()).toBe(host.uniform());
    }
    expect(be.liveBuffers()).toBe(0);
  });
});

describe.each([1, 2])('wasm fused GELU, %i thread(s)', (threads) => {
  it.each([1, 7, 63, 65, 257, 40_000])('size %i: forward and backward give the composed form\'s bits, and match the float64 reference', async (size) => {
    const be = await createWasmBackend({ threads, parallelMin: 0 });
    made.push(be);
    const x0 = rand(size, 11 + size, -6, 6);
    const r0 = rand(size, 12 + size);
    const run = (b: Backend, f: (x: Tensor) => Tensor) =>
      tidy(() => {
        const x = Tensor.fromData(b, x0, [size], true);
        const y = f(x);
        backward(sum(mul(y, Tensor.fromData(b, r0, [size]))));
        const out = [Float32Array.from(y.dataSync()), Float32Array.from(x.grad!.dataSync())];
        x.grad!.dispose();
        return out;
      });
    const fused = run(be, gelu);
    const composed = run(be, geluComposed);
    for (const k of [0, 1]) {
      const a = new Uint32Array(fused[k].buffer);
      const c = new Uint32Array(composed[k].buffer);
      let first = -1;
      for (let i = 0; i < size && first < 0; i++) if (a[i] !== c[i]) first = i;
      expect(first, k === 0 ? 'forward' : 'backward').toBe(-1);
    }
    const want = run(ref, geluComposed);
    let worst = 0;
    for (const k of [0, 1]) for (let i = 0; i < size; i++) worst = Math.max(worst, Math.abs(fused[k][i] - want[k][i]) / (1 + Math.abs(want[k][i])));
    expect(worst).toBeLessThan(1e-5);
    expect(be.liveBuffers()).toBe(0);
  });
});
