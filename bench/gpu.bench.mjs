// The WebGPU figures of issue #8 in one table, for a machine with a real GPU (run it through bench/gpu.sh, which
// starts Chromium with Vulkan): the adapter's name, matmul GFLOP/s against the card's FP32 peak where known, the
// LoRA step (lora-step.bench.mjs's step) on WebGPU against PyTorch on the CPU, with submits / readbacks per step
// (also with one submit per primitive, the old behaviour), and native inference (our BERT forward, no gradients).
// JAMMI_GPU_TINY=1: tiny sizes (a dry run on SwiftShader proves the script end to end; the figures mean nothing).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';
import { loadGrad } from './grad-load.mjs';
import { batchData, filesServer, inPage, pytorch } from './lora-step.bench.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const TINY = process.env.JAMMI_GPU_TINY === '1';
const MODEL = process.env.JAMMI_BENCH_LORA_MODEL ?? path.join(here, 'models', 'minilm-shape');
/** PyTorch's CPU threads: all cores of the GPU machine unless JAMMI_GPU_TORCH_THREADS says otherwise. */
const TORCH_THREADS = Number(process.env.JAMMI_GPU_TORCH_THREADS ?? os.cpus().length);
const MATMUL_SIZES = TINY ? [64, 128] : [1024, 2048, 4096];
/** FP32 (non-tensor-core) peaks in TFLOP/s, by adapter name; WebGPU matmul is FP32 without tensor cores. */
const PEAKS = [
  [/h200|h100.*sxm|h100/i, 67],
  [/a100/i, 19.5],
  [/l40s/i, 91.6],
  [/4090/i, 82.6],
  [/3090/i, 35.6],
  [/a10\b/i, 31.2],
  [/t4\b/i, 8.1],
];

/** In the page: GFLOP/s of an n³ matmul (median of 5 after a warm-up), timed to onSubmittedWorkDone. */
async function matmulInPage(page, sizes) {
  return page.evaluate(async (sizes) => {
    const be = await window.jammiLab.webgpu.createWebGpuBackend();
    const out = [];
    for (const n of sizes) {
      const a = be.upload(new Float32Array(n * n).fill(0.01));
      const b = be.upload(new Float32Array(n * n).fill(0.01));
      const desc = { batch: 1, m: n, n, k: n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
      const once = async () => {
        be.dispose(be.matmul(a, b, desc));
        be.flush();
        await be.device.queue.onSubmittedWorkDone();
      };
      await once();
      const ts = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        await once();
        ts.push(performance.now() - t0);
      }
      ts.sort((x, y) => x - y);
      out.push({ n, ms: ts[2], gflops: (2 * n ** 3) / (ts[2] / 1000) / 1e9 });
      be.dispose(a);
      be.dispose(b);
    }
    const i = be.adapterInfo;
    be.destroy();
    return { sizes: out, adapter: i ? { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description } : null, software: be.isSoftware };
  }, sizes);
}

/** In the page: rows/s of the classifier's forward pass (no gradients) on WebGPU, batches of the LoRA batch. */
async function inferInPage(page, data) {
  return page.evaluate(async (data) => {
    const g = await import(`${data.filesURL}/grad-bundle.mjs`);
    const be = await window.jammiLab.webgpu.createWebGpuBackend();
    const weights = new Uint8Array(await (await fetch(`${data.filesURL}/model.safetensors`)).arrayBuffer());
    const model = g.nn.loadClassifier({ config: data.config, weights }, be);
    const batch = async () => {
      const logits = g.noGrad(() => g.tidy(() => model.forward(data.ids, data.mask)));
      await logits.read();
      logits.dispose();
    };
    await batch();
    const c0 = be.counters();
    const t0 = performance.now();
    let n = 0;
    while (n < data.batches) {
      await batch();
      n++;
    }
    const s = (performance.now() - t0) / 1000;
    const c1 = be.counters();
    model.dispose();
    be.destroy();
    return { rowsPerS: (n * data.ids.length) / s, submitsPerBatch: (c1.submits - c0.submits) / n };
  }, data);
}

