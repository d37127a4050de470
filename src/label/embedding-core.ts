/**
 * The embedding suggester's work in the suggest worker (framework-free; tests call it directly): keep a source
 * column's frozen embeddings (computed once, see src/data/embedding-cache), train the softmax head on the labelled
 * rows (./embedding-head), measure the same seeded 80/20 held-out accuracy as the TF-IDF suggester for the learning
 * curve, score every row, and find nearest neighbours by cosine.
 */
import { featureStats, nearestRows, predictHead, trainHead, type HeadModel, type HeadTrainOptions } from './embedding-head';
import { heldOutPoint, notReadyReason, type TrainResult } from './suggester';
import type { LearningCurvePoint } from './types';

interface Corpus {
  data: Float32Array;
  dim: number;
  stats: { mean: Float32Array; invStd: Float32Array };
}

export interface HeadTrainRequest {
  modelKey: string;
  corpusKey: string;
  rows: readonly number[];
  labels: readonly string[];
  /** The version the new model gets (the page counts versions across suggester kinds). */
  version: number;
  seed?: number;
  options?: HeadTrainOptions;
}

export class EmbeddingCore {
  private readonly corpora = new Map<string, Corpus>();
  private readonly models = new Map<string, { model: HeadModel; version: number }>();

  /** Keeps a column's embeddings [rows × dim] (and the standardisation over all of its rows). */
  setEmbeddings(corpusKey: string, data: Float32Array, dim: number): void {
    if (dim <= 0 || data.length % dim !== 0) throw new Error(`Embeddings of ${data.length} values do not split into rows of ${dim}.`);
    this.corpora.set(corpusKey, { data, dim, stats: featureStats(data, dim) });
  }

  hasEmbeddings(corpusKey: string): boolean {
    return this.corpora.has(corpusKey);
  }

  private corpus(key: string): Corpus {
    const c = this.corpora.get(key);
    if (!c) throw new Error(`The suggester has no embeddings for "${key}".`);
    return c;
  }

  train(req: HeadTrainRequest): TrainResult {
    const c = this.corpus(req.corpusKey);
    const reason = notReadyReason(req.labels);
    if (reason) throw new Error(reason);
    const t0 = performance.now();
    const curvePoint = this.heldOutPoint(c, req);
    const model = trainHead(c.data, c.dim, req.rows, req.labels, c.stats, req.options);
    const t1 = performance.now();
    const probs = predictHead(model, c.data);
    this.models.set(req.modelKey, { model, version: req.version });
    return { version: req.version, classes: model.classes, labelsUsed: req.rows.length, curvePoint, probs, trainMs: t1 - t0, scoreMs: performance.now() - t1 };
  }

  private heldOutPoint(c: Corpus, req: HeadTrainRequest): LearningCurvePoint | null {
    return heldOutPoint(req, (rows, labels) => {
      const model = trainHead(c.data, c.dim, rows, labels, c.stats, req.options);
      return { classes: model.classes, probs: (held) => predictHead(model, c.data, held) };
    });
  }

  /** Probabilities of embeddings of any texts [n × dim] by the newest head under `modelKey`. */
  score(modelKey: string, data: Float32Array): { version: number; classes: string[]; probs: Float32Array } {
    const m = this.models.get(modelKey);
    if (!m) throw new Error(`No embedding suggester has been trained for "${modelKey}" yet.`);
    return { version: m.version, classes: m.model.classes, probs: predictHead(m.model, data) };
  }

  similar(corpusKey: string, row: number, limit: number): { row: number; similarity: number }[] {
    const c = this.corpus(corpusKey);
    return nearestRows(c.data, c.dim, row, limit);
  }

  forget(corpusKey: string): void {
    this.corpora.delete(corpusKey);
  }
}
