// One LoRA training step (forward, cross-entropy, backward, clipGradNorm, AdamW, zeroGrad) of the MiniLM-L6-shaped
// BERT (hidden 384, 6 layers, 12 heads, intermediate 1536; bench/models/minilm-shape, made by
// ../shared/tools/make_fixture.py): batch 16 × 64 tokens, LoRA r=8 (alpha 16) on query and value, classifier
// trainable, no dropout (PyTorch: eval mode). Our engine's wasm backend on 1 and 2 threads in Node and in Chromium
// (the lab page's worker, where threads may block), its JS CPU backend in Node and in Chromium, its WebGPU backend
// in Chromium, and PyTorch on the CPU of the same machine on the same thread counts. The bench installs nothing: it
// times a 512³ PyTorch matmul and names PyTorch's BLAS by it (> 20 GFLOP/s: OpenBLAS, else Debian's generic BLAS).
// Where Chromium's WebGPU adapter is SwiftShader the column says so: that times a CPU emulator, not a GPU.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';
import { benchModel } from './models.mjs';
import { loadGrad } from './grad-load.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The model folder (JAMMI_BENCH_LORA_MODEL, or the generated MiniLM-L6 shape), resolved when the bench runs. */
let MODEL = process.env.JAMMI_BENCH_LORA_MODEL;
const BATCH = Number(process.env.JAMMI_BENCH_LORA_BATCH ?? 16);
const SEQ = Number(process.env.JAMMI_BENCH_LORA_SEQ ?? 64);
const RANK = 8;
const ALPHA = 16;
const TORCH_THREADS = [1, 2];
/** Timed steps after one warm-up, fewer where a step is slow (see STEP_BUDGET_S). */
const STEPS = 3;
/** Stop timing further steps of one engine once this many seconds were spent on timed steps. */
const STEP_BUDGET_S = 30;
/** WebGPU is skipped where a probe predicts a step slower than this. */
const WEBGPU_MAX_STEP_S = 60;
/** JAMMI_BENCH_SKIP=js,webgpu skips those engines (the JS backend takes minutes per step on a busy machine). */
const SKIP = new Set((process.env.JAMMI_BENCH_SKIP ?? '').split(',').filter(Boolean));

/** Deterministic token ids (no tokenizer needed): [CLS] … [SEP], the last rows padded a little so masking is real. */
export function batchData() {
  const ids = [];
  const mask = [];
  let s = 12345;
  for (let b = 0; b < BATCH; b++) {
    const len = SEQ - (b % 4) * 5; // 64, 59, 54, 49 real tokens
    const row = [];
    const m = [];
    for (let t = 0; t < SEQ; t++) {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      row.push(t >= len ? 0 : t === 0 ? 101 : t === len - 1 ? 102 : 1000 + (s % 29000));
      m.push(t < len ? 1 : 0);
    }
    ids.push(row);
    mask.push(m);
  }
  return { ids, mask, labels: ids.map((_, i) => i % 2) };
}

/**
 * Runs in Node and, through its source text, in the page (so it must not close over anything): loads the
 * classifier on `be`, attaches LoRA, times one warm-up and up to `steps` steps; every step waits for the loss
 * (`await loss.read()`), so WebGPU times include the queued kernels. Returns ms per step and the loss.
 */
