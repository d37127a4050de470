// Small training microbenchmark: a two-layer MLP (256 → 512 → 10, ReLU), mean softmax cross-entropy, AdamW
// (lr 1e-3, wd 0.01, torch semantics), batch 64, 200 steps on the same synthetic data from the same initial
// weights, in our engine (CPU backend, in Node) and in TensorFlow.js (`cpu` backend and, where it installs, `wasm`)
// in the same Node process. TensorFlow.js is never a dependency of the app: it is installed for this benchmark only,
// into the git-ignored bench/out/tfjs (npm install --no-save --prefix), on the first run.
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadGrad } from './grad-load.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const TFJS_DIR = path.join(here, 'out', 'tfjs');
const IN = 256;
const HIDDEN = 512;
const CLASSES = 10;
const BATCH = 64;
const STEPS = 200;
/** Distinct samples (the batches cycle through them). */
const SAMPLES = 1024;
const WARMUP_STEPS = 20;
/** Timed 200-step runs per engine (each from the same initial weights); the best is reported. */
const RUNS = 2;
const LR = 1e-3;
const WD = 0.01;
const log = (s) => process.stderr.write(`[mlp] ${s}\n`);

/** Deterministic uniform numbers in [lo, hi) (an LCG: both engines get bit-identical inputs and weights). */
function uniform(n, lo, hi, seed) {
  const out = new Float32Array(n);
  let s = (Math.imul(seed, 0x9e3779b1) ^ 0x85ebca6b) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return out;
}

/** Inputs in [-1, 1) and labels from a random linear teacher (argmax of x·T), so the MLP has something to learn. */
function syntheticData() {
  const x = uniform(SAMPLES * IN, -1, 1, 1);
  const t = uniform(IN * CLASSES, -1, 1, 2);
  const labels = new Int32Array(SAMPLES);
  for (let i = 0; i < SAMPLES; i++) {
    let best = -Infinity;
    for (let c = 0; c < CLASSES; c++) {
      let z = 0;
      for (let k = 0; k < IN; k++) z += x[i * IN + k] * t[k * CLASSES + c];
      if (z > best) [best, labels[i]] = [z, c];
    }
  }
  const batches = [];
  for (let b = 0; b < SAMPLES / BATCH; b++) {
    batches.push({ x: x.subarray(b * BATCH * IN, (b + 1) * BATCH * IN), labels: Array.from(labels.subarray(b * BATCH, (b + 1) * BATCH)) });
  }
  return { x, labels: Array.from(labels), batches };
}

/** torch.nn.Linear's default range, U(±1/√fan_in); weights [out, in] like torch (and our `linear`). */
function initialWeights() {
  const b1 = 1 / Math.sqrt(IN);
  const b2 = 1 / Math.sqrt(HIDDEN);
  return {
    w1: uniform(HIDDEN * IN, -b1, b1, 3),
    b1: uniform(HIDDEN, -b1, b1, 4),
    w2: uniform(CLASSES * HIDDEN, -b2, b2, 5),
    b2: uniform(CLASSES, -b2, b2, 6),
  };
}

/** Our engine: returns a trainer whose `train(steps)` runs `steps` steps and returns the last step's loss. */
function oursTrainer(g, be, data, init) {
  const T = (a, shape, grad = false) => g.Tensor.fromData(be, a, shape, grad);
  const p = { w1: T(init.w1, [HIDDEN, IN], true), b1: T(init.b1, [HIDDEN], true), w2: T(init.w2, [CLASSES, HIDDEN], true), b2: T(init.b2, [CLASSES], true) };
  const params = Object.values(p);
  const opt = new g.AdamW(params, { lr: LR, weightDecay: WD });
  const xs = data.batches.map((b) => T(b.x, [BATCH, IN]));
  const forward = (x) => g.linear(g.relu(g.linear(x, p.w1, p.b1)), p.w2, p.b2);
  let step = 0;
  return {
    train(steps) {
      let loss = null;
      for (let i = 0; i < steps; i++, step++) {
        const b = step % xs.length;
        loss?.dispose();
        loss = g.tidy(() => {
          const l = g.crossEntropy(forward(xs[b]), data.batches[b].labels);
          g.backward(l);
          opt.update();
          g.zeroGrad(params);
          return l;
        });
      }
      const v = loss.dataSync()[0];
      loss.dispose();
      return v;
    },
    /** Mean cross-entropy and accuracy over all samples. */
    evaluate() {
      return g.noGrad(() =>
        g.tidy(() => {
          const logits = forward(T(data.x, [SAMPLES, IN]));
          const loss = g.crossEntropy(logits, data.labels).dataSync()[0];
          const z = logits.dataSync();
          let hit = 0;
          for (let i = 0; i < SAMPLES; i++) {
            let arg = 0;
            for (let c = 1; c < CLASSES; c++) if (z[i * CLASSES + c] > z[i * CLASSES + arg]) arg = c;
            hit += arg === data.labels[i] ? 1 : 0;
          }
          return { loss, accuracy: hit / SAMPLES };
        }),
      );
    },
    dispose() {
      opt.dispose();
      for (const t of [...params, ...xs]) t.dispose();
    },
  };
}

