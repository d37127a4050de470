/**
 * Backend conformance: every primitive of a backend against the float64 CPU reference on awkward shapes
 * (1, 63, 65, 257, broadcasts, strides, transposes). Framework-free and async (readback via `read`), so the
 * same cases run in Node for the CPU backend and in a browser for WebGPU:
 *
 *   for (const c of conformanceCases()) { const err = await c.run(backend); expect(err).toBeLessThan(c.tol) }
 */
import { JsBackend } from './backends/js';
import { sizeOf, stridesOf, type Backend, type BinaryOp, type DeviceBuffer, type UnaryOp } from './backend';
import { Rng } from './rng';

export interface ConformanceCase {
  name: string;
  /** Max abs error allowed for a float32 device. */
  tol: number;
  /** Runs the case on `backend` and on the CPU f64 reference; returns the max abs difference. */
  run(backend: Backend): Promise<number>;
}

const reference = new JsBackend('f64');

function data(n: number, seed: number, lo = -2, hi = 2): Float32Array {
  return new Rng(seed).fillUniform(new Float32Array(n), lo, hi);
}

async function compare(be: Backend, f: (b: Backend, inputs: DeviceBuffer[]) => DeviceBuffer, inputs: Float32Array[]): Promise<number> {
  const run = async (b: Backend): Promise<Float32Array | Float64Array> => {
    const bufs = inputs.map((x) => b.upload(x));
    const out = f(b, bufs);
    const r = b === reference ? Float64Array.from(reference.readSync(out)) : await b.read(out);
    for (const x of [...bufs, out]) b.dispose(x);
    return r;
  };
  const want = await run(reference);
  const got = await run(be);
  if (got.length !== want.length) return Infinity;
  let err = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= err)) err = Number.isNaN(d) ? Infinity : d;
  }
  return err;
}

export function conformanceCases(): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  const unary: UnaryOp[] = ['neg', 'exp', 'log', 'tanh', 'erf', 'sqrt', 'recip', 'relu', 'step', 'sigmoid', 'square'];
  for (const op of unary) {
    const positive = op === 'log' || op === 'sqrt' || op === 'recip';
    cases.push({ name: `unary ${op} (257)`, tol: 1e-5, run: (be) => compare(be, (b, [x]) => b.unary(op, x), [data(257, 1, positive ? 0.1 : -3, 3)]) });
  }
  cases.push({ name: 'affine (65)', tol: 1e-5, run: (be) => compare(be, (b, [x]) => b.affine(x, -1.5, 0.25), [data(65, 2)]) });
  const binary: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'eq'];
  for (const op of binary) {
    const as = [63, 1, 65];
    const bs = [5, 1];
    const shape = [63, 5, 65];
    const view = (s: number[]): number[] => {
      const st = stridesOf(s);
      const off = shape.length - s.length;
      return shape.map((_, i) => (i < off || s[i - off] === 1 ? 0 : st[i - off]));
    };
    const bData = op === 'eq' ? Float32Array.from(data(63 * 65, 3).subarray(0, 5)) : data(5, 4, 0.5, 2);
    cases.push({
      name: `binary ${op} broadcast [63,1,65]·[5,1]`,
      tol: 1e-5,
      run: (be) => compare(be, (b, [x, y]) => b.binary(op, { buf: x, strides: view(as), offset: 0 }, { buf: y, strides: view(bs), offset: 0 }, shape), [data(sizeOf(as), 3), bData]),
    });
  }
  for (const op of ['sum', 'max'] as const)
    for (const [outer, n, inner] of [[1, 257, 1], [3, 65, 7], [63, 1, 5]])
      cases.push({ name: `reduce ${op} [${outer},${n},${inner}]`, tol: 1e-4, run: (be) => compare(be, (b, [x]) => b.reduce(op, x, outer, n, inner), [data(outer * n * inner, 5)]) });
  cases.push({
    name: 'copy: permuted slice with offset',
    tol: 0,
    run: (be) => compare(be, (b, [x]) => b.copy({ buf: x, strides: [1, 65 * 7, 65], offset: 3 * 65 + 2 }, [60, 2, 4]), [data(3 * 7 * 65, 6)]),
  });
  cases.push({
    name: 'writeInto: a strided window of a filled buffer',
    tol: 0,
    run: (be) =>
      compare(be, (b, [src]) => {
        const dst = b.fill(5 * 9, 0.5);
        b.writeInto({ buf: dst, strides: [9, 1], offset: 2 }, [5, 4], src);
        return dst;
      }, [data(20, 7)]),
  });
  for (const [batch, m, n, k] of [[1, 1, 63, 65], [2, 65, 1, 257], [3, 63, 65, 1], [1, 128, 64, 96]])
    for (const transA of [false, true])
      for (const transB of [false, true])
        for (const shareB of batch > 1 ? [false, true] : [false])
          cases.push({
            name: `matmul b${batch} ${m}×${k}·${k}×${n}${transA ? ' Aᵀ' : ''}${transB ? ' Bᵀ' : ''}${shareB ? ' shared B' : ''}`,
            tol: 2e-6 * Math.sqrt(k) * 4,
            run: (be) =>
              compare(be, (b, [x, y]) => b.matmul(x, y, { batch, m, n, k, transA, transB, aBatchStride: m * k, bBatchStride: shareB ? 0 : k * n }), [data(batch * m * k, 8), data((shareB ? 1 : batch) * k * n, 9)]),
          });
  const idx = Int32Array.from([3, 0, 3, 9, 1, 3]);
  cases.push({ name: 'gather rows (repeats)', tol: 0, run: (be) => compare(be, (b, [t]) => b.gather(t, 65, idx), [data(10 * 65, 10)]) });
  cases.push({ name: 'scatterAdd rows (repeats)', tol: 1e-6, run: (be) => compare(be, (b, [s]) => b.scatterAdd(s, 65, idx, 10), [data(6 * 65, 11)]) });
  cases.push({
    name: 'fill, upload/read round trip, dispose accounting',
    tol: 0,
    run: async (be) => {
      const before = be.liveBuffers();
      const x = data(257, 12);
      const u = be.upload(x);
      const f = be.fill(63, -0.25);
      const [rx, rf] = await Promise.all([be.read(u), be.read(f)]);
      be.dispose(u);
      be.dispose(f);
      let err = be.liveBuffers() === before ? 0 : Infinity;
      for (let i = 0; i < x.length; i++) err = Math.max(err, Math.abs(rx[i] - x[i]));
      for (let i = 0; i < 63; i++) err = Math.max(err, Math.abs(rf[i] + 0.25));
      return err;
    },
  });
  return cases;
}