export async function measureSteps(g, be, { config, weights, ids, mask, labels, rank, alpha, steps, budgetS, probe }) {
  const model = g.nn.loadClassifier({ config, weights }, be);
  const trainable = model.addLora(['query', 'value'], { r: rank, alpha, seed: 1 });
  for (const n of ['classifier.weight', 'classifier.bias']) {
    const p = model.params.get(n);
    p.requiresGrad = true;
    trainable.push(p);
  }
  const opt = new g.AdamW(trainable, { lr: 1e-3, weightDecay: 0.01 });
  const step = async () => {
    const loss = g.tidy(() => {
      const l = g.crossEntropy(model.forward(ids, mask), labels);
      g.backward(l);
      g.clipGradNorm(trainable, 1);
      opt.update();
      g.zeroGrad(trainable);
      return l;
    });
    const v = (await loss.read())[0];
    loss.dispose();
    return v;
  };
  let t0;
  if (probe) {
    // a step on a slice of the batch first: where `probe.factor` times it is over `probe.maxMs`, stop here
    const n = Math.max(1, Math.round(ids.length / probe.factor));
    const few = { ids: ids.slice(0, n), mask: mask.slice(0, n), labels: labels.slice(0, n) };
    const full = { ids, mask, labels };
    ({ ids, mask, labels } = few);
    const lr = opt.lr;
    opt.lr = 0; // leaves the weights as they are, so the first full step's loss is still the base model's
    t0 = performance.now();
    await step();
    opt.lr = lr;
    const predictedMs = (performance.now() - t0) * (full.ids.length / n);
    ({ ids, mask, labels } = full);
    if (predictedMs > probe.maxMs) {
      model.dispose();
      opt.dispose?.();
      return { skipped: true, predictedMs, probeRows: n };
    }
  }
  t0 = performance.now();
  let loss = await step();
  const firstLoss = loss;
  const warmupMs = performance.now() - t0;
  const times = [];
  let spent = 0;
  // where the process's CPU time is known (Node), also CPU ms per step, all threads: a figure other jobs cannot inflate
  const cpu0 = typeof process !== 'undefined' && process.cpuUsage ? process.cpuUsage() : null;
  // WebGPU: submits, dispatches and readbacks over the timed steps (the backend's counters).
  const c0 = be.counters?.();
  while (times.length < steps && (times.length === 0 || spent / 1000 < budgetS)) {
    t0 = performance.now();
    loss = await step();
    times.push(performance.now() - t0);
    spent += times.at(-1);
  }
  const cpu = cpu0 ? process.cpuUsage(cpu0) : null;
  const cpuMs = cpu ? (cpu.user + cpu.system) / 1000 / times.length : null;
  const c1 = be.counters?.();
  const perStep = c0 && c1 ? Object.fromEntries(Object.keys(c1).map((k) => [k, (c1[k] - c0[k]) / times.length])) : null;
  model.dispose();
  opt.dispose?.();
  times.sort((a, b) => a - b);
  const h = times.length >> 1;
  const median = times.length % 2 ? times[h] : (times[h - 1] + times[h]) / 2;
  return { median, min: times[0], n: times.length, warmupMs, loss, firstLoss, cpuMs, perStep };
}

