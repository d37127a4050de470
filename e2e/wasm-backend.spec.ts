import { expect, test } from '@playwright/test';

// The wasm backend in Chromium (lab page): every conformance case (each primitive vs the float64 JS reference) on
// the page's main thread (one thread: Atomics.wait is not allowed there) and in the lab worker on 2 threads with
// every op split; relaxed SIMD detected and used, the plain SIMD build too; 1 vs 2 threads byte-identical.

// NOTE: the two functions below run in the page or the worker from their source text, so they take their library
// as an argument and are typed loosely.
/** Runs in the page or the lab worker: all conformance cases; returns the failures and the backend's name. */
async function conformance(lib: { wasm: { createWasmBackend: (o: object) => Promise<{ name: string; threads: number; close(): void } & object> }; conformanceCases: () => { name: string; tol: number; run(b: unknown): Promise<number> }[] }, opts: object) {
  const be = await lib.wasm.createWasmBackend(opts);
  const failed: string[] = [];
  for (const c of lib.conformanceCases()) {
    const err = await c.run(be);
    if (!(err <= c.tol)) failed.push(`${c.name}: ${err} > ${c.tol}`);
  }
  const r = { name: be.name, threads: be.threads, failed, isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true };
  be.close();
  return r;
}

/** In the lab worker: a matmul, a softmax and a layer-norm of awkward sizes on 1 and 2 threads, compared bytewise. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function oneVsTwo(lib: { wasm: { createWasmBackend: (o: object) => Promise<any> }; grad: { Rng: new (s: number) => { fillUniform(a: Float32Array, lo: number, hi: number): Float32Array } } }) {
  const out: Uint8Array[][] = [];
  for (const [threads, parallelMin] of [[1, undefined], [2, 0]]) {
    const be = await lib.wasm.createWasmBackend({ threads, parallelMin });
    const a = be.upload(new lib.grad.Rng(1).fillUniform(new Float32Array(3 * 257 * 65), -1, 1));
    const b = be.upload(new lib.grad.Rng(2).fillUniform(new Float32Array(65 * 63), -1, 1));
    const mm = be.matmul(a, b, { batch: 3, m: 257, n: 63, k: 65, transA: false, transB: true, aBatchStride: 257 * 65, bBatchStride: 0 });
    const sm = be.softmaxRows(a, 3 * 257, 65);
    const { y, rstd } = be.normalizeRows(a, 3 * 257, 65, 1e-5);
    const e = be.unary('erf', a);
    const res = [mm, sm, y, rstd, e].map((t) => new Uint8Array(be.readSync(t).buffer));
    out.push(res);
    for (const t of [a, b, mm, sm, y, rstd, e]) be.dispose(t);
    be.close();
  }
  return out[0].map((x, i) => x.length === out[1][i].length && x.every((v, j) => v === out[1][i][j]));
}

test('wasm backend: conformance in the page (1 thread) and in a worker (2 threads), relaxed and plain SIMD, 1 vs 2 threads byte-identical', async ({ page }) => {
  test.setTimeout(240_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/lab.html');
  await expect.poll(() => page.evaluate(() => Boolean(window.jammiLab)), { message: errors.join('; ') }).toBe(true);
  expect(await page.evaluate(() => window.jammiLab!.wasm.hasRelaxedSimd())).toBe(true); // Chromium ≥ 114

  const main = await page.evaluate(async (src) => (0, eval)(`(${src})`)(window.jammiLab, { threads: 2 }), conformance.toString());
  expect(main.failed).toEqual([]);
  expect(main.threads).toBe(1); // the page's main thread may not block
  expect(main.name).toContain('relaxed-simd');

  for (const opts of [{ threads: 2, parallelMin: 0 }, { threads: 2, parallelMin: 0, relaxed: false }]) {
    const w = (await page.evaluate(({ src, opts }) => window.jammiLab!.inWorker(src, opts), { src: conformance.toString(), opts })) as Awaited<ReturnType<typeof conformance>>;
    expect(w.isolated).toBe(true);
    expect(w.threads).toBe(2);
    expect(w.name).toContain(opts.relaxed === false ? 'wasm-simd' : 'relaxed-simd');
    expect(w.failed, w.name).toEqual([]);
  }

  const same = await page.evaluate((src) => window.jammiLab!.inWorker(src, null), oneVsTwo.toString());
  expect(same).toEqual([true, true, true, true, true]);
  expect(errors).toEqual([]);
});
