// The MLP training microbenchmark's engine-neutral part (bench/mlp.bench.mjs): data, initial weights and the same
// training loop in our engine and in TensorFlow.js. No Node APIs: Node imports it, and so does the lab page in
// Chromium (served by the benchmark).
export const IN = 256;
export const HIDDEN = 512;
export const CLASSES = 10;
export const BATCH = 64;
export const STEPS = 200;
/** Distinct samples (the batches cycle through them). */
export const SAMPLES = 1024;
export const WARMUP_STEPS = 20;
/** Timed 200-step runs per engine (each from the same initial weights); the best is reported. */
export const RUNS = 2;
export const LR = 1e-3;
export const WD = 0.01;

/** Deterministic uniform numbers in [lo, hi) (an LCG: both engines get bit-identical inputs and weights). */
export function uniform(n, lo, hi, seed) {
  const out = new Float32Array(n);
  let s = (Math.imul(seed, 0x9e3779b1) ^ 0x85ebca6b) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return out;
}

/** Inputs in [-1, 1) and labels from a random linear teacher (argmax of x·T), so the MLP has something to learn. */
export function syntheticData() {
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
export function initialWeights() {
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
export function oursTrainer(g, be, data, init) {
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
export function tfjsTrainer(tf, data, init) {
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
export function measure(make) {
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