const PYTHON = String.raw`
import json, os, sys, time
import torch
import torch.nn.functional as F
d, data_path, here, rank, alpha, threads, steps, budget = sys.argv[1:9]
rank, alpha, threads, steps, budget = int(rank), float(alpha), int(threads), int(steps), float(budget)
sys.path.insert(0, os.path.join(here, "../../shared/tools"))
sys.path.insert(0, os.path.join(here, "../src/nn/testdata"))
import make_fixture
from lora_step import LoraLinear, read_safetensors
torch.set_num_threads(threads)
torch.manual_seed(0)
# which BLAS: a 512³ float32 matmul (> 20 GFLOP/s is OpenBLAS; Debian's generic reference BLAS does ~4)
ma, mb = torch.rand(512, 512), torch.rand(512, 512)
ma @ mb
best = 1e9
for _ in range(20):
    t0 = time.perf_counter(); ma @ mb; best = min(best, time.perf_counter() - t0)
matmul512 = 2 * 512 ** 3 / best / 1e9
openblas_mapped = "openblas" in open("/proc/self/maps").read()
c = json.load(open(os.path.join(d, "config.json")))
model = make_fixture.BertForSequenceClassification(c)
model.load_state_dict(read_safetensors(os.path.join(d, "model.safetensors")))
model.eval()
for p in model.parameters():
    p.requires_grad_(False)
train = []
for name, mod in list(model.named_modules()):
    for t in ["query", "value"]:
        if name.endswith("." + t):
            h = mod.weight.shape[1]
            lora = LoraLinear(mod, (torch.rand(rank, h) * 2 - 1) / h ** 0.5, torch.zeros(mod.weight.shape[0], rank), alpha / rank)
            setattr(model.get_submodule(name.rsplit(".", 1)[0]), t, lora)
            train += [lora.lora_A, lora.lora_B]
model.classifier.weight.requires_grad_(True)
model.classifier.bias.requires_grad_(True)
train += [model.classifier.weight, model.classifier.bias]
data = json.load(open(data_path))
ids, mask, labels = torch.tensor(data["ids"]), torch.tensor(data["mask"]), torch.tensor(data["labels"])
opt = torch.optim.AdamW(train, lr=1e-3, weight_decay=0.01)
def step():
    loss = F.cross_entropy(model(ids, mask, torch.zeros_like(ids)), labels)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(train, 1.0)
    opt.step()
    opt.zero_grad()
    return loss.item()
t0 = time.perf_counter(); loss = first = step(); warm = (time.perf_counter() - t0) * 1000
ts = []
c0 = time.process_time()
while len(ts) < steps and (not ts or sum(ts) / 1000 < budget):
    t0 = time.perf_counter(); loss = step(); ts.append((time.perf_counter() - t0) * 1000)
cpu_ms = (time.process_time() - c0) * 1000 / len(ts)
ts.sort()
h = len(ts) // 2
print(json.dumps({"median": ts[h] if len(ts) % 2 else (ts[h - 1] + ts[h]) / 2, "min": ts[0], "n": len(ts), "warmupMs": warm, "loss": loss, "firstLoss": first,
                  "version": torch.__version__, "threads": torch.get_num_threads(), "matmul512": matmul512, "openblasMapped": openblas_mapped, "cpuMs": cpu_ms}))
`;

