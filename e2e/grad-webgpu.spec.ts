import { expect, test, type Page } from '@playwright/test';
import type { Backend, DeviceBuffer, Tensor } from '../src/grad';

// The WebGPU backend of the autograd engine against the CPU backend, in Chromium (WebGPU on SwiftShader here:
// correct but slow, so the shapes are small and awkward: 1, 63, 65, 257, non-square, batched, strided).
//
// Agreement: |gpu − cpu| ≤ 1e-4 · max(|cpu|, mean |cpu|) elementwise, i.e. 1e-4 relative to the element or to the
// tensor's typical magnitude, whichever is larger (a matmul entry near 0 is the sum of large terms that cancel).
// Movement primitives (upload, fill, copy, writeInto, gather, scatter-add) must agree exactly.

const TOL = 1e-4;

interface Result {
  name: string;
  err: number;
  exact: boolean;
  size: number;
}

declare global {
  interface Window {
    gpuHarness?: ReturnType<typeof makeHarness>;
  }
}

/** Runs in the page: the two backends and the comparison helpers, left on window.gpuHarness. */
function makeHarness(lab: NonNullable<Window['jammiLab']>) {
  const { grad } = lab;
  const cpu = new grad.JsBackend('f32');
  const rng = new grad.Rng(20261128);
  const rand = (n: number, lo = -1, hi = 1) => rng.fillUniform(new Float32Array(n), lo, hi);
  type Buf = DeviceBuffer;

  function compare(name: string, got: Float32Array, want: Float32Array | Float64Array): Result {
    if (got.length !== want.length) return { name: `${name}: length ${got.length} ≠ ${want.length}`, err: Infinity, exact: false, size: want.length };
    let mean = 0;
    for (const v of want) if (Number.isFinite(v)) mean += Math.abs(v) / want.length;
    let err = 0;
    let exact = true;
    for (let i = 0; i < want.length; i++) {
      const g = got[i];
      const c = want[i];
      if (Object.is(g, c) || g === c) continue;
      exact = false;
      if (Number.isNaN(c) || !Number.isFinite(c) || !Number.isFinite(g)) err = Infinity;
      else err = Math.max(err, Math.abs(g - c) / Math.max(Math.abs(c), mean));
    }
    return { name, err, exact, size: want.length };
  }

  return {
    cpu,
    rand,
    rng,
    compare,
    /**
     * Run `op` on both backends over the same host inputs, read both outputs, dispose everything, compare.
     * `op` returns the buffer to check (a fresh output, or one of its inputs for in-place primitives).
     */
    async primitive(gpu: Backend, name: string, inputs: (Float32Array | Float64Array)[], op: (be: Backend, bufs: Buf[]) => Buf): Promise<Result> {
      const outs: Float32Array[] = [];
      for (const be of [gpu, cpu]) {
        const bufs = inputs.map((x) => be.upload(x));
        const out = op(be, bufs);
        outs.push(await be.read(out));
        for (const b of new Set([...bufs, out])) be.dispose(b);
      }
      return compare(name, outs[0], outs[1]);
    },
    /**
     * Forward + backward of `fn` on both backends: leaves from the same host data (requiresGrad), loss
     * Σ fn(leaves) · r with a fixed random r, then compare the output and every leaf gradient.
     */
    async composed(gpu: Backend, name: string, leaves: Record<string, [number[], number, number]>, fn: (t: Record<string, Tensor>) => Tensor): Promise<Result[]> {
      const data = Object.fromEntries(Object.entries(leaves).map(([k, [shape, lo, hi]]) => [k, rand(grad.sizeOf(shape), lo, hi)]));
      let weights: Float32Array | null = null;
      const reads: Record<string, Float32Array>[] = [];
      for (const be of [gpu, cpu]) {
        const ts = Object.fromEntries(Object.entries(leaves).map(([k, [shape]]) => [k, grad.Tensor.fromData(be, data[k], shape, true)]));
        const out = grad.tidy(() => {
          const y = fn(ts);
          weights ??= rand(y.size);
          const loss = grad.sum(grad.mul(y, grad.Tensor.fromData(be, weights, y.shape)));
          grad.backward(loss);
          return y;
        });
        const r: Record<string, Float32Array> = { out: await out.read() };
        for (const [k, t] of Object.entries(ts)) r[`d${k}`] = t.grad === null ? new Float32Array(0) : await t.grad.read();
        reads.push(r);
        out.dispose();
        grad.zeroGrad(Object.values(ts));
        for (const t of Object.values(ts)) t.dispose();
      }
      return Object.keys(reads[1]).map((k) => compare(`${name} ${k}`, reads[0][k], reads[1][k]));
    },
  };
}

