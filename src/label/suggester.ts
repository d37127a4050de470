/**
 * The suggester's work, framework-free (it runs in workers/suggest.worker.ts; tests and benchmarks call it
 * directly): keep the texts of a source's column featurised once, train the TF-IDF linear model on the labelled
 * rows, measure a held-out accuracy for the learning curve, and score every row with the new model.
 */
import { Rng } from '../grad/rng';
import { countTerms, documentFrequencies, inverseDocumentFrequencies, resolveOptions, selectTerms, tfidf, type FeatureOptions, type TermCounts } from './features';
import { argmaxRows, predictProba, predictProbaTerms, trainOnTerms, type LinearModel, type TrainOptions } from './linear';
import type { LearningCurvePoint } from './types';

/** Keep a corpus's term counts in memory up to this many features (ids + counts: 8 bytes each). */
const CACHE_NNZ = 12_000_000;

/** Labels needed before a held-out accuracy is measured (fewer would give a meaningless curve point). */
export const CURVE_MIN_LABELS = 10;

interface Corpus {
  rows: number;
  texts: readonly (string | null)[];
  terms: TermCounts | null;
  df: { df: Int32Array; docs: number };
  /** idf of `df`, made once: every retrain's models share it. */
  idf: Float32Array;
}

export interface TrainRequest {
  /** Identifies the model (e.g. source + label column); a newer train replaces the model under this key. */
  modelKey: string;
  /** The corpus (see `setTexts`) the rows index into. */
  corpusKey: string;
  rows: readonly number[];
  labels: readonly string[];
  seed?: number;
  options?: TrainOptions;
}

export interface TrainResult {
  version: number;
  classes: string[];
  labelsUsed: number;
  curvePoint: LearningCurvePoint | null;
  /** Probabilities of every row of the corpus, [rows × classes]. */
  probs: Float32Array;
  trainMs: number;
  scoreMs: number;
}

/** Why a set of labels cannot train yet (null: it can). */
export function notReadyReason(labels: readonly string[]): string | null {
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  if (counts.size < 2) return 'The suggester trains once there are labels of at least two classes.';
  const short = [...counts].filter(([, n]) => n < 2).map(([c]) => c);
  if (short.length) return `The suggester trains once every class has at least 2 labels (${short.map((c) => `"${c}"`).join(', ')} ${short.length === 1 ? 'has' : 'have'} 1).`;
  return null;
}

export class SuggesterCore {
  private readonly corpora = new Map<string, Corpus>();
  private readonly models = new Map<string, { model: LinearModel; version: number }>();
  private readonly features: Required<FeatureOptions>;

  constructor(features: FeatureOptions = {}) {
    this.features = resolveOptions(features);
  }

  /** Featurises a corpus once (document frequencies over all its rows, labelled or not). */
  setTexts(corpusKey: string, texts: readonly (string | null)[]): void {
    const terms = countTerms(texts, this.features);
    const df = documentFrequencies(terms, this.features.buckets);
    const idf = inverseDocumentFrequencies(df.df, df.docs);
    this.corpora.set(corpusKey, { rows: texts.length, texts, terms: terms.ids.length <= CACHE_NNZ ? terms : null, df, idf });
  }

  hasTexts(corpusKey: string): boolean {
    return this.corpora.has(corpusKey);
  }

  private corpus(key: string): Corpus {
    const c = this.corpora.get(key);
    if (!c) throw new Error(`The suggester has no texts for "${key}"`);
    return c;
  }

  private termsOf(c: Corpus, rows: readonly number[]): TermCounts {
    return c.terms ? selectTerms(c.terms, rows) : countTerms(rows.map((r) => c.texts[r]), this.features);
  }

  /** Trains a new model version on labelled rows, records a held-out accuracy, and scores the whole corpus. */
  train(req: TrainRequest): TrainResult {
    const c = this.corpus(req.corpusKey);
    const reason = notReadyReason(req.labels);
    if (reason) throw new Error(reason);
    const options: TrainOptions = { ...req.options, features: this.features, df: c.df, idf: c.idf };
    const t0 = performance.now();
    const curvePoint = this.heldOutPoint(c, req, options);
    const model = trainOnTerms(this.termsOf(c, req.rows), req.labels, options);
    const t1 = performance.now();
    const probs = c.terms ? predictProbaTerms(model, c.terms) : predictProba(model, c.texts);
    const version = (this.models.get(req.modelKey)?.version ?? 0) + 1;
    this.models.set(req.modelKey, { model, version });
    return { version, classes: model.classes, labelsUsed: req.rows.length, curvePoint, probs, trainMs: t1 - t0, scoreMs: performance.now() - t1 };
  }

