// Square float32 matmul throughput (GFLOP/s = 2n³ / time) of the autograd engine's backends: the CPU backend in
// Node (the TypeScript loaded through Vite's SSR loader) and in Chromium, and the WebGPU backend in Chromium.
// Where Chromium's WebGPU adapter is SwiftShader (CPU emulation, as in headless CI) the WebGPU column says so:
// those numbers time an emulator on the CPU, not a GPU.
import { launch } from './browser.mjs';

const SIZES = [256, 512, 1024, 2048];
/** A size is skipped when the previous one predicts (×8 for twice the side) more than this many seconds. */
const BUDGET_S = 30;
/** Repeat a size until this much time has been measured (at least one timed run after a warm-up). */
const MIN_TIME_S = 0.5;

/** Runs in the page or in Node: time `once` (async) until MIN_TIME_S; seconds per run. */
async function timeIt(once, minTime) {
  await once(); // warm-up: pipeline compilation, JIT, pool
  let runs = 0;
  const t0 = performance.now();
  do {
    await once();
    runs++;
  } while ((performance.now() - t0) / 1000 < minTime);
  return (performance.now() - t0) / 1000 / runs;
}

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
    const be = new JsBackend('f32');
    return await sweep(async (n) => {
      const a = be.upload(Float32Array.from({ length: n * n }, (_, i) => ((i * 7) % 13) / 13 - 0.5));
      const b = be.upload(Float32Array.from({ length: n * n }, (_, i) => ((i * 5) % 11) / 11 - 0.5));
      const desc = { batch: 1, m: n, n, k: n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
      const s = await timeIt(async () => be.dispose(be.matmul(a, b, desc)), MIN_TIME_S);
      be.dispose(a);
      be.dispose(b);
      return s;
    });
  } finally {
    await server.close();
  }
}

/** In the lab page: `kind` 'cpu' or 'webgpu'; returns seconds per product. */
async function measureInPage(page, kind, n, minTime) {
  return page.evaluate(
    async ({ kind, n, minTime }) => {
      // (the same loop as timeIt above: functions cannot be passed into the page)
      const timeIt = async (once) => {
        await once();
        let runs = 0;
        const t0 = performance.now();
        do {
          await once();
          runs++;
        } while ((performance.now() - t0) / 1000 < minTime);
        return (performance.now() - t0) / 1000 / runs;
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
  const node = await cpuInNode(root);
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(`${baseURL}/lab.html`);
    await page.waitForFunction(() => Boolean(window.jammiLab));
    const cpuPage = await sweep((n) => measureInPage(page, 'cpu', n, MIN_TIME_S));
    const info = await page.evaluate(async () => {
      const a = await navigator.gpu?.requestAdapter();
      return a ? { vendor: a.info.vendor, architecture: a.info.architecture, description: a.info.description, device: a.info.device } : null;
    });
    const software = info !== null && /swiftshader|google|llvmpipe|software/i.test(Object.values(info).join(' '));
    const adapter = info === null ? 'no adapter' : Object.values(info).filter(Boolean).join(' / ') || 'unnamed adapter';
    const gpu = info === null ? Object.fromEntries(SIZES.map((n) => [n, 'no WebGPU adapter'])) : await sweep((n) => measureInPage(page, 'webgpu', n, MIN_TIME_S));
    const gpuLabel = software ? 'WebGPU in Chromium: SwiftShader (CPU emulation), not a GPU timing' : `WebGPU in Chromium (${adapter})`;
    return {
      title: 'matmul (float32, n×n · n×n), GFLOP/s',
      columns: ['n', 'CPU backend in Node', 'CPU backend in Chromium', gpuLabel],
      rows: SIZES.map((n) => [String(n), node[n], cpuPage[n], gpu[n]]),
      notes:
        `GFLOP/s = 2n³ / seconds per product (after one warm-up, repeated for ≥ ${MIN_TIME_S} s). WebGPU times wait for ` +
        `queue.onSubmittedWorkDone() after each product (no readback). WebGPU adapter: ${adapter}.` +
        (software ? ' SwiftShader runs the WGSL kernels on the CPU cores: these numbers say nothing about a real GPU.' : '') +
        ` Sizes predicted to take over ${BUDGET_S} s per product are skipped. The machine is shared, so expect noise.`,
    };
  } finally {
    await browser.close();
  }
}