async function openLab(page: Page): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto('/lab.html');
  await page.waitForFunction(() => window.jammiLab);
  await page.evaluate(`window.gpuHarness = (${makeHarness.toString()})(window.jammiLab)`);
  expect(await page.evaluate(async () => Boolean(await navigator.gpu?.requestAdapter())), 'Chromium gives WebGPU an adapter').toBe(true);
  test.info().annotations.push({ type: 'page errors', description: errors.join('; ') });
}

function check(results: Result[], label: string): void {
  const worst = results.reduce((a, r) => Math.max(a, r.err), 0);
  const top = [...results].sort((a, b) => b.err - a.err).slice(0, 3).map((r) => `${r.name} ${r.err.toExponential(2)}`);
  console.log(`${label}: ${results.length} comparisons, max error ${worst.toExponential(2)} (worst: ${top.join('; ')})`);
  for (const r of results) expect(r.err, `${label}: ${r.name} (size ${r.size}) error ${r.err}`).toBeLessThanOrEqual(TOL);
}

test('conformance: WebGPU against the js float64 reference (the cases of src/grad/conformance.ts)', async ({ page }) => {
  test.setTimeout(300_000);
  await openLab(page);
  const out = await page.evaluate(async () => {
    const { conformanceCases, webgpu } = window.jammiLab!;
    const gpu = await webgpu.createWebGpuBackend();
    const r: { name: string; err: number; tol: number }[] = [];
    for (const c of conformanceCases()) r.push({ name: c.name, err: await c.run(gpu), tol: c.tol });
    return r;
  });
  expect(out.length).toBeGreaterThan(20);
  const worst = [...out].sort((a, b) => b.err / (b.tol || 1e-12) - a.err / (a.tol || 1e-12)).slice(0, 3);
  console.log(`conformance on WebGPU: ${out.length} cases; closest to tolerance: ${worst.map((c) => `${c.name} ${c.err.toExponential(2)} (tol ${c.tol})`).join('; ')}`);
  for (const c of out) expect(c.err, c.name).toBeLessThanOrEqual(c.tol);
});