  /**
   * Accuracy of a model trained on a seeded 80 % of the labels on the other 20 %. Null below CURVE_MIN_LABELS
   * or when the 80 % lacks a class.
   */
  private heldOutPoint(c: Corpus, req: TrainRequest, options: TrainOptions): LearningCurvePoint | null {
    return heldOutPoint(req, (rows, labels) => {
      const model = trainOnTerms(this.termsOf(c, rows), labels, options);
      return { classes: model.classes, probs: (held) => predictProbaTerms(model, this.termsOf(c, held)) };
    });
  }

  /** Probabilities of any texts by the newest model under `modelKey`. */
  score(modelKey: string, texts: readonly (string | null)[]): { version: number; classes: string[]; probs: Float32Array } {
    const m = this.models.get(modelKey);
    if (!m) throw new Error(`No suggester has been trained for "${modelKey}" yet.`);
    return { version: m.version, classes: m.model.classes, probs: predictProba(m.model, texts) };
  }

  /**
   * Rows most similar to `row` by cosine of their TF-IDF vectors (both blocks: the mean of the word and the
   * character cosines), best first, without `row` itself.
   */
  similar(corpusKey: string, row: number, limit: number): { row: number; similarity: number }[] {
    const c = this.corpus(corpusKey);
    if (!Number.isInteger(row) || row < 0 || row >= c.rows) throw new Error(`Row ${row} is out of range (the source has ${c.rows} rows).`);
    const terms = c.terms ?? countTerms(c.texts, this.features);
    const rows = tfidf(terms, c.idf, this.features.buckets);
    const query = new Map<number, number>();
    for (let i = rows.ptr[row]; i < rows.ptr[row + 1]; i++) query.set(rows.ids[i], rows.values[i]);
    const scores: { row: number; similarity: number }[] = [];
    for (let d = 0; d < c.rows; d++) {
      if (d === row) continue;
      let dot = 0;
      for (let i = rows.ptr[d]; i < rows.ptr[d + 1]; i++) dot += (query.get(rows.ids[i]) ?? 0) * rows.values[i];
      if (dot > 0) scores.push({ row: d, similarity: dot / 2 });
    }
    return scores.sort((a, b) => b.similarity - a.similarity || a.row - b.row).slice(0, limit);
  }

  forget(corpusKey: string): void {
    this.corpora.delete(corpusKey);
  }
}

/** A seeded permutation of 0 … n−1 (Fisher–Yates). */
/**
 * The learning curve's point: a model fitted (by `fit`) on a seeded 80 % of the labelled rows, its accuracy on the
 * other 20 % (probabilities [held × classes], argmax). Null below CURVE_MIN_LABELS or when the 80 % lacks a class.
 */
export function heldOutPoint(
  req: { rows: readonly number[]; labels: readonly string[]; seed?: number },
  fit: (rows: number[], labels: string[]) => { classes: readonly string[]; probs: (heldRows: number[]) => Float32Array },
): LearningCurvePoint | null {
  const n = req.rows.length;
  if (n < CURVE_MIN_LABELS) return null;
  const order = seededOrder(n, req.seed ?? 0);
  const cut = Math.round(n * 0.8);
  const fitIdx = order.slice(0, cut);
  const held = order.slice(cut);
  const fitLabels = fitIdx.map((i) => req.labels[i]);
  if (new Set(fitLabels).size < 2) return null;
  const model = fit(fitIdx.map((i) => req.rows[i]), fitLabels);
  const pred = argmaxRows(model.probs(held.map((i) => req.rows[i])), model.classes.length);
  let right = 0;
  held.forEach((i, j) => (right += model.classes[pred[j]] === req.labels[i] ? 1 : 0));
  return { labels: n, accuracy: right / held.length };
}

export function seededOrder(n: number, seed: number): number[] {
  const rng = new Rng(seed);
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}
