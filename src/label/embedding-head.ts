/**
 * The embedding suggester's model: a softmax classifier (multinomial logistic regression) on a frozen encoder's
 * pooled, L2-normalised embeddings, trained on our engine. Features are standardised with the mean and standard
 * deviation of every row of the source (labelled or not, as TF-IDF takes document frequencies from all rows):
 *
 *   z        = (x − μ) / σ
 *   logits   = z · Wᵀ + b                      (W: [classes, dim])
 *   loss     = mean CE(logits, y) + λ·‖W‖²      (λ = 1 / (2·C·n), C = 1: scikit-learn's default)
 *
 * Full-batch AdamW. A model is a plain object of typed arrays (it crosses a worker boundary as is).
 */
import type { Backend } from '../grad/backend';
import { JsBackend } from '../grad/backends/js';
import { add, scale, square } from '../grad/ops/elementwise';
import { sum } from '../grad/ops/broadcast';
import { crossEntropy, linear } from '../grad/functional';
import { AdamW } from '../grad/optim';
import { Tensor, backward, tidy, zeroGrad } from '../grad/tensor';

export interface HeadModel {
  kind: 'embedding-head';
  classes: string[];
  dim: number;
  /** Standardisation of each feature: z = (x − mean) · invStd. */
  mean: Float32Array;
  invStd: Float32Array;
  /** [classes, dim], row-major. */
  weights: Float32Array;
  bias: Float32Array;
  trainedOn: number;
}

export interface HeadTrainOptions {
  /** Inverse L2 strength as scikit-learn's C (default 1). */
  c?: number;
  steps?: number;
  lr?: number;
  backend?: Backend;
}

/** Per-feature mean and 1/std over rows of a [rows × dim] matrix (a constant feature gets 1/std = 1). */
export function featureStats(data: Float32Array, dim: number): { mean: Float32Array; invStd: Float32Array } {
  const rows = data.length / dim;
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) mean[j] += data[r * dim + j];
  for (let j = 0; j < dim; j++) mean[j] /= Math.max(rows, 1);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < dim; j++) {
      const d = data[r * dim + j] - mean[j];
      sq[j] += d * d;
    }
  }
  const invStd = new Float32Array(dim);
  for (let j = 0; j < dim; j++) {
    const sd = Math.sqrt(sq[j] / Math.max(rows, 1));
    invStd[j] = sd > 1e-12 ? 1 / sd : 1;
  }
  return { mean: Float32Array.from(mean), invStd };
}

function standardized(data: Float32Array, rows: readonly number[] | null, dim: number, mean: Float32Array, invStd: Float32Array): Float32Array {
  const n = rows ? rows.length : data.length / dim;
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const r = rows ? rows[i] : i;
    for (let j = 0; j < dim; j++) out[i * dim + j] = (data[r * dim + j] - mean[j]) * invStd[j];
  }
  return out;
}

/**
 * Trains on rows `rows` of an embedding matrix [·, dim], `labels[i]` the class of row `rows[i]`; `stats` from every
 * row of the source. Needs two classes.
 */
export function trainHead(
  data: Float32Array,
  dim: number,
  rows: readonly number[],
  labels: readonly string[],
  stats: { mean: Float32Array; invStd: Float32Array },
  o: HeadTrainOptions = {},
): HeadModel {
  const n = rows.length;
  if (n !== labels.length) throw new Error(`trainHead: ${n} rows for ${labels.length} labels`);
  const classes = [...new Set(labels)].sort();
  if (classes.length < 2) throw new Error('The suggester needs labels of at least two classes.');
  const classOf = new Map(classes.map((c, i) => [c, i]));
  const y = Int32Array.from(labels, (l) => classOf.get(l)!);
  const k = classes.length;
  const lambda = 1 / (2 * (o.c ?? 1) * n);
  const be = o.backend ?? new JsBackend();
  const x = Tensor.fromData(be, standardized(data, rows, dim, stats.mean, stats.invStd), [n, dim]);
  const w = Tensor.zeros(be, [k, dim], true);
  const b = Tensor.zeros(be, [k], true);
  const opt = new AdamW([w, b], { lr: o.lr ?? 0.05, weightDecay: 0 });
  try {
    for (let step = 0; step < (o.steps ?? 150); step++) {
      tidy(() => {
        const loss = add(crossEntropy(linear(x, w, b), y), scale(sum(square(w)), lambda));
        backward(loss);
        opt.update();
        zeroGrad([w, b]);
      });
    }
    return { kind: 'embedding-head', classes, dim, ...stats, weights: Float32Array.from(w.dataSync()), bias: Float32Array.from(b.dataSync()), trainedOn: n };
  } finally {
    opt.dispose();
    x.dispose();
    w.dispose();
    b.dispose();
  }
}

/** Class probabilities [rows × classes] of embedding rows (all rows of `data`, or those in `rows`). */
export function predictHead(model: HeadModel, data: Float32Array, rows: readonly number[] | null = null): Float32Array {
  const { dim, weights: w, bias, mean, invStd } = model;
  if (data.length % dim !== 0) throw new Error(`The embeddings have ${data.length} values, not a multiple of the model's ${dim} dimensions.`);
  const k = model.classes.length;
  const n = rows ? rows.length : data.length / dim;
  const out = new Float32Array(n * k);
  const z = new Float64Array(dim);
  const logit = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const r = rows ? rows[i] : i;
    for (let j = 0; j < dim; j++) z[j] = (data[r * dim + j] - mean[j]) * invStd[j];
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      let s = bias[c];
      for (let j = 0; j < dim; j++) s += w[c * dim + j] * z[j];
      logit[c] = s;
      max = Math.max(max, s);
    }
    let total = 0;
    for (let c = 0; c < k; c++) total += Math.exp(logit[c] - max);
    for (let c = 0; c < k; c++) out[i * k + c] = Math.exp(logit[c] - max) / total;
  }
  return out;
}

/** Rows most like `row` by cosine of L2-normalised embeddings (a dot product), best first, without `row`. */
export function nearestRows(data: Float32Array, dim: number, row: number, limit: number): { row: number; similarity: number }[] {
  const rows = data.length / dim;
  if (!Number.isInteger(row) || row < 0 || row >= rows) throw new Error(`Row ${row} is out of range (the source has ${rows} rows).`);
  const q = data.subarray(row * dim, (row + 1) * dim);
  const scores: { row: number; similarity: number }[] = [];
  for (let r = 0; r < rows; r++) {
    if (r === row) continue;
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += q[j] * data[r * dim + j];
    scores.push({ row: r, similarity: dot });
  }
  return scores.sort((a, b) => b.similarity - a.similarity || a.row - b.row).slice(0, limit);
}