test('every primitive matches the CPU backend on awkward shapes, also with dispatches folded into 2-D grids', async ({ page }) => {
  test.setTimeout(300_000);
  await openLab(page);
  for (const dispatchLimit of [undefined, 16]) {
    const { results, errors, live } = await page.evaluate(async (dispatchLimit) => {
      const h = window.gpuHarness!;
      const { grad, webgpu } = window.jammiLab!;
      const gpu = await webgpu.createWebGpuBackend({ dispatchLimit });
      const r: Result[] = [];
      const P = (name: string, inputs: (Float32Array | Float64Array)[], op: Parameters<typeof h.primitive>[3]) => h.primitive(gpu, name, inputs, op).then((x) => r.push(x));
      const view = (buf: ReturnType<typeof gpu.fill>, strides: number[], offset = 0) => ({ buf, strides, offset });

      // fill, upload, read
      for (const [n, v] of [[0, 1], [1, -2.5], [257, 3.25], [1300, 0], [65, 1e-30]]) await P(`fill ${n} ${v}`, [], (be) => be.fill(n, v));
      await P('upload f32 1300', [h.rand(1300)], (_be, [x]) => x);
      await P('upload f64', [Float64Array.from(h.rand(63), (v) => v / 3)], (_be, [x]) => x);

      // unary and affine over special values and a random spread
      const special = [0, -0, 1e-3, -1e-3, 0.5, -0.5, 2.5, -2.5, 9.9, -10.1, 20, -20, 88, -88, 100, -100];
      const spread = new Float32Array([...special, ...h.rand(1300 - special.length, -6, 6)]);
      const positive = h.rand(257, 0.05, 40);
      for (const op of ['neg', 'exp', 'tanh', 'erf', 'relu', 'step', 'sigmoid', 'square'] as const) await P(`unary ${op}`, [spread], (be, [x]) => be.unary(op, x));
      for (const op of ['log', 'sqrt', 'recip'] as const) await P(`unary ${op}`, [positive], (be, [x]) => be.unary(op, x));
      await P('unary exp of 1', [new Float32Array([0.75])], (be, [x]) => be.unary('exp', x));
      await P('affine', [spread], (be, [x]) => be.affine(x, -0.37, 1.25));

      // binary through broadcasting and strided views
      const b257 = h.rand(257, 0.5, 2).map((v, i) => (i % 2 ? -v : v));
      for (const op of ['add', 'sub', 'mul', 'div'] as const) {
        await P(`${op} [63,65]`, [h.rand(63 * 65), h.rand(63 * 65, 0.5, 2)], (be, [a, b]) => be.binary(op, view(a, [65, 1]), view(b, [65, 1]), [63, 65]));
        await P(`${op} [1,65] ⊕ [63,1]`, [h.rand(65), h.rand(63, 0.5, 2)], (be, [a, b]) => be.binary(op, view(a, [0, 1]), view(b, [1, 0]), [63, 65]));
        await P(`${op} scalar ⊕ [257]`, [h.rand(1), b257], (be, [a, b]) => be.binary(op, view(a, [0]), view(b, [1]), [257]));
        await P(`${op} rank 0`, [h.rand(1), h.rand(1, 0.5, 2)], (be, [a, b]) => be.binary(op, view(a, []), view(b, []), []));
        // a: a transposed (column-major) window at an offset, broadcast over the first axis; b: [5,1,63] broadcast over the middle
        await P(`${op} transposed view ⊕ broadcast`, [h.rand(10 + 65 * 63), h.rand(5 * 63, 0.5, 2)], (be, [a, b]) =>
          be.binary(op, view(a, [0, 1, 63], 10), view(b, [63, 0, 1]), [5, 3, 63]),
        );
      }
      const ints = (n: number) => Float32Array.from(h.rand(n, 0, 3), Math.floor);
      await P('eq with ties and broadcast', [ints(63 * 65), ints(65)], (be, [a, b]) => be.binary('eq', view(a, [65, 1]), view(b, [0, 1]), [63, 65]));

      // reductions: narrow (one invocation per output) and wide (one workgroup per output) kernels, empty axis
      for (const [o, n, i] of [[1, 257, 1], [3, 65, 63], [63, 1, 65], [1, 1000, 1], [2, 300, 3], [64, 65, 64], [5, 0, 3], [4, 63, 1]])
        for (const op of ['sum', 'max'] as const) await P(`reduce ${op} [${o},${n},${i}]`, [h.rand(o * n * i, -3, 3)], (be, [x]) => be.reduce(op, x, o, n, i));

      // copy (permute, slice with offset, expand, rank 0) and writeInto (concat-style window, permuted window)
      await P('copy permute [4,63,65]→[65,4,63]', [h.rand(4 * 63 * 65)], (be, [x]) => be.copy(view(x, [1, 63 * 65, 65]), [65, 4, 63]));
      await P('copy slice [63,65][:, 7:40] offset', [h.rand(63 * 65)], (be, [x]) => be.copy(view(x, [65, 1], 7), [63, 33]));
      await P('copy expand [1,65]→[63,65]', [h.rand(65)], (be, [x]) => be.copy(view(x, [0, 1]), [63, 65]));
      await P('copy rank 0', [h.rand(5)], (be, [x]) => be.copy(view(x, [], 3), []));
      await P('writeInto window [65,65] of [65,130]', [h.rand(65 * 130), h.rand(65 * 65)], (be, [dst, src]) => (be.writeInto(view(dst, [130, 1], 65), [65, 65], src), dst));
      await P('writeInto transposed window', [h.rand(63 * 65), h.rand(63 * 65)], (be, [dst, src]) => (be.writeInto(view(dst, [1, 63]), [63, 65], src), dst));

      // matmul: all four transposes on awkward shapes, batched, batch-stride-0 broadcast, k = 0
      for (const [m, n, k] of [[1, 1, 1], [1, 63, 65], [65, 1, 257], [63, 65, 1], [257, 65, 63], [70, 130, 129]])
        for (const transA of [false, true])
          for (const transB of [false, true])
            await P(`matmul ${m}×${n}×${k} tA=${transA} tB=${transB}`, [h.rand(m * k), h.rand(k * n)], (be, [a, b]) =>
              be.matmul(a, b, { batch: 1, m, n, k, transA, transB, aBatchStride: 0, bBatchStride: 0 }),
            );
      for (const [transA, transB] of [[false, false], [true, true], [false, true]])
        await P(`matmul batched 5×(65×63×33) tA=${transA} tB=${transB}`, [h.rand(5 * 65 * 33), h.rand(5 * 33 * 63)], (be, [a, b]) =>
          be.matmul(a, b, { batch: 5, m: 65, n: 63, k: 33, transA, transB, aBatchStride: 65 * 33, bBatchStride: 33 * 63 }),
        );
      await P('matmul batch 4, B shared (stride 0)', [h.rand(4 * 9 * 65), h.rand(65 * 63)], (be, [a, b]) =>
        be.matmul(a, b, { batch: 4, m: 9, n: 63, k: 65, transA: false, transB: false, aBatchStride: 9 * 65, bBatchStride: 0 }),
      );
      await P('matmul batch 4, A shared (stride 0), tB', [h.rand(9 * 65), h.rand(4 * 63 * 65)], (be, [a, b]) =>
        be.matmul(a, b, { batch: 4, m: 9, n: 63, k: 65, transA: false, transB: true, aBatchStride: 0, bBatchStride: 63 * 65 }),
      );
      // 20 batches: more than the dispatch limit of 16 on the z axis, so the batch runs in chunks there
      await P('matmul batch 20 (3×5×7) tA', [h.rand(20 * 21), h.rand(20 * 35)], (be, [a, b]) =>
        be.matmul(a, b, { batch: 20, m: 3, n: 5, k: 7, transA: true, transB: false, aBatchStride: 21, bBatchStride: 35 }),
      );
      await P('matmul k = 0', [h.rand(1), h.rand(1)], (be, [a, b]) => be.matmul(a, b, { batch: 2, m: 3, n: 5, k: 0, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 }));

      // gather / scatter-add with repeated and unused rows
      const idx = Int32Array.from({ length: 129 }, () => Math.floor(h.rng.uniform() * 50));
      await P('gather [50,63] by 129 indices', [h.rand(50 * 63)], (be, [t]) => be.gather(t, 63, idx));
      await P('gather rowSize 1', [h.rand(50)], (be, [t]) => be.gather(t, 1, idx));
      await P('gather no indices', [h.rand(50)], (be, [t]) => be.gather(t, 1, new Int32Array(0)));
      await P('scatterAdd 129 rows of 63 into 70', [h.rand(129 * 63)], (be, [s]) => be.scatterAdd(s, 63, idx, 70));
      await P('scatterAdd rowSize 1', [h.rand(129)], (be, [s]) => be.scatterAdd(s, 1, idx, 50));

      // bad indices throw, before anything is allocated
      const t = gpu.upload(h.rand(10));
      const throws: string[] = [];
      for (const f of [() => gpu.gather(t, 2, new Int32Array([5])), () => gpu.scatterAdd(t, 2, new Int32Array([0, -1]), 3)])
        try { f(); } catch (e) { throws.push((e as Error).message); }
      gpu.dispose(t);
      if (throws.length !== 2 || !throws.every((m) => /out of range/.test(m))) r.push({ name: `bad indices: ${throws.join(' | ')}`, err: Infinity, exact: false, size: 0 });

      const out = { results: r, errors: [...gpu.errors], live: gpu.liveBuffers() };
      gpu.destroy();
      void grad;
      return out;
    }, dispatchLimit);
    const label = `primitives${dispatchLimit ? `, dispatchLimit ${dispatchLimit}` : ''}`;
    expect(errors, 'no WebGPU validation errors').toEqual([]);
    expect(live, 'every buffer disposed').toBe(0);
    check(results, label);
    const movement = results.filter((r) => /^(fill|upload|copy|writeInto|gather|scatterAdd)/.test(r.name));
    for (const r of movement) expect(r.exact, `${label}: ${r.name} is exact`).toBe(true);
  }
});

