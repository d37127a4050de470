// Small training microbenchmark: a two-layer MLP (256 → 512 → 10, ReLU), mean softmax cross-entropy, AdamW
// (lr 1e-3, wd 0.01, torch semantics), batch 64, 200 steps on the same synthetic data from the same initial
// weights, in our engine (the JS backend, and the wasm backend on 1 and 2 threads) and in TensorFlow.js (`cpu` backend and, where it installs, `wasm`), both
// in Node and in Chromium (the lab page). TensorFlow.js is never a dependency of the app: it is installed for this benchmark only,
// into the git-ignored bench/out/tfjs (npm install --no-save --prefix), on the first run.
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';
import { loadGrad } from './grad-load.mjs';
import { BATCH, CLASSES, HIDDEN, IN, LR, RUNS, SAMPLES, STEPS, WARMUP_STEPS, WD, initialWeights, measure, oursTrainer, syntheticData, tfjsTrainer } from './mlp-train.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const TFJS_DIR = path.join(here, 'out', 'tfjs');
const log = (s) => process.stderr.write(`[mlp] ${s}\n`);

/** TensorFlow.js from bench/out/tfjs, installed there on first use (never into the app's node_modules). */
function loadTfjs() {
  const pkgs = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'];
  if (!pkgs.every((p) => fs.existsSync(path.join(TFJS_DIR, 'node_modules', p, 'package.json')))) {
    log(`installing ${pkgs.join(' ')} into ${path.relative(process.cwd(), TFJS_DIR)} (benchmark only)…`);
    fs.mkdirSync(TFJS_DIR, { recursive: true });
    try {
      execSync(`npm install --no-save --no-audit --no-fund --no-package-lock --prefix "${TFJS_DIR}" ${pkgs.join(' ')}`, { stdio: ['ignore', 'ignore', 'inherit'] });
    } catch {
      log('the wasm backend did not install; trying @tensorflow/tfjs alone');
      execSync(`npm install --no-save --no-audit --no-fund --no-package-lock --prefix "${TFJS_DIR}" @tensorflow/tfjs`, { stdio: ['ignore', 'ignore', 'inherit'] });
    }
  }
  const require = createRequire(path.join(TFJS_DIR, 'index.js'));
  // tfjs suggests tfjs-node on every load in Node: keep that one line out of the output
  const warn = console.warn;
  const info = console.info;
  console.warn = console.info = () => {};
  let tf;
  let wasm = null;
  try {
    tf = require('@tensorflow/tfjs');
    try {
      wasm = require('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
    } catch (e) {
      log(`no wasm backend: ${e.message}`);
      wasm = null;
    }
  } finally {
    console.warn = warn;
    console.info = info;
  }
  return { tf, wasm, version: require('@tensorflow/tfjs/package.json').version };
}

/** A tiny CORS server (a cross-origin isolated page accepts it with Cross-Origin-Resource-Policy) for the page. */
async function serveFiles(files) {
  const server = http.createServer((req, res) => {
    const f = files[req.url];
    const type = !f ? 'text/plain' : req.url.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
    res.writeHead(f ? 200 : 404, { 'Content-Type': type, 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' });
    res.end(f ? fs.readFileSync(f) : undefined);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${server.address().port}` };
}

/**
 * mlp-train.mjs as a script that evaluates to its exports: the lab worker may eval (its CSP has 'unsafe-eval') but
 * not import a module from the bench's side server (its connect-src is the app's).
 */
function trainModuleSource() {
  const src = fs.readFileSync(path.join(here, 'mlp-train.mjs'), 'utf8');
  const names = [...src.matchAll(/^export (?:const|function) (\w+)/gm)].map((m) => m[1]);
  return `(() => {\n${src.replace(/^export /gm, '')}\nreturn { ${names.join(', ')} };\n})()`;
}

/** In the lab page's worker (threads may block there): our wasm backend on `threads`. */
async function wasmInWorker(lib, { moduleSrc, threads }) {
  const m = (0, eval)(moduleSrc);
  const be = await lib.wasm.createWasmBackend({ threads });
  const r = m.measure(() => m.oursTrainer(lib.grad, be, m.syntheticData(), m.initialWeights()));
  r.backend = be.name;
  be.close();
  return r;
}

/** Our engine (the lab page's CPU backend, the worker's wasm backend) and TensorFlow.js (UMD bundles) in Chromium, same loop as in Node. */
async function inChromium(baseURL, tfjsRoot, hasWasm) {
  const tfDist = path.join(tfjsRoot, '@tensorflow', 'tfjs', 'dist');
  const wasmDist = path.join(tfjsRoot, '@tensorflow', 'tfjs-backend-wasm', 'dist');
  const files = { '/mlp-train.mjs': path.join(here, 'mlp-train.mjs'), '/tf.min.js': path.join(tfDist, 'tf.min.js') };
  if (hasWasm) {
    files['/tf-backend-wasm.min.js'] = path.join(wasmDist, 'tf-backend-wasm.min.js');
    for (const f of fs.readdirSync(wasmDist).filter((f) => f.endsWith('.wasm'))) files[`/wasm/${f}`] = path.join(wasmDist, f);
  }
  const { server, url } = await serveFiles(files);
  const browser = await launch();
  try {
    const page = await browser.newPage({ bypassCSP: true }); // TensorFlow.js and the training loop come from the bench's side server
    page.setDefaultTimeout(0);
    await page.goto(`${baseURL}/lab.html`);
    await page.waitForFunction(() => Boolean(window.jammiLab));
    await page.addScriptTag({ url: `${url}/tf.min.js` });
    if (hasWasm) await page.addScriptTag({ url: `${url}/tf-backend-wasm.min.js` });
    const out = [];
    for (const engine of ['ours', 'cpu', ...(hasWasm ? ['wasm'] : [])]) {
      log(`Chromium: ${engine === 'ours' ? 'our engine' : `TensorFlow.js ${engine}`}…`);
      const r = await page.evaluate(
        async ({ url, engine }) => {
          const m = await import(`${url}/mlp-train.mjs`);
          const data = m.syntheticData();
          const init = m.initialWeights();
          if (engine === 'ours') {
            const g = window.jammiLab.grad;
            const be = new g.JsBackend('f32');
            return m.measure(() => m.oursTrainer(g, be, data, init));
          }
          const tf = window.tf;
          if (engine === 'wasm') tf.wasm.setWasmPaths(`${url}/wasm/`);
          if (!(await tf.setBackend(engine))) throw new Error(`tfjs backend ${engine} did not initialise`);
          await tf.ready();
          const detail =
            engine === 'wasm'
              ? { simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'), crossOriginIsolated }
              : {};
          return { ...m.measure(() => m.tfjsTrainer(tf, data, init)), detail, version: tf.version.tfjs };
        },
        { url, engine },
      );
      log(`Chromium ${engine} ${r.stepsPerS.toFixed(1)} steps/s`);
      out.push({ engine, ...r });
    }
    for (const threads of [1, 2]) {
      log(`Chromium: our engine, wasm, ${threads} thread(s)…`);
      const r = await page.evaluate(({ src, args }) => window.jammiLab.inWorker(src, args), { src: wasmInWorker.toString(), args: { moduleSrc: trainModuleSource(), threads } });
      log(`Chromium wasm ${threads}t ${r.stepsPerS.toFixed(1)} steps/s`);
      out.push({ engine: `ours-wasm-${threads}`, threads, ...r });
    }
    return out;
  } finally {
    await browser.close();
    server.close();
  }
}

export async function run({ baseURL }) {
  const data = syntheticData();
  const init = initialWeights();

  log('our engine (CPU backend, Node)…');
  const g = await loadGrad();
  const be = new g.JsBackend('f32');
  const ours = measure(() => oursTrainer(g, be, data, init));
  log(`ours ${ours.stepsPerS.toFixed(1)} steps/s`);
  const oursWasm = [];
  for (const threads of [1, 2]) {
    log(`our engine (wasm backend, Node, ${threads} thread(s))…`);
    const wbe = await g.wasm.createWasmBackend({ threads });
    oursWasm.push({ threads, backend: wbe.name, ...measure(() => oursTrainer(g, wbe, data, init)) });
    wbe.close();
    log(`ours wasm ${threads}t ${oursWasm.at(-1).stepsPerS.toFixed(1)} steps/s`);
  }

  const { tf, wasm, version } = loadTfjs();
  const node = [];
  for (const backend of ['cpu', ...(wasm ? ['wasm'] : [])]) {
    log(`TensorFlow.js ${backend}…`);
    // tfjs prints a "use tfjs-node" banner with console.log when its first backend starts: keep the table clean
    const print = console.log;
    console.log = () => {};
    try {
      if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} did not initialise`);
      await tf.ready();
    } finally {
      console.log = print;
    }
    let detail = '';
    if (backend === 'wasm') {
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      detail = `, SIMD ${simd ? 'on' : 'off'}, threads ${threads ? 'on' : 'off'}`;
    }
    const r = measure(() => tfjsTrainer(tf, data, init));
    log(`tfjs ${backend} ${r.stepsPerS.toFixed(1)} steps/s`);
    node.push({ name: `TensorFlow.js ${version} \`${backend}\` (Node${detail})`, ...r });
  }

  const page = await inChromium(baseURL, path.join(TFJS_DIR, 'node_modules'), Boolean(wasm));
  const oursPage = page.find((r) => r.engine === 'ours');
  const oursWasmPage = page.filter((r) => r.engine.startsWith('ours-wasm'));
  const tfPage = page
    .filter((r) => !r.engine.startsWith('ours'))
    .map((r) => {
      const d = r.detail;
      const detail = r.engine === 'wasm' ? `, SIMD ${d.simd ? 'on' : 'off'}, threads ${d.threads ? 'on' : 'off'}` : '';
      return { name: `TensorFlow.js ${r.version} \`${r.engine}\` (Chromium${detail})`, ...r };
    });

  const fmtRow = (name, r, ratio) => [name, r.stepsPerS.toFixed(1), (STEPS / r.stepsPerS).toFixed(2), r.last.toFixed(5), r.loss.toFixed(5), `${(100 * r.accuracy).toFixed(1)}%`, ratio];
  const vs = (base, r) => {
    const x = base.stepsPerS / r.stepsPerS;
    return `ours ${x.toFixed(2)}× ${x >= 1 ? 'faster' : 'slower (misses target)'}`;
  };
  // "ours vs it": TensorFlow.js rows against our fastest engine in the same runtime; our other rows against that one
  const fastest = (rs) => rs.reduce((a, b) => (b.stepsPerS > a.stepsPerS ? b : a));
  const bestNode = fastest([ours, ...oursWasm]);
  const bestPage = fastest([oursPage, ...oursWasmPage]);
  const oursRow = (name, r, best) => fmtRow(name, r, r === best ? `ours, fastest (${name.match(/\((Node|Chromium)/)[1]})` : `${(best.stepsPerS / r.stepsPerS).toFixed(2)}× slower than our fastest`);
  const wasmName = (r, where) => `our engine, wasm backend (${where}, ${r.backend}, ${r.threads} thread${r.threads > 1 ? 's' : ''})`;
  const rows = [
    oursRow('our engine, JS backend (Node)', ours, bestNode),
    ...oursWasm.map((r) => oursRow(wasmName(r, 'Node'), r, bestNode)),
    ...node.map((r) => fmtRow(r.name, r, vs(bestNode, r))),
    oursRow('our engine, JS backend (Chromium, lab page)', oursPage, bestPage),
    ...oursWasmPage.map((r) => oursRow(wasmName(r, 'Chromium, lab worker'), r, bestPage)),
    ...tfPage.map((r) => fmtRow(r.name, r, vs(bestPage, r))),
  ];
  const initLoss = (() => {
    const t = oursTrainer(g, be, data, init);
    const e = t.evaluate();
    t.dispose();
    return e;
  })();
  return {
    title: `MLP training, ${IN} → ${HIDDEN} → ${CLASSES} (ReLU), softmax cross-entropy, AdamW, batch ${BATCH}, ${STEPS} steps`,
    columns: ['engine', 'steps/s', `s per ${STEPS} steps`, 'last-step loss', `loss on all ${SAMPLES} samples`, 'accuracy', 'ours vs it'],
    rows,
    notes:
      `Same synthetic data (${SAMPLES} samples of U(−1, 1)^${IN}, labels = argmax of a fixed random linear teacher; ` +
      `batches of ${BATCH} in a fixed cycle) and the same initial weights (torch.nn.Linear's U(±1/√fan_in)) for every engine; ` +
      `before training the loss on all samples is ${initLoss.loss.toFixed(4)} (accuracy ${(100 * initLoss.accuracy).toFixed(1)}%). ` +
      `AdamW lr ${LR}, weight decay ${WD} on all parameters, betas (0.9, 0.999), eps 1e-8; in TensorFlow.js ` +
      `(no AdamW there) the decay p ← p·(1 − lr·wd) followed by tf.train.adam, which is torch's AdamW. Each step ` +
      `is forward, loss, backward and update; the loss is read back once at the end. Steps/s: the best of ${RUNS} ` +
      `runs of ${STEPS} steps from fresh weights, after a ${WARMUP_STEPS}-step warm-up. Ratios compare engines in the ` +
      `same runtime (Node ${process.version}, or the cross-origin isolated lab page in Chromium); TensorFlow.js rows ` +
      `are compared with our fastest engine there. Our JS backend is single-threaded JavaScript; our wasm backend ` +
      `runs our SIMD kernels on the stated threads (in Chromium in the lab page's worker); TensorFlow.js's wasm backend uses threads only where it says so. TensorFlow.js is ` +
      `installed for the benchmark only, into the git-ignored bench/out/tfjs. The machine is shared with other jobs, ` +
      `so expect noise.`,
  };
}