export function pytorch(data, threads) {
  const dataPath = path.join(here, 'out', 'lora-step-batch.json');
  fs.mkdirSync(path.dirname(dataPath), { recursive: true });
  fs.writeFileSync(dataPath, JSON.stringify(data));
  const r = spawnSync('/usr/bin/python3', ['-', MODEL, dataPath, here, String(RANK), String(ALPHA), String(threads), String(STEPS), String(STEP_BUDGET_S)], {
    input: PYTHON,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`PyTorch LoRA step failed: ${r.stderr || r.error}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

/** In the page: an optimistic s-per-step prediction for WebGPU from one [1024,384]·[384,1536] product (≈ 45 GFLOP/step). */
async function probeWebGpu(page) {
  return page.evaluate(async () => {
    const lab = window.jammiLab;
    const be = await lab.webgpu.createWebGpuBackend();
    const m = 1024, k = 384, n = 1536;
    const a = be.upload(new Float32Array(m * k).fill(0.01));
    const b = be.upload(new Float32Array(k * n).fill(0.01));
    const desc = { batch: 1, m, n, k, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
    const once = async () => {
      be.dispose(be.matmul(a, b, desc));
      await be.device.queue.onSubmittedWorkDone();
    };
    await once();
    const t0 = performance.now();
    await once();
    await once();
    const s = (performance.now() - t0) / 2000;
    be.dispose(a);
    be.dispose(b);
    be.device.destroy();
    const gflops = (2 * m * k * n) / s / 1e9;
    return { gflops, predictedS: 45 / gflops };
  });
}

/** In the lab page's worker: the wasm backend on `threads` (lib: see src/lab-worker.ts). */
async function wasmStepInWorker(lib, { measureSrc, threads, data }) {
  const measure = (0, eval)(`(${measureSrc})`);
  const g = { ...lib.grad, nn: lib.nn };
  const be = await lib.wasm.createWasmBackend({ threads });
  const r = await measure(g, be, { ...data, weights: new Uint8Array(data.weights) });
  r.liveBuffers = be.liveBuffers();
  r.backend = be.name;
  be.close();
  return r;
}

/** `data.maxRecorded` (WebGPU): dispatches per command buffer (1: a submit per primitive, the old behaviour). */
/** A tiny CORS server on a free 127.0.0.1 port serving the engine bundle (bench/out/grad-bundle.mjs) and the weights; close it when done. */
export async function filesServer(weightsBytes) {
  const files = { '/grad-bundle.mjs': [fs.readFileSync(path.join(here, 'out', 'grad-bundle.mjs')), 'text/javascript'], '/model.safetensors': [weightsBytes, 'application/octet-stream'] };
  const side = http.createServer((req, res) => {
    const f = files[req.url];
    res.writeHead(f ? 200 : 404, { 'Content-Type': f?.[1] ?? 'text/plain', 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' });
    res.end(f?.[0]);
  });
  await new Promise((r) => side.listen(0, '127.0.0.1', r));
  return side;
}

export async function inPage(page, kind, data) {
  return page.evaluate(
    async ({ kind, src, data }) => {
      const measure = (0, eval)(`(${src})`);
      const g = await import(`${data.filesURL}/grad-bundle.mjs`);
      const lab = window.jammiLab;
      const be = kind === 'cpu' ? new lab.grad.JsBackend('f32') : await lab.webgpu.createWebGpuBackend({ maxRecorded: data.maxRecorded });
      const weights = new Uint8Array(await (await fetch(`${data.filesURL}/model.safetensors`)).arrayBuffer());
      const r = await measure(g, be, { ...data, weights });
      if (be.errors?.length) throw new Error(be.errors.join('\n'));
      r.liveBuffers = be.liveBuffers();
      if (kind !== 'cpu') be.device.destroy();
      return r;
    },
    { kind, src: measureSteps.toString(), data },
  );
}

const fmt = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);

export async function run({ baseURL }) {
  MODEL ??= benchModel('minilm-shape');
  const config = JSON.parse(fs.readFileSync(path.join(MODEL, 'config.json'), 'utf8'));
  const weightsBytes = fs.readFileSync(path.join(MODEL, 'model.safetensors'));
  const batch = batchData();
  const common = { config, ...batch, rank: RANK, alpha: ALPHA, steps: STEPS, budgetS: STEP_BUDGET_S };
  const log = (s) => process.stderr.write(`[lora-step] ${s}\n`);

  const torch = {};
  for (const t of TORCH_THREADS) {
    log(`PyTorch, ${t} thread(s)…`);
    torch[t] = pytorch(batch, t);
    log(`PyTorch ${t}t ${torch[t].median.toFixed(0)} ms (512³ matmul ${torch[t].matmul512.toFixed(1)} GFLOP/s)`);
  }

  const g = await loadGrad(); // also writes bench/out/grad-bundle.mjs, served to the page below
  const wasmNode = {};
  for (const t of [1, 2]) {
    log(`wasm in Node, ${t} thread(s)…`);
    const be = await g.wasm.createWasmBackend({ threads: t });
    wasmNode[t] = await measureSteps(g, be, { ...common, weights: new Uint8Array(weightsBytes) });
    wasmNode[t].backend = be.name;
    be.close();
    log(`wasm Node ${t}t ${wasmNode[t].median.toFixed(0)} ms`);
  }
  let node = null;
  if (!SKIP.has('js')) {
    log('JS backend in Node…');
    node = await measureSteps(g, new g.JsBackend('f32'), { ...common, weights: new Uint8Array(weightsBytes) });
    log(`Node ${node.median.toFixed(0)} ms`);
  }

  // The lab page has no src/nn, and a 90 MB Playwright route is unreliable: a tiny CORS server (cross-origin
  // isolated pages accept it with Cross-Origin-Resource-Policy) hands the page the engine bundle and the weights.
  const side = await filesServer(weightsBytes);
  common.filesURL = `http://127.0.0.1:${side.address().port}`;
  const browser = await launch();
  let cpuPage, gpu, adapter = 'no adapter', software = false, probe = null, skipWhy = 'no WebGPU adapter';
  const wasmPage = {};
  try {
    const page = await browser.newPage({ bypassCSP: true }); // the bench loads the engine bundle from a side server and evals measureSteps
    page.setDefaultTimeout(0);
    page.on('crash', () => log('the page crashed'));
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    await page.goto(`${baseURL}/lab.html`);
    await page.waitForFunction(() => Boolean(window.jammiLab));
    for (const t of [1, 2]) {
      log(`wasm in Chromium (worker), ${t} thread(s)…`);
      // The page fetches the weights (the bench bypasses the page's CSP; the worker's connect-src is the app's)
      wasmPage[t] = await page.evaluate(
        async ({ src, args }) => {
          const weights = await (await fetch(`${args.data.filesURL}/model.safetensors`)).arrayBuffer();
          return window.jammiLab.inWorker(src, { ...args, data: { ...args.data, weights } });
        },
        { src: wasmStepInWorker.toString(), args: { measureSrc: measureSteps.toString(), threads: t, data: common } },
      );
      log(`wasm Chromium ${t}t ${wasmPage[t].median.toFixed(0)} ms (${wasmPage[t].backend})`);
    }
    log('CPU backend in Chromium…');
    if (!SKIP.has('js')) cpuPage = await inPage(page, 'cpu', common);
    if (cpuPage) log(`Chromium CPU ${cpuPage.median.toFixed(0)} ms`);
    const info = await page.evaluate(async () => {
      const a = await navigator.gpu?.requestAdapter();
      return a ? { vendor: a.info.vendor, architecture: a.info.architecture, description: a.info.description, device: a.info.device } : null;
    });
    software = info !== null && /swiftshader|llvmpipe|software/i.test(Object.values(info).join(' '));
    adapter = info === null ? 'no adapter' : Object.values(info).filter(Boolean).join(' / ') || 'unnamed adapter';
    if (SKIP.has('webgpu')) skipWhy = 'JAMMI_BENCH_SKIP';
    else if (info !== null) {
      probe = await probeWebGpu(page);
      log(`WebGPU probe: ${probe.gflops.toFixed(2)} GFLOP/s, ~${probe.predictedS.toFixed(0)} s/step predicted`);
      if (probe.predictedS <= WEBGPU_MAX_STEP_S) {
        // The matmul rate alone under-predicts a step about threefold (many small kernels), so the page first times
        // a step on 1/8 of the batch and gives up where 8 times that is over the limit.
        const r = await inPage(page, 'webgpu', { ...common, probe: { factor: 8, maxMs: WEBGPU_MAX_STEP_S * 1000 } });
        if (r.skipped) {
          skipWhy = `a step on ${r.probeRows} of ${BATCH} rows predicts ~${(r.predictedMs / 1000).toFixed(0)} s/step (> ${WEBGPU_MAX_STEP_S} s)`;
          log(`WebGPU skipped: ${skipWhy}`);
        } else {
          gpu = r;
          log(`WebGPU ${gpu.median.toFixed(0)} ms`);
        }
      } else {
        skipWhy = `a matmul probe (${probe.gflops.toFixed(2)} GFLOP/s) predicts ≥ ~${probe.predictedS.toFixed(0)} s/step (> ${WEBGPU_MAX_STEP_S} s)`;
      }
    }
  } finally {
    await browser.close();
    side.close();
  }

  const anchor = torch[2];
  // NOTE: named by speed, as the issue asks; whether libopenblas is mapped into the process is shown beside it
  // (one library for both thread counts: the faster of its two 512³ timings decides, so a busy moment cannot relabel it)
  const best512 = Math.max(...TORCH_THREADS.map((t) => torch[t].matmul512));
  const blas = (t) => `${best512 > 20 ? 'OpenBLAS' : 'generic BLAS — not the OpenBLAS anchor'}; libopenblas ${torch[t].openblasMapped ? '' : 'not '}loaded`;
  const ratio = (r) => `${(r.median / anchor.median).toFixed(2)}×`;
  const counts = (r) => (r.perStep ? `${r.perStep.submits} / ${r.perStep.readbacks} / ${r.perStep.dispatches}` : '');
  const row = (name, r, note = '') => [name, fmt(r.median), fmt(r.min), r.cpuMs ? fmt(r.cpuMs) : '', String(r.n), fmt(r.warmupMs), r.firstLoss.toFixed(5), ratio(r), counts(r), note];
  const fair = best512 > 20;
  const target = (r) => (!fair ? 'no OpenBLAS anchor: target not judged' : r.median <= 1.5 * anchor.median ? 'within the 1.5× target' : 'misses the 1.5× target');
  const gpuName = software ? 'WebGPU in Chromium: SwiftShader (CPU emulation), not a GPU timing' : `WebGPU in Chromium (${adapter})`;
  const rows = [
    ...TORCH_THREADS.map((t) => row(`PyTorch ${torch[t].version} CPU (${blas(t)}, 512³ matmul ${torch[t].matmul512.toFixed(1)} GFLOP/s), ${torch[t].threads} thread${t > 1 ? 's' : ''}`, torch[t], t === 2 ? 'baseline' : '')),
    row(`wasm in Chromium, 2 threads (${wasmPage[2].backend})`, wasmPage[2], target(wasmPage[2])),
    row(`wasm in Chromium, 1 thread (${wasmPage[1].backend})`, wasmPage[1], `${(wasmPage[1].median / torch[1].median).toFixed(2)}× PyTorch 1 thread`),
    row(`wasm in Node, 2 threads (${wasmNode[2].backend})`, wasmNode[2], target(wasmNode[2])),
    row(`wasm in Node, 1 thread (${wasmNode[1].backend})`, wasmNode[1], `${(wasmNode[1].median / torch[1].median).toFixed(2)}× PyTorch 1 thread`),
    ...[['JS backend in Node', node], ['JS backend in Chromium', cpuPage]].map(([name, r]) => (r ? row(name, r, '') : [name, 'skipped', '', '', '0', '', '', '', '', 'skipped: JAMMI_BENCH_SKIP'])),
  ];
  if (gpu) rows.push(row(gpuName, gpu, software ? 'emulator on the CPU cores' : ''));
  else
    rows.push([
      gpuName,
      'skipped',
      '',
      '',
      '0',
      '',
      '',
      '',
      '',
      `skipped: ${skipWhy}`,
    ]);
  return {
    title: `LoRA training step, MiniLM-L6 shape (384 hidden, 6 layers), batch ${BATCH} × ${SEQ} tokens, r=${RANK} on query+value`,
    columns: ['engine', 'ms/step (median)', 'min', 'CPU time/step (all threads)', 'timed steps', 'warm-up step', 'first-step loss', 'vs PyTorch', 'GPU submits / readbacks / dispatches per step', 'note'],
    rows,
    notes:
      `One step = forward, mean cross-entropy, backward, clip_grad_norm(1.0), AdamW (lr 1e-3, wd 0.01), zero grads; ` +
      `trainable: lora_A/lora_B (r=${RANK}, alpha ${ALPHA}) on the 6 query and 6 value projections and the classifier; ` +
      `no dropout (PyTorch in eval mode). Median of up to ${STEPS} timed steps after one warm-up (fewer once ` +
      `${STEP_BUDGET_S} s were spent). Our steps end with an awaited loss read, so WebGPU times include the GPU work. ` +
      `WebGPU records a step's kernels into one command stream and submits it at the loss read (and every 512 dispatches): ` +
      `the submits / readbacks / dispatches column counts them per timed step (bench/gpu.sh also shows the one-submit-per-primitive figure). ` +
      `The JS backend is single-threaded JavaScript; the wasm backend runs our SIMD kernels on the stated threads; PyTorch runs on 1 and 2 threads (torch.set_num_threads), and "vs PyTorch" compares with its 2-thread row. ` +
      `CPU time per step (Node and PyTorch only: the process's user + system time over the timed steps, all threads) is what a step costs with the cores to itself; the wall times swing with the other jobs on the machine. ` +
      `Token ids are synthetic (fixed seed, some padding). The first step's loss is the base model's (lora_B starts at 0), so it must agree across engines; later losses differ with lora_A's random init. ` +
      `WebGPU adapter: ${adapter}${software ? ' — SwiftShader runs the WGSL kernels on the CPU: not a GPU timing' : ''}. ` +
      `The machine is shared with other jobs, so expect noise.`,
  };
}