test('forward and backward of composed ops through Tensor match the CPU backend', async ({ page }) => {
  test.setTimeout(300_000);
  await openLab(page);
  const { results, errors, live } = await page.evaluate(async () => {
    const h = window.gpuHarness!;
    const g = window.jammiLab!.grad;
    const gpu = await window.jammiLab!.webgpu.createWebGpuBackend();
    const r: Result[] = [];
    const C = async (name: string, leaves: Parameters<typeof h.composed>[2], fn: Parameters<typeof h.composed>[3]) => r.push(...(await h.composed(gpu, name, leaves, fn)));

    await C('matmul [65,63]·[63,257]', { a: [[65, 63], -1, 1], b: [[63, 257], -1, 1] }, ({ a, b }) => g.matmul(a, b));
    await C('matmul batched [3,63,65]ᵀ·[3,257,63]ᵀ', { a: [[3, 63, 65], -1, 1], b: [[3, 257, 63], -1, 1] }, ({ a, b }) => g.matmul(a, b, { transA: true, transB: true }));
    await C('matmul shared B [2,5,63]·[63,65]', { a: [[2, 5, 63], -1, 1], b: [[63, 65], -1, 1] }, ({ a, b }) => g.matmul(a, b));
    await C('matmul shared B [2,63,5]ᵀ·[65,63]ᵀ', { a: [[2, 63, 5], -1, 1], b: [[65, 63], -1, 1] }, ({ a, b }) => g.matmul(a, b, { transA: true, transB: true }));
    await C('linear [9,63]·[65,63]ᵀ + b', { x: [[9, 63], -1, 1], w: [[65, 63], -0.2, 0.2], b: [[65], -1, 1] }, ({ x, w, b }) => g.linear(x, w, b));
    await C('softmax [7,257] last axis', { x: [[7, 257], -5, 5] }, ({ x }) => g.softmax(x));
    await C('softmax [65,3] axis 0', { x: [[65, 3], -5, 5] }, ({ x }) => g.softmax(x, 0));
    await C('logSoftmax [5,63]', { x: [[5, 63], -5, 5] }, ({ x }) => g.logSoftmax(x));
    await C('crossEntropy [5,63]', { x: [[5, 63], -5, 5] }, ({ x }) => g.crossEntropy(x, [0, 62, 7, 7, 30]));
    await C('layerNorm [9,63] w b', { x: [[9, 63], -3, 3], w: [[63], 0.5, 1.5], b: [[63], -1, 1] }, ({ x, w, b }) => g.layerNorm(x, w, b, 1e-5));
    // Fused row kernels (one workgroup per row) on rows longer than a workgroup, and many short rows.
    await C('softmax [3,1000] fused', { x: [[3, 1000], -5, 5] }, ({ x }) => g.softmax(x));
    await C('softmax [300,2] fused', { x: [[300, 2], -5, 5] }, ({ x }) => g.softmax(x));
    await C('layerNorm [2,700] fused, no bias', { x: [[2, 700], -3, 3], w: [[700], 0.5, 1.5] }, ({ x, w }) => g.layerNorm(x, w, null, 1e-12));
    await C('gelu [257]', { x: [[257], -5, 5] }, ({ x }) => g.gelu(x));
    await C('tanh·sigmoid + relu [63,65]', { x: [[63, 65], -4, 4] }, ({ x }) => g.add(g.mul(g.tanh(x), g.sigmoid(x)), g.relu(x)));
    await C('log, sqrt, div, sub, exp [65]', { x: [[65], 0.5, 3], y: [[65], 0.5, 3] }, ({ x, y }) => g.sub(g.div(g.log(x), g.sqrt(y)), g.exp(g.neg(y))));
    const idx = Int32Array.from({ length: 33 }, (_, i) => (i * 7) % 20);
    await C('gather (embedding) [20,63] by 33 indices', { t: [[20, 63], -1, 1] }, ({ t }) => g.gather(t, idx, [3, 11]));
    await C('sum axes [0,2] of [5,63,4]', { x: [[5, 63, 4], -1, 1] }, ({ x }) => g.sum(x, [0, 2]));
    await C('max axis 1 of [5,63,4]', { x: [[5, 63, 4], -1, 1] }, ({ x }) => g.max(x, 1));
    await C('mean of [257]', { x: [[257], -1, 1] }, ({ x }) => g.mean(x));
    await C('slice, permute, concat [4,9,65] ++ [9,4,5]ᵖ', { x: [[4, 9, 65], -1, 1], y: [[9, 4, 5], -1, 1] }, ({ x, y }) =>
      g.concat([g.slice(x, 2, 3, 40), g.permute(y, [1, 0, 2])], 2),
    );
    await C('transpose + broadcast add [63,65]ᵀ + [63]', { x: [[63, 65], -1, 1], b: [[63], -1, 1] }, ({ x, b }) => g.add(g.transpose(x), b));
    const rot = g.rotaryTables(gpu, 9, 16, 10000);
    const rotCpu = g.rotaryTables(h.cpu, 9, 16, 10000);
    await C('rotary [2,9,16]', { x: [[2, 9, 16], -1, 1] }, ({ x }) => (x.backend === gpu ? g.rotary(x, rot.cos, rot.sin) : g.rotary(x, rotCpu.cos, rotCpu.sin)));
    for (const t of [rot.cos, rot.sin, rotCpu.cos, rotCpu.sin]) t.dispose();

    // A small attention block end to end: embedding, layer norm, q/k/v, 2-head softmax attention, GELU MLP, pooling, loss.
    const tokens = Int32Array.from({ length: 18 }, (_, i) => (i * 5 + 3) % 50);
    await C('attention block → cross-entropy', {
      emb: [[50, 48], -1, 1], lnw: [[48], 0.8, 1.2], lnb: [[48], -0.1, 0.1],
      wq: [[48, 48], -0.2, 0.2], wk: [[48, 48], -0.2, 0.2], wv: [[48, 48], -0.2, 0.2],
      w1: [[65, 48], -0.2, 0.2], b1: [[65], -0.1, 0.1], w2: [[3, 65], -0.3, 0.3], b2: [[3], -0.1, 0.1],
    }, (p) => {
      const x = g.layerNorm(g.gather(p.emb, tokens, [2, 9]), p.lnw, p.lnb, 1e-5);
      const heads = (t: Tensor) => g.permute(g.reshape(t, [2, 9, 2, 24]), [0, 2, 1, 3]);
      const q = heads(g.linear(x, p.wq, null));
      const k = heads(g.linear(x, p.wk, null));
      const v = heads(g.linear(x, p.wv, null));
      const att = g.softmax(g.scale(g.matmul(q, k, { transB: true }), 1 / Math.sqrt(24)));
      const o = g.reshape(g.permute(g.matmul(att, v), [0, 2, 1, 3]), [2, 9, 48]);
      const y = g.gelu(g.linear(o, p.w1, p.b1));
      const pooled = g.add(g.max(y, 1), g.mean(y, 1));
      return g.crossEntropy(g.linear(pooled, p.w2, p.b2), [0, 2]);
    });
    const out = { results: r, errors: [...gpu.errors], live: gpu.liveBuffers() };
    gpu.destroy();
    return out;
  });
  expect(errors, 'no WebGPU validation errors').toEqual([]);
  expect(live, 'every buffer disposed').toBe(0);
  check(results, 'composed ops, forward + backward');
});

