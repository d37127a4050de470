/**
 * The default suggester: multinomial logistic regression on hashed TF-IDF features (./features), trained on our
 * engine as a sparse embedding bag. For documents d with features (id_j, v_j):
 *
 *   logits[d] = Σ_j v_j · W[id_j] + b        (X·W + b, X the [documents, features] tf-idf rows: sparseMatmul)
 *   loss      = mean_d CE(logits[d], y_d) + λ·‖W‖²
 *
 * and the engine's backward gives ∂loss/∂W (sparseMatmul's backward is Xᵀ·∂logits, one pass over the entries).
 * Full-batch AdamW steps. W holds only rows for features seen in training (the rest would stay 0 anyway), so a
 * step costs O(nnz + features·classes), not O(buckets).
 *
 * Models are plain objects of typed arrays: they cross a worker boundary as is.
 */
import type { Backend } from '../grad/backend';
import { JsBackend } from '../grad/backends/js';
import { add, scale, square } from '../grad/ops/elementwise';
import { sparseMatmul, sparseMatrix, type SparseMatrix } from '../grad/ops/sparse';
import { sum } from '../grad/ops/broadcast';
import { crossEntropy } from '../grad/functional';
import { AdamW } from '../grad/optim';
import { Tensor, backward, noGrad, tidy, zeroGrad } from '../grad/tensor';
import { countTerms, documentFrequencies, inverseDocumentFrequencies, resolveOptions, tfidf, type FeatureOptions, type SparseRows, type TermCounts } from './features';

export interface LinearModel {
  kind: 'tfidf-linear';
  classes: string[];
  features: Required<FeatureOptions>;
  /** idf per feature id (2·buckets). */
  idf: Float32Array;
  /** Sorted feature ids that have a weight row. */
  vocab: Int32Array;
  /** [vocab.length, classes.length], row-major. */
  weights: Float32Array;
  bias: Float32Array;
  /** Labelled documents it was trained on. */
  trainedOn: number;
}

export interface TrainOptions {
  features?: FeatureOptions;
  /** λ of the L2 penalty as scikit-learn's C: λ = 1 / (2·C·n). Default C = 10. */
  c?: number;
  steps?: number;
  lr?: number;
  /** Document frequencies from a larger corpus (e.g. every row of the source, labelled or not). */
  df?: { df: Int32Array; docs: number };
  /** The idf of those frequencies, made once per corpus (`inverseDocumentFrequencies`); wins over `df`. */
  idf?: Float32Array;
  backend?: Backend;
}

/** The rows as the engine reads them: X [documents, weight rows], features without a weight row dropped. */
function toBag(rows: SparseRows, rowOfId: (id: number) => number, weightRows: number): SparseMatrix {
  const n = rows.ptr.length - 1;
  const ptr = new Int32Array(n + 1);
  const idx = new Int32Array(rows.ids.length);
  const values = new Float32Array(rows.ids.length);
  let at = 0;
  for (let d = 0; d < n; d++) {
    for (let i = rows.ptr[d]; i < rows.ptr[d + 1]; i++) {
      const r = rowOfId(rows.ids[i]);
      if (r < 0) continue;
      idx[at] = r;
      values[at++] = rows.values[i];
    }
    ptr[d + 1] = at;
  }
  return sparseMatrix(ptr, idx.slice(0, at), values.slice(0, at), weightRows);
}

/** logits [docs, classes] of a bag. */
function forward(w: Tensor, b: Tensor, bag: SparseMatrix): Tensor {
  return add(sparseMatmul(bag, w), b);
}

/** Trains on labelled texts; `labels[i]` is the class of `texts[i]`. Needs at least two classes. */
export function trainLinear(texts: readonly string[], labels: readonly string[], o: TrainOptions = {}): LinearModel {
  return trainOnTerms(countTerms(texts, resolveOptions(o.features)), labels, o);
}

