// Square float32 matmul throughput (GFLOP/s = 2n³ / time) of the autograd engine's backends: the JS CPU backend in
// Node (the TypeScript loaded through Vite's SSR loader) and in Chromium, the wasm backend on 1 and 2 threads in
// Node and in Chromium (in the lab page's worker, where threads may block), the WebGPU backend in Chromium, and
// PyTorch's CPU matmul on the same thread counts (its BLAS named: > 20 GFLOP/s at 512³ means OpenBLAS).
// Where Chromium's WebGPU adapter is SwiftShader (CPU emulation, as in headless CI) the WebGPU column says so:
// those numbers time an emulator on the CPU, not a GPU.
import { launch } from './browser.mjs';

const SIZES = [256, 512, 1024, 2048];
/** A size is skipped when the previous one predicts (×8 for twice the side) more than this many seconds. */
const BUDGET_S = 30;
/** Repeat a size until this much time has been measured (at least one timed run after a warm-up). */
const MIN_TIME_S = 0.5;
/** JAMMI_BENCH_SKIP=js,webgpu skips those columns (the JS backend and SwiftShader take minutes on a busy machine). */
const SKIP = new Set((process.env.JAMMI_BENCH_SKIP ?? '').split(',').filter(Boolean));
const skipped = () => Object.fromEntries(SIZES.map((n) => [n, 'skipped (JAMMI_BENCH_SKIP)']));

/**
 * Runs in the page, its worker or Node: time `once` (async) until MIN_TIME_S; seconds of the fastest run.
 * NOTE: the fastest, not the mean: the machine is shared, and other jobs only ever make a run slower.
 */
async function timeIt(once, minTime) {
  await once(); // warm-up: pipeline compilation, JIT, pool
  let best = Infinity;
  const t0 = performance.now();
  do {
    const t = performance.now();
    await once();
    best = Math.min(best, performance.now() - t);
  } while ((performance.now() - t0) / 1000 < minTime);
  return best / 1000;
}

/** The wasm backend on `threads` in Node or the lab worker; `lib` has `wasm.createWasmBackend`. Seconds per product. */
async function wasmMatmul(lib, { threads, n, minTime, timeSrc }) {
  const timeIt = (0, eval)(`(${timeSrc})`);
  const cache = (globalThis.benchWasm ??= {});
  const be = (cache[threads] ??= await lib.wasm.createWasmBackend({ threads }));
  const fill = (len, seed) => Float32Array.from({ length: len }, (_, i) => (((i * seed) % 13) / 13) - 0.5);
  const a = be.upload(fill(n * n, 7));
  const b = be.upload(fill(n * n, 5));
  const desc = { batch: 1, m: n, n, k: n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
  const seconds = await timeIt(async () => be.dispose(be.matmul(a, b, desc)), minTime);
  // In Node also the CPU time per product (all threads): what a product costs when the cores are not shared
  let cpuSeconds = null;
  if (typeof process !== 'undefined' && process.cpuUsage) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let runs = 0;
    do {
      be.dispose(be.matmul(a, b, desc));
      runs++;
    } while (performance.now() - t0 < minTime * 1000);
    const c = process.cpuUsage(c0);
    cpuSeconds = (c.user + c.system) / 1e6 / runs;
  }
  be.dispose(a);
  be.dispose(b);
  return { seconds, cpuSeconds, name: be.name, threads: be.threads };
}

const TORCH = String.raw`
import json, sys, time
import torch
threads, sizes, min_time = int(sys.argv[1]), json.loads(sys.argv[2]), float(sys.argv[3])
torch.set_num_threads(threads)
out = {}
for n in sizes:
    a, b = torch.rand(n, n) - 0.5, torch.rand(n, n) - 0.5
    a @ b
    best, t0 = 1e9, time.perf_counter()
    while True:
        t = time.perf_counter(); a @ b; best = min(best, time.perf_counter() - t)
        if time.perf_counter() - t0 > min_time: break
    out[n] = 2 * n ** 3 / best / 1e9
print(json.dumps({"gflops": out, "version": torch.__version__, "threads": torch.get_num_threads(), "openblasMapped": "openblas" in open("/proc/self/maps").read()}))
`;