test('a training step leaks no buffers, and a repeated step reuses pooled buffers instead of creating new ones', async ({ page }) => {
  await openLab(page);
  const res = await page.evaluate(async () => {
    const g = window.jammiLab!.grad;
    const h = window.gpuHarness!;
    const gpu = await window.jammiLab!.webgpu.createWebGpuBackend();
    const baseline = gpu.liveBuffers();
    const w = g.Tensor.fromData(gpu, h.rand(65 * 63), [65, 63], true);
    const b = g.Tensor.fromData(gpu, h.rand(65), [65], true);
    const x = g.Tensor.fromData(gpu, h.rand(9 * 63), [9, 63]);
    const opt = new g.AdamW([w, b], { lr: 1e-2 });
    const ones = g.Tensor.full(gpu, [63], 1);
    const step = async () => {
      const loss = g.tidy(() => {
        const l = g.crossEntropy(g.gelu(g.linear(g.layerNorm(x, ones, null, 1e-5), w, b)), [0, 1, 2, 3, 4, 5, 6, 7, 64]);
        g.backward(l);
        return l;
      });
      opt.update();
      g.zeroGrad([w, b]);
      const v = (await loss.read())[0];
      loss.dispose();
      return v;
    };
    // Two warm-up steps: the first update creates the optimizer state, the second briefly holds old and new moments.
    const losses = [await step(), await step()];
    const warm = { live: gpu.liveBuffers(), created: gpu.poolStats().created };
    for (let i = 0; i < 4; i++) losses.push(await step());
    const later = { live: gpu.liveBuffers(), created: gpu.poolStats().created, pooled: gpu.poolStats().buffers };
    opt.dispose();
    for (const t of [w, b, x, ones]) t.dispose();
    const end = gpu.liveBuffers();
    const errors = [...gpu.errors];
    gpu.destroy();
    return { baseline, warm, later, end, losses, errors };
  });
  console.log(`leak check: ${JSON.stringify(res)}`);
  expect(res.errors).toEqual([]);
  expect(res.losses.every(Number.isFinite)).toBe(true);
  expect(res.losses[5], 'the loss goes down').toBeLessThan(res.losses[0]);
  expect(res.later.live, 'optimizer state is allocated once, steps leak nothing').toBe(res.warm.live);
  expect(res.later.created, 'later steps create no GPUBuffers: the pool serves them').toBe(res.warm.created);
  expect(res.later.pooled).toBeGreaterThan(0);
  expect(res.end, 'every buffer released after disposing parameters and optimizer state').toBe(res.baseline);
});