/**
 * TensorFlow.js, written as a user would: tf.variableGrads, the decoupled decay p ← p·(1 − lr·wd) then
 * tf.train.adam (eps 1e-8) — which is torch's AdamW (tfjs has no AdamW); tf.losses.softmaxCrossEntropy on one-hot labels.
 */
function tfjsTrainer(tf, data, init) {
  const v = (a, shape, name) => tf.variable(tf.tensor(a, shape), true, `${name}_${Math.random()}`);
  const p = { w1: v(init.w1, [HIDDEN, IN], 'w1'), b1: v(init.b1, [HIDDEN], 'b1'), w2: v(init.w2, [CLASSES, HIDDEN], 'w2'), b2: v(init.b2, [CLASSES], 'b2') };
  const params = Object.values(p);
  const opt = tf.train.adam(LR, 0.9, 0.999, 1e-8);
  const xs = data.batches.map((b) => tf.tensor2d(b.x, [BATCH, IN]));
  const ys = data.batches.map((b) => tf.oneHot(tf.tensor1d(b.labels, 'int32'), CLASSES));
  const forward = (x) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, p.w1, false, true), p.b1)), p.w2, false, true), p.b2);
  let step = 0;
  return {
    train(steps) {
      let loss = null;
      for (let i = 0; i < steps; i++, step++) {
        const b = step % xs.length;
        loss?.dispose();
        loss = tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(ys[b], forward(xs[b])), params);
          for (const q of params) q.assign(tf.mul(q, 1 - LR * WD));
          opt.applyGradients(grads);
          return value;
        });
      }
      const val = loss.dataSync()[0];
      loss.dispose();
      return val;
    },
    evaluate() {
      return tf.tidy(() => {
        const logits = forward(tf.tensor2d(data.x, [SAMPLES, IN]));
        const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(data.labels, 'int32'), CLASSES), logits).dataSync()[0];
        const pred = tf.argMax(logits, 1).dataSync();
        let hit = 0;
        for (let i = 0; i < SAMPLES; i++) hit += pred[i] === data.labels[i] ? 1 : 0;
        return { loss, accuracy: hit / SAMPLES };
      });
    },
    dispose() {
      opt.dispose();
      for (const t of [...params, ...xs, ...ys]) t.dispose();
    },
  };
}

/** One warm-up trainer (WARMUP_STEPS), then RUNS fresh trainers of STEPS steps each; best steps/s, last run's losses. */
function measure(make) {
  const w = make();
  w.train(WARMUP_STEPS);
  w.dispose();
  let best = 0;
  let out;
  for (let r = 0; r < RUNS; r++) {
    const t = make();
    const t0 = performance.now();
    const last = t.train(STEPS);
    const seconds = (performance.now() - t0) / 1000;
    best = Math.max(best, STEPS / seconds);
    out = { last, ...t.evaluate() };
    t.dispose();
  }
  return { stepsPerS: best, ...out };
}

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

export async function run() {
  const data = syntheticData();
  const init = initialWeights();
  const rows = [];

  log('our engine (CPU backend, Node)…');
  const g = await loadGrad();
  const be = new g.CpuBackend('f32');
  const ours = measure(() => oursTrainer(g, be, data, init));
  log(`ours ${ours.stepsPerS.toFixed(1)} steps/s`);

  const { tf, wasm, version } = loadTfjs();
  const results = [];
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
      detail = ` (SIMD ${simd ? 'on' : 'off'}, threads ${threads ? 'on' : 'off'})`;
    }
    const r = measure(() => tfjsTrainer(tf, data, init));
    log(`tfjs ${backend} ${r.stepsPerS.toFixed(1)} steps/s`);
    results.push({ name: `TensorFlow.js ${version} \`${backend}\` backend${detail}, Node`, ...r });
  }

  const fmtRow = (name, r, ratio) => [name, r.stepsPerS.toFixed(1), (STEPS / r.stepsPerS).toFixed(2), r.last.toFixed(5), r.loss.toFixed(5), `${(100 * r.accuracy).toFixed(1)}%`, ratio];
  rows.push(fmtRow('our engine, CPU backend, Node', ours, 'baseline'));
  for (const r of results) {
    const x = ours.stepsPerS / r.stepsPerS;
    rows.push(fmtRow(r.name, r, `ours ${x.toFixed(2)}× ${x >= 1 ? 'faster' : 'slower (misses target)'}`));
  }
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
      `runs of ${STEPS} steps from fresh weights, after a ${WARMUP_STEPS}-step warm-up. All in one Node ` +
      `${process.version} process (our CPU backend is single-threaded); TensorFlow.js is installed for the benchmark ` +
      `only, into the git-ignored bench/out/tfjs. The machine is shared with other jobs, so expect noise.`,
  };
}