/** As trainLinear, from term counts already made with `o.features` (e.g. rows of a cached corpus). */
export function trainOnTerms(terms: TermCounts, labels: readonly string[], o: TrainOptions = {}): LinearModel {
  const n = terms.ptr.length - 1;
  if (n !== labels.length) throw new Error(`trainLinear: ${n} texts for ${labels.length} labels`);
  const classes = [...new Set(labels)].sort();
  if (classes.length < 2) throw new Error('The suggester needs labels of at least two classes.');
  const features = resolveOptions(o.features);
  const idf = o.idf ?? idfOf(o.df ?? documentFrequencies(terms, features.buckets));
  const rows = tfidf(terms, idf, features.buckets);
  const vocab = seenIds(rows.ids, idf.length);
  const rowOfId = new Int32Array(idf.length).fill(-1);
  vocab.forEach((id, r) => (rowOfId[id] = r));
  const bag = toBag(rows, (id) => rowOfId[id], vocab.length);
  const classOf = new Map(classes.map((c, i) => [c, i]));
  const y = Int32Array.from(labels, (l) => classOf.get(l)!);
  const k = classes.length;
  const lambda = 1 / (2 * (o.c ?? 10) * n);

  const be = o.backend ?? new JsBackend();
  const w = Tensor.zeros(be, [vocab.length, k], true);
  const b = Tensor.zeros(be, [k], true);
  const opt = new AdamW([w, b], { lr: o.lr ?? 0.2, weightDecay: 0 });
  const steps = o.steps ?? 60;
  try {
    for (let step = 0; step < steps; step++) {
      tidy(() => {
        const loss = add(crossEntropy(forward(w, b, bag), y), scale(sum(square(w)), lambda));
        backward(loss);
        opt.update();
        zeroGrad([w, b]);
      });
    }
    const weights = Float32Array.from(w.dataSync());
    const bias = Float32Array.from(b.dataSync());
    return { kind: 'tfidf-linear', classes, features, idf, vocab, weights, bias, trainedOn: n };
  } finally {
    opt.dispose();
    w.dispose();
    b.dispose();
  }
}

const idfOf = ({ df, docs }: { df: Int32Array; docs: number }) => inverseDocumentFrequencies(df, docs);

/** The distinct ids, ascending (a mark per id: no Set of every entry). */
function seenIds(ids: Int32Array, features: number): Int32Array {
  const seen = new Uint8Array(features);
  let n = 0;
  for (let i = 0; i < ids.length; i++) if (seen[ids[i]] === 0) (seen[ids[i]] = 1), n++;
  const out = new Int32Array(n);
  for (let id = 0, j = 0; id < features; id++) if (seen[id]) out[j++] = id;
  return out;
}

/** Row of each feature id in a model's weights (-1: none), as a dense table over all ids. */
function rowTable(model: LinearModel): Int32Array {
  const table = new Int32Array(model.idf.length).fill(-1);
  model.vocab.forEach((id, r) => (table[id] = r));
  return table;
}

export interface ScoreOptions {
  chunk?: number;
  /** Run the engine's forward (sparseMatmul + b, on tf-idf rows) instead of the fused loop; same numbers, slower. */
  engine?: boolean;
  backend?: Backend;
}

/**
 * Class probabilities of texts, [texts.length × classes] row-major, in chunks. An empty or null text gets the
 * prior the bias alone gives.
 */
export function predictProba(model: LinearModel, texts: readonly (string | null | undefined)[], o: ScoreOptions = {}): Float32Array {
  const termsOf = (start: number, end: number) => countTerms(texts.slice(start, end), model.features);
  return o.engine ? scoreChunks(model, texts.length, termsOf, o) : scoreFused(model, texts.length, termsOf, o.chunk ?? 2048);
}

/** Class probabilities of documents given as term counts (made with the model's feature options). */
export function predictProbaTerms(model: LinearModel, terms: TermCounts, o: ScoreOptions = {}): Float32Array {
  const n = terms.ptr.length - 1;
  const termsOf = (start: number, end: number) => sliceTerms(terms, start, end);
  return o.engine ? scoreChunks(model, n, termsOf, o) : scoreFused(model, n, termsOf, o.chunk ?? 8192);
}

/**
 * The forward of `forward` in one pass per document, without building the bag (scoring 100,000 rows is
 * dominated by memory traffic otherwise): tf-idf over the model's known features, per-block norm, Σ v·W[row] + b.
 * Tested equal to the engine's forward.
 */