export async function run({ baseURL }) {
  if (!fs.existsSync(path.join(MODEL, 'model.safetensors'))) throw new Error(`${MODEL} missing (bench/gpu.sh makes it, or set JAMMI_BENCH_LORA_MODEL)`);
  const log = (s) => process.stderr.write(`[gpu] ${s}\n`);
  const config = JSON.parse(fs.readFileSync(path.join(MODEL, 'config.json'), 'utf8'));
  const weightsBytes = fs.readFileSync(path.join(MODEL, 'model.safetensors'));
  const batch = batchData();
  const steps = TINY ? 2 : 5;
  const common = { config, ...batch, rank: 8, alpha: 16, steps, budgetS: TINY ? 20 : 30 };
  let torch = null;
  try {
    torch = pytorch(batch, TORCH_THREADS);
    log(`PyTorch CPU ${torch.median.toFixed(1)} ms/step`);
  } catch (e) {
    log(`PyTorch skipped: ${e.message.split('\n')[0]}`);
  }
  await loadGrad(); // writes bench/out/grad-bundle.mjs, served to the page
  const side = await filesServer(weightsBytes);
  common.filesURL = `http://127.0.0.1:${side.address().port}`;
  const browser = await launch();
  let mm, step, stepOld, infer;
  try {
    const page = await browser.newPage({ bypassCSP: true }); // the bench loads the engine bundle from a side server and evals measureSteps
    page.setDefaultTimeout(0);
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    await page.goto(`${baseURL}/lab.html`);
    await page.waitForFunction(() => Boolean(window.jammiLab));
    if (!(await page.evaluate(async () => Boolean(await navigator.gpu?.requestAdapter())))) throw new Error('no WebGPU adapter in Chromium (see bench/gpu.sh: Vulkan loader, driver files)');
    mm = await matmulInPage(page, MATMUL_SIZES);
    log(`adapter ${JSON.stringify(mm.adapter)}; matmul ${mm.sizes.map((s) => `${s.n}³ ${s.gflops.toFixed(1)}`).join(', ')} GFLOP/s`);
    if (mm.software && !TINY) throw new Error('the adapter is a software one (SwiftShader): run with JAMMI_GPU_TINY=1 for a dry run');
    step = await inPage(page, 'webgpu', common);
    log(`LoRA step ${step.median.toFixed(1)} ms, per step ${JSON.stringify(step.perStep)}`);
    stepOld = await inPage(page, 'webgpu', { ...common, steps: 1, maxRecorded: 1 });
    log(`…with a submit per primitive: ${stepOld.median.toFixed(1)} ms, per step ${JSON.stringify(stepOld.perStep)}`);
    infer = await inferInPage(page, { ...common, batches: TINY ? 2 : 20 });
    log(`native forward ${infer.rowsPerS.toFixed(0)} rows/s`);
  } finally {
    await browser.close();
    side.close();
  }
  const a = mm.adapter ?? {};
  const name = [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ') || 'unnamed adapter';
  const peak = PEAKS.find(([re]) => re.test(name))?.[1];
  const rows = mm.sizes.map((s) => [`matmul ${s.n}³ (f32)`, `${s.gflops.toFixed(1)} GFLOP/s`, peak ? `${((s.gflops / (peak * 1000)) * 100).toFixed(1)}% of ${peak} TFLOP/s FP32 peak` : 'peak unknown for this adapter', '']);
  const vs = (ms) => (torch ? `${(ms / torch.median).toFixed(2)}× PyTorch CPU (${torch.median.toFixed(1)} ms, ${torch.threads} threads)` : 'PyTorch not run');
  const counts = (r) => `${r.perStep.submits} submits, ${r.perStep.readbacks} readbacks, ${r.perStep.dispatches} dispatches per step`;
  rows.push([`LoRA step, batch ${batch.ids.length} × ${batch.ids[0].length}, r 8 q/v`, `${step.median.toFixed(1)} ms`, vs(step.median), counts(step)]);
  rows.push(['…same, one submit per primitive (before #8)', `${stepOld.median.toFixed(1)} ms`, vs(stepOld.median), counts(stepOld)]);
  rows.push([`native inference (forward, batch ${batch.ids.length})`, `${infer.rowsPerS.toFixed(0)} rows/s`, '', `${infer.submitsPerBatch} submits per batch`]);
  return {
    title: `WebGPU on ${name}${mm.software ? ' — SOFTWARE ADAPTER, dry run only' : ''}${TINY ? ' (tiny sizes)' : ''}`,
    columns: ['what', 'figure', 'against', 'command buffers'],
    rows,
    notes: `Model: ${path.basename(MODEL)} (${config.num_hidden_layers} layers, ${config.hidden_size} wide). Times are medians; GPU work is awaited (onSubmittedWorkDone / the loss read).`,
  };
}