/** PyTorch's float32 matmul on `threads` (installs nothing; null where there is no torch). */
export async function torchMatmul(threads, sizes, minTime = MIN_TIME_S) {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync('/usr/bin/python3', ['-', String(threads), JSON.stringify(sizes), String(minTime)], { input: TORCH, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) return null;
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

/** 'OpenBLAS' where PyTorch's 512³ matmul exceeds 20 GFLOP/s, else 'generic BLAS' (Debian's reference libblas). */
export const blasName = (gflops512) => (gflops512 > 20 ? 'OpenBLAS' : 'generic BLAS');

/** GFLOP/s per size for `measure(n)` (seconds per n×n×n product), skipping sizes predicted over budget. */
async function sweep(measure) {
  const out = {};
  let last = null;
  for (const n of SIZES) {
    if (last !== null && last.seconds * (n / last.n) ** 3 > BUDGET_S) {
      out[n] = `skipped (~${Math.round(last.seconds * (n / last.n) ** 3)} s predicted)`;
      continue;
    }
    const seconds = await measure(n);
    last = { n, seconds };
    out[n] = ((2 * n ** 3) / seconds / 1e9).toFixed(2);
  }
  return out;
}

async function cpuInNode(root) {
  const { createServer } = await import('vite');
  const server = await createServer({ root, configFile: false, logLevel: 'silent', server: { middlewareMode: true, hmr: false }, appType: 'custom' });
  try {
    const { JsBackend } = await server.ssrLoadModule('/src/grad/backends/js.ts');
    const wasm = await server.ssrLoadModule('/src/grad/backends/wasm/index.ts');
    const wasmRuns = {};
    const perCpu = {};
    for (const threads of [1, 2]) {
      let name = '';
      wasmRuns[threads] = await sweep(async (n) => {
        const r = await wasmMatmul({ wasm }, { threads, n, minTime: MIN_TIME_S, timeSrc: timeIt.toString() });
        name = r.name;
        if (threads === 1) perCpu[n] = ((2 * n ** 3) / r.cpuSeconds / 1e9).toFixed(2);
        return r.seconds;
      });
      wasmRuns[threads].name = name;
      globalThis.benchWasm[threads].close();
    }
    const be = new JsBackend('f32');
    const js = SKIP.has('js') ? skipped() : await sweep(async (n) => {
      const a = be.upload(Float32Array.from({ length: n * n }, (_, i) => ((i * 7) % 13) / 13 - 0.5));
      const b = be.upload(Float32Array.from({ length: n * n }, (_, i) => ((i * 5) % 11) / 11 - 0.5));
      const desc = { batch: 1, m: n, n, k: n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
      const s = await timeIt(async () => be.dispose(be.matmul(a, b, desc)), MIN_TIME_S);
      be.dispose(a);
      be.dispose(b);
      return s;
    });
    return { js, wasm: wasmRuns, perCpu };
  } finally {
    await server.close();
  }
}

/** The wasm backend in the lab page's worker (threads allowed there). */
async function wasmInPage(page, threads, n) {
  return page.evaluate(({ src, args }) => window.jammiLab.inWorker(src, args), { src: wasmMatmul.toString(), args: { threads, n, minTime: MIN_TIME_S, timeSrc: timeIt.toString() } });
}

/** In the lab page: `kind` 'cpu' or 'webgpu'; returns seconds per product. */
async function measureInPage(page, kind, n, minTime) {
  return page.evaluate(
    async ({ kind, n, minTime }) => {
      // (the same loop as timeIt above: functions cannot be passed into the page)
      const timeIt = async (once) => {
        await once();
        let best = Infinity;
        const t0 = performance.now();
        do {
          const t = performance.now();
          await once();
          best = Math.min(best, performance.now() - t);
        } while ((performance.now() - t0) / 1000 < minTime);
        return best / 1000;
      };
      const lab = window.jammiLab;
      window.benchBackends ??= {};
      const be = (window.benchBackends[kind] ??= kind === 'cpu' ? new lab.grad.JsBackend('f32') : await lab.webgpu.createWebGpuBackend());
      const rand = (len) => new lab.grad.Rng(n).fillUniform(new Float32Array(len), -1, 1);
      const a = be.upload(rand(n * n));
      const b = be.upload(rand(n * n));
      const desc = { batch: 1, m: n, n, k: n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
      // NOTE: on WebGPU the product is only queued; wait for the queue so the time covers the kernel itself.
      const once = kind === 'cpu' ? async () => be.dispose(be.matmul(a, b, desc)) : async () => {
        be.dispose(be.matmul(a, b, desc));
        await be.device.queue.onSubmittedWorkDone();
      };
      const s = await timeIt(once);
      be.dispose(a);
      be.dispose(b);
      if (be.errors?.length) throw new Error(be.errors.join('\n'));
      return s;
    },
    { kind, n, minTime },
  );
}

export async function run({ baseURL, root }) {
  const log = (s) => process.stderr.write(`[matmul] ${s}\n`);
  log('PyTorch…');
  const torch = { 1: await torchMatmul(1, SIZES), 2: await torchMatmul(2, SIZES) };
  log('Node…');
  const node = await cpuInNode(root);
  const browser = await launch();
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    await page.goto(`${baseURL}/lab.html`);
    await page.waitForFunction(() => Boolean(window.jammiLab));
    log('Chromium wasm…');
    const wasmPage = {};
    for (const threads of [1, 2]) {
      let name = '';
      wasmPage[threads] = await sweep(async (n) => {
        const r = await wasmInPage(page, threads, n);
        name = `${r.name}`;
        return r.seconds;
      });
      wasmPage[threads].name = name;
    }
    log('Chromium JS…');
    const cpuPage = SKIP.has('js') ? skipped() : await sweep((n) => measureInPage(page, 'cpu', n, MIN_TIME_S));
    const info = await page.evaluate(async () => {
      const a = await navigator.gpu?.requestAdapter();
      return a ? { vendor: a.info.vendor, architecture: a.info.architecture, description: a.info.description, device: a.info.device } : null;
    });
    const software = info !== null && /swiftshader|google|llvmpipe|software/i.test(Object.values(info).join(' '));
    const adapter = info === null ? 'no adapter' : Object.values(info).filter(Boolean).join(' / ') || 'unnamed adapter';
    const gpu = info === null ? Object.fromEntries(SIZES.map((n) => [n, 'no WebGPU adapter'])) : SKIP.has('webgpu') ? skipped() : await sweep((n) => measureInPage(page, 'webgpu', n, MIN_TIME_S));
    const gpuLabel = software ? 'WebGPU in Chromium: SwiftShader (CPU emulation), not a GPU timing' : `WebGPU in Chromium (${adapter})`;
    const best512 = Math.max(0, ...[1, 2].map((t) => torch[t]?.gflops[512] ?? 0)); // one library: the faster timing decides
    const tcol = (t) => (torch[t] ? `PyTorch ${torch[t].version} (${blasName(best512)} by its 512³ speed; libopenblas ${torch[t].openblasMapped ? '' : 'not '}loaded), ${torch[t].threads} thread${t > 1 ? 's' : ''}` : `PyTorch, ${t} thread(s): not installed`);
    const tval = (t, n) => (torch[t] ? torch[t].gflops[n].toFixed(2) : '');
    return {
      title: 'matmul (float32, n×n · n×n), GFLOP/s',
      columns: ['n', `wasm in Chromium, 1 thread (${wasmPage[1].name})`, `wasm in Chromium, 2 threads (${wasmPage[2].name})`, `wasm in Node, 1 thread (${node.wasm[1].name})`, `wasm in Node, 2 threads (${node.wasm[2].name})`, 'wasm in Node, 1 thread, per CPU-second', tcol(1), tcol(2), 'JS backend in Node', 'JS backend in Chromium', gpuLabel],
      rows: SIZES.map((n) => [String(n), wasmPage[1][n], wasmPage[2][n], node.wasm[1][n], node.wasm[2][n], node.perCpu[n] ?? '', tval(1, n), tval(2, n), node.js[n], cpuPage[n], gpu[n]]),
      notes:
        `GFLOP/s = 2n³ / seconds of the fastest product (after one warm-up, repeated for ≥ ${MIN_TIME_S} s). ` +
        `Targets (issue 8): wasm in Chromium ≥ 20 GFLOP/s on 1 thread and ≥ 40 on 2 at 512 and 1024. The wasm name says ` +
        `which kernels ran (relaxed-simd: FMA; Node 20 has no relaxed SIMD). "Per CPU-second" divides by the process's CPU ` +
        `time instead of wall time: the rate of one core when no other job preempts it. WebGPU times wait for ` +
        `queue.onSubmittedWorkDone() after each product (no readback). WebGPU adapter: ${adapter}.` +
        (software ? ' SwiftShader runs the WGSL kernels on the CPU cores: these numbers say nothing about a real GPU.' : '') +
        ` Sizes predicted to take over ${BUDGET_S} s per product are skipped. The machine is shared, so expect noise.`,
    };
  } finally {
    await browser.close();
  }
}