function scoreFused(model: LinearModel, n: number, termsOf: (start: number, end: number) => TermCounts, chunk: number): Float32Array {
  const k = model.classes.length;
  const out = new Float32Array(n * k);
  const table = rowTable(model);
  const { weights: w, idf } = model;
  const B = model.features.buckets;
  const logit = new Float64Array(k);
  const acc = new Float64Array(k);
  for (let start = 0; start < n; start += chunk) {
    const t = termsOf(start, Math.min(n, start + chunk));
    for (let d = 0; d + 1 < t.ptr.length; d++) {
      for (let j = 0; j < k; j++) logit[j] = model.bias[j];
      const a = t.ptr[d];
      const e = t.ptr[d + 1];
      let split = a;
      while (split < e && t.ids[split] < B) split++;
      // Per block: Σ u·W[row] and Σ u² in one pass (u = tf·idf), then scaled by 1/‖u‖: the same sum as
      // normalising u first.
      for (let block = 0; block < 2; block++) {
        const lo = block === 0 ? a : split;
        const hi = block === 0 ? split : e;
        let norm = 0;
        acc.fill(0);
        for (let i = lo; i < hi; i++) {
          const id = t.ids[i];
          const row = table[id];
          if (row < 0) continue;
          const c = t.counts[i];
          const u = (c < SUBLINEAR.length ? SUBLINEAR[c] : 1 + Math.log(c)) * idf[id];
          norm += u * u;
          for (let j = 0; j < k; j++) acc[j] += u * w[row * k + j];
        }
        if (norm === 0) continue;
        const s = 1 / Math.sqrt(norm);
        for (let j = 0; j < k; j++) logit[j] += acc[j] * s;
      }
      softmaxInto(logit, k, out, (start + d) * k);
    }
  }
  return out;
}

/** 1 + ln c for the small counts nearly every entry has (a look-up instead of a log per entry). */
const SUBLINEAR = Float64Array.from({ length: 256 }, (_, c) => 1 + Math.log(c));

function sliceTerms(t: TermCounts, start: number, end: number): TermCounts {
  const a = t.ptr[start];
  const b = t.ptr[end];
  return { ptr: t.ptr.slice(start, end + 1).map((p) => p - a), ids: t.ids.subarray(a, b), counts: t.counts.subarray(a, b) };
}

function scoreChunks(model: LinearModel, n: number, termsOf: (start: number, end: number) => TermCounts, o: ScoreOptions): Float32Array {
  const k = model.classes.length;
  const out = new Float32Array(n * k);
  const table = rowTable(model);
  const be = o.backend ?? new JsBackend();
  const chunk = o.chunk ?? 2048;
  const w = Tensor.fromData(be, model.weights, [model.vocab.length, k]);
  const b = Tensor.fromData(be, model.bias, [k]);
  try {
    for (let start = 0; start < n; start += chunk) {
      // NOTE: features the model never saw are dropped before the norm (a fitted vocabulary's behaviour): kept,
      // they would shrink the known ones of a text toward 0 when few labels cover little of the vocabulary.
      const rows = tfidf(termsOf(start, Math.min(n, start + chunk)), model.idf, model.features.buckets, table);
      const bag = toBag(rows, (id) => table[id], model.vocab.length);
      const logits = noGrad(() => tidy(() => forward(w, b, bag).keep()));
      softmaxInto(logits.dataSync(), k, out, start * k);
      logits.dispose();
    }
  } finally {
    w.dispose();
    b.dispose();
  }
  return out;
}

function softmaxInto(logits: ArrayLike<number>, k: number, out: Float32Array, at: number): void {
  for (let r = 0; r * k < logits.length; r++) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, logits[r * k + j]);
    let z = 0;
    for (let j = 0; j < k; j++) z += Math.exp(logits[r * k + j] - max);
    for (let j = 0; j < k; j++) out[at + r * k + j] = Math.exp(logits[r * k + j] - max) / z;
  }
}

/** Index of the most probable class of each row of a [n × k] probability table. */
export function argmaxRows(probs: Float32Array, k: number): Int32Array {
  const out = new Int32Array(probs.length / k);
  for (let r = 0; r < out.length; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (probs[r * k + j] > probs[r * k + best]) best = j;
    out[r] = best;
  }
  return out;
}

export type { TermCounts };