test('clear errors: after device loss every call throws instead of hanging; no WebGPU; a buffer over the device limit', async ({ page }) => {
  await openLab(page);
  const res = await page.evaluate(async () => {
    const { webgpu } = window.jammiLab!;
    const gpu = await webgpu.createWebGpuBackend();
    const x = gpu.upload(new Float32Array([1, 2, 3]));
    const sq = gpu.unary('square', x);
    const before = Array.from(await gpu.read(sq));
    gpu.dispose(sq);
    const pending = gpu.read(x).then(() => 'resolved', (e: Error) => e.message);
    gpu.device.destroy();
    const reason = await gpu.lost;
    const attempt = async (f: () => unknown) => {
      try {
        await f();
        return 'no error';
      } catch (e) {
        return (e as Error).message;
      }
    };
    const messages = {
      pending: await pending,
      fill: await attempt(() => gpu.fill(4, 1)),
      unary: await attempt(() => gpu.unary('exp', x)),
      matmul: await attempt(() => gpu.matmul(x, x, { batch: 1, m: 1, n: 1, k: 3, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 })),
      read: await attempt(() => gpu.read(x)),
      dispose: await attempt(() => gpu.dispose(x)),
    };
    // A buffer beyond the device's storage binding limit is refused up front, with the limit in the message.
    const fresh = await webgpu.createWebGpuBackend();
    const oversized = await attempt(() => fresh.fill(2 ** 31, 0));
    const freshLive = fresh.liveBuffers();
    fresh.destroy();
    // No navigator.gpu (an own property shadows the prototype getter, then is removed again).
    Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
    const missing = await attempt(() => webgpu.createWebGpuBackend());
    delete (navigator as { gpu?: unknown }).gpu;
    const restored = Boolean(navigator.gpu);
    return { before, reason, messages, missing, restored, oversized, freshLive, live: gpu.liveBuffers() };
  });
  console.log(`device loss: ${JSON.stringify(res)}`);
  expect(res.before).toEqual([1, 4, 9]);
  expect(res.reason).toMatch(/destroyed/);
  // A read already in flight may still complete (its copy was submitted before the loss); it must not hang.
  expect(res.messages.pending === 'resolved' || /The GPU device was lost: destroyed/.test(res.messages.pending)).toBe(true);
  for (const k of ['fill', 'unary', 'matmul', 'read'] as const) expect(res.messages[k], k).toMatch(/^The GPU device was lost: destroyed/);
  expect(res.messages.dispose, 'dispose still works so cleanup code does not throw').toBe('no error');
  expect(res.missing).toMatch(/WebGPU is not available: navigator\.gpu is missing/);
  expect(res.restored).toBe(true);
  expect(res.live).toBe(0);
  expect(res.oversized).toMatch(/exceeds this device's storage binding limit of \d+ MiB/);
  expect(res.freshLive).toBe(0);
});

test('a training step is recorded into one command buffer, gives the same bits as a submit per primitive, and uploads never overtake recorded work', async ({ page }) => {
  await openLab(page);
  const res = await page.evaluate(async () => {
    const g = window.jammiLab!.grad;
    const h = window.gpuHarness!;
    const data = { w: h.rand(33 * 17), b: h.rand(33), x: h.rand(5 * 17) };
    const run = async (maxRecorded: number) => {
      const gpu = await window.jammiLab!.webgpu.createWebGpuBackend({ maxRecorded });
      const w = g.Tensor.fromData(gpu, data.w, [33, 17], true);
      const b = g.Tensor.fromData(gpu, data.b, [33], true);
      const x = g.Tensor.fromData(gpu, data.x, [5, 17]);
      const opt = new g.AdamW([w, b], { lr: 1e-2 });
      const ones = g.Tensor.full(gpu, [17], 1);
      const losses: number[] = [];
      const perStep: ReturnType<typeof gpu.counters>[] = [];
      for (let i = 0; i < 3; i++) {
        const c0 = gpu.counters();
        const loss = g.tidy(() => {
          const l = g.crossEntropy(g.gelu(g.linear(g.layerNorm(x, ones, null, 1e-5), w, b)), [0, 1, 2, 3, 32]);
          g.backward(l);
          g.clipGradNorm([w, b], 1).dispose();
          return l;
        });
        opt.update();
        g.zeroGrad([w, b]);
        losses.push((await loss.read())[0]);
        loss.dispose();
        const c1 = gpu.counters();
        perStep.push({ submits: c1.submits - c0.submits, dispatches: c1.dispatches - c0.dispatches, readbacks: c1.readbacks - c0.readbacks, hazardFlushes: c1.hazardFlushes - c0.hazardFlushes });
      }
      const params = [...(await w.read()), ...(await b.read())];
      opt.dispose();
      for (const t of [w, b, x, ones]) t.dispose();
      // Ordering: x's buffer is freed while a recorded (unsubmitted) exp still reads it; the next upload of the
      // same size must not land in it before the exp runs; a fill (a recorded clear) likewise.
      const u = gpu.upload(Float32Array.from([1, 2, 3]));
      const e = gpu.unary('exp', u);
      gpu.dispose(u);
      const v = gpu.upload(Float32Array.from([10, 20, 30]));
      const z = gpu.fill(3, 0);
      const sum = gpu.binary('add', { buf: e, offset: 0, strides: [1] }, { buf: z, offset: 0, strides: [1] }, [3]);
      const ordered = [...(await gpu.read(sum)), ...(await gpu.read(v))];
      for (const t of [e, v, z, sum]) gpu.dispose(t);
      const errors = [...gpu.errors];
      const live = gpu.liveBuffers();
      gpu.destroy();
      return { losses, perStep, params, ordered, errors, live };
    };
    return { batched: await run(512), single: await run(1) };
  });
  console.log(`per step, batched: ${JSON.stringify(res.batched.perStep[2])}; a submit per primitive: ${JSON.stringify(res.single.perStep[2])}`);
  for (const r of [res.batched, res.single]) {
    expect(r.errors).toEqual([]);
    expect(r.live).toBe(0);
    expect(r.ordered.map((t) => Math.round(t * 1e4) / 1e4)).toEqual([2.7183, 7.3891, 20.0855, 10, 20, 30]);
  }
  // Same kernels in the same order: the same bits.
  expect(res.batched.losses).toEqual(res.single.losses);
  expect(res.batched.params).toEqual(res.single.params);
  const b = res.batched.perStep[2];
  const s = res.single.perStep[2];
  expect(b.dispatches).toBeGreaterThan(30);
  expect(b.dispatches).toBe(s.dispatches);
  expect(b.readbacks).toBe(1);
  expect(b.submits, 'one command buffer per step (the loss read submits it)').toBe(1);
  expect(b.hazardFlushes).toBe(0);
  expect(s.submits).toBeGreaterThanOrEqual(s.dispatches);
});
