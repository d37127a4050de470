/**
 * The page side of the background suggesters: one per (source, label column). It keeps the newest model's
 * probabilities for every row, so `suggest` and `labelQueue` answer at once from memory while a retrain runs in
 * the suggest worker; labelling never waits on it. Trains once every class has 2 labels, then after every
 * `retrainEvery` new labels (and on demand); a retrain asked for during one runs right after it.
 */
import type { SuggestApi } from '../../workers/suggest.worker';
import { WorkerBridge } from './worker-bridge';
import { rankRows, rowOf, textMatcher, topTwo, uncertainty } from '../label/queue';
import { notReadyReason } from '../label/suggester';
import { DEFAULT_RETRAIN_EVERY, type QueueOptions, type SuggesterChoice, type SuggesterKey, type SuggesterOptions, type SuggesterStatus, type SuggestOptions, type Suggestion } from '../label/types';
import { EmbeddingSuggesters, suggesterChoices, type EmbeddingEndpoints } from './embedding-suggester';

/** What the suggesters read from the database: a column's values as plain arrays. */
export interface SuggesterHost {
  texts(source: string, column: string): readonly (string | null)[];
  labels(source: string, column: string): readonly (string | null)[];
  /** Keep the choice of suggester and the embeddings across reloads (default false). */
  persist?(): boolean;
}

interface State {
  source: string;
  labelColumn: string;
  textColumn: string | null;
  retrainEvery: number;
  version: number;
  labelsUsed: number;
  classes: string[];
  training: boolean;
  pending: number;
  curve: { labels: number; accuracy: number }[];
  error?: string;
  probs: Float32Array | null;
  /** The text column the probabilities are for. */
  probsColumn: string | null;
  again: boolean;
  run: Promise<void> | null;
  suggester: SuggesterChoice;
}

const keyOf = (source: string, labelColumn: string) => JSON.stringify([source, labelColumn]);
const corpusOf = (source: string, textColumn: string) => JSON.stringify([source, textColumn]);

/** The suggest worker as the suggesters use it (tests pass an in-process one). */
export interface SuggestEndpoint {
  remote: { [K in 'setTexts' | 'train' | 'score' | 'similar' | 'forget']: (...args: Parameters<SuggestApi[K]>) => Promise<ReturnType<SuggestApi[K]>> };
  /** Rejects when the worker dies. */
  dead: Promise<never>;
}

/** The suggest worker through the one worker bridge; a crash (the bridge starts a new worker) forgets the corpora sent. */
function suggestWorker(onDead: () => void): SuggestEndpoint {
  const bridge = new WorkerBridge<SuggestApi>(() => new Worker(new URL('../../workers/suggest.worker.ts', import.meta.url), { type: 'module', name: 'jammi-suggest' }), {
    what: 'The suggester',
    crashMessage: (detail) => `The suggest worker failed: ${detail}`,
  });
  const call = <T>(job: Parameters<typeof bridge.call<T>>[0]) =>
    bridge.call(job).catch((e: unknown) => {
      if ((e as { code?: string })?.code === 'worker_crashed') onDead();
      throw e;
    });
  return {
    dead: new Promise<never>(() => {}),
    remote: {
      setTexts: (k, t) => call((api) => api.setTexts(k, t)),
      train: (r) => call((api) => api.train(r)),
      score: (k, t) => call((api) => api.score(k, t)),
      similar: (k, r, n) => call((api) => api.similar(k, r, n)),
      forget: (k) => call((api) => api.forget(k)),
    },
  };
}

export class Suggesters {
  private readonly states = new Map<string, State>();
  private readonly listeners = new Set<(s: SuggesterStatus) => void>();
  private worker: (SuggestEndpoint & { corpora: Set<string> }) | null = null;
  private readonly embedding: EmbeddingSuggesters;

  constructor(
    private readonly host: SuggesterHost,
    private readonly connect: (onDead: () => void) => SuggestEndpoint = suggestWorker,
    embeddingEndpoints?: () => EmbeddingEndpoints,
  ) {
    const persist = () => host.persist?.() ?? false;
    this.embedding = new EmbeddingSuggesters((source, column, model) => this.embeddingChanged(source, column, model), embeddingEndpoints, persist);
  }

  private state(key: SuggesterKey): State {
    const k = keyOf(key.source, key.labelColumn);
    let s = this.states.get(k);
    if (!s) {
      const suggester = (this.host.persist?.() && suggesterChoices.load(key.source, key.labelColumn)) || { kind: 'tfidf' as const };
      s = { source: key.source, labelColumn: key.labelColumn, textColumn: null, retrainEvery: DEFAULT_RETRAIN_EVERY, version: 0, labelsUsed: 0, classes: [], training: false, pending: 0, curve: [], probs: null, probsColumn: null, again: false, run: null, suggester };
      this.states.set(k, s);
    }
    return s;
  }

  status(key: SuggesterKey): SuggesterStatus {
    const s = this.state(key);
    const classes = s.version > 0 ? s.classes : [...new Set(this.host.labels(s.source, s.labelColumn).filter((l): l is string => l !== null))].sort();
    return { source: s.source, labelColumn: s.labelColumn, version: s.version, labelsUsed: s.labelsUsed, classes, training: s.training, pendingLabels: s.pending, retrainEvery: s.retrainEvery, learningCurve: [...s.curve], ...(s.error ? { error: s.error } : {}), suggester: { ...s.suggester }, ...this.embeddingStatus(s) };
  }

  private embeddingStatus(s: State): Pick<SuggesterStatus, 'embedding'> {
    const e = s.suggester.kind === 'embedding' ? this.embedding.status(s.source, s.textColumn, s.suggester.model) : undefined;
    return e ? { embedding: e } : {};
  }

  private embeddingChanged(source: string, column: string, model: string): void {
    for (const s of this.states.values()) if (s.source === source && s.textColumn === column && s.suggester.kind === 'embedding' && s.suggester.model === model) this.emit(s);
  }

  onUpdate(cb: (s: SuggesterStatus) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  private emit(s: State): void {
    const status = this.status(s);
    for (const cb of this.listeners) {
      try {
        cb(status);
      } catch (e) {
        console.warn('jammi: a suggester listener failed', e);
      }
    }
  }

  configure(o: SuggesterOptions): void {
    const s = this.state(o);
    if (o.retrainEvery !== undefined) {
      if (!Number.isInteger(o.retrainEvery) || o.retrainEvery < 1) throw new Error(`retrainEvery must be a positive integer (got ${o.retrainEvery}).`);
      s.retrainEvery = o.retrainEvery;
    }
    if (o.textColumn !== undefined) this.useText(s, o.textColumn);
    if (o.suggester !== undefined) this.useSuggester(s, o.suggester);
    this.emit(s);
    this.maybeTrain(s);
  }

  /** A new choice of suggester: retrain with it (the old model's suggestions stay until the new one is ready). */
  private useSuggester(s: State, choice: SuggesterChoice): void {
    const kind = (choice as { kind?: unknown })?.kind;
    if (kind === 'embedding' || kind === 'classifier') {
      const model = (choice as { model?: unknown }).model;
      if (typeof model !== 'string' || !model.trim()) throw new Error(`A ${kind} suggester needs a model id (got ${JSON.stringify(model)}).`);
    } else if (kind !== 'tfidf') throw new Error(`Unknown suggester ${JSON.stringify(kind)}; use "tfidf" or "embedding".`);
    if (kind === 'classifier') throw new Error('The classifier suggester is not available in this build.');
    const next: SuggesterChoice = kind === 'tfidf' ? { kind } : { kind: 'embedding', model: (choice as { model: string }).model.trim() };
    if (JSON.stringify(next) === JSON.stringify(s.suggester)) return;
    if (s.suggester.kind === 'embedding' && s.textColumn !== null) this.embedding.cancel(s.source, s.textColumn, s.suggester.model);
    // A train in flight with the old choice (e.g. waiting on its embeddings) ends; then the new one trains.
    if (s.run) void s.run.then(() => this.maybeTrain(s));
    s.suggester = next;
    s.curve = []; // the learning curve is the chosen suggester's
    s.pending = Math.max(s.pending, s.retrainEvery);
    if (this.host.persist?.()) suggesterChoices.save(s.source, s.labelColumn, next);
    // Start embedding at once (it is the slow part), even before there are enough labels to train.
    if (next.kind === 'embedding' && s.textColumn !== null) {
      const column = s.textColumn;
      void this.embedding.prepare(s.source, column, next.model, () => this.host.texts(s.source, column)).catch(() => undefined);
    }
  }

  /** Makes a picked model folder usable as the embedding model `local:<name>`; suggesters waiting for it retrain. */
  useLocalEmbeddingModel(model: Parameters<EmbeddingSuggesters['registerLocal']>[0]): string {
    const id = this.embedding.registerLocal(model);
    for (const s of this.states.values()) {
      if (s.suggester.kind !== 'embedding' || s.suggester.model !== id) continue;
      s.pending = Math.max(s.pending, s.retrainEvery);
      this.emit(s);
      this.maybeTrain(s);
    }
    return id;
  }

  /** Stops an embedding suggester's embedding pass. */
  cancelEmbedding(key: SuggesterKey): void {
    const s = this.state(key);
    if (s.suggester.kind === 'embedding' && s.textColumn !== null) this.embedding.cancel(s.source, s.textColumn, s.suggester.model);
  }

  private useText(s: State, textColumn: string): void {
    if (s.textColumn === textColumn) return;
    s.textColumn = textColumn;
    if (s.probsColumn !== textColumn) s.pending = Math.max(s.pending, s.retrainEvery); // the old model read another column
  }

  /** Called after labels of `column` change (`count` rows): counts them and starts a retrain when due. */
  labelsChanged(source: string, column: string, count: number): void {
    const s = this.states.get(keyOf(source, column));
    if (!s) return;
    s.pending += count;
    this.emit(s);
    this.maybeTrain(s);
  }

  private maybeTrain(s: State): void {
    // NOTE: a retrain in flight picks up what is pending when it ends (see trainLoop).
    if (s.textColumn === null || s.run) return;
    if (s.version > 0 && s.pending < s.retrainEvery) return;
    if (s.version === 0) {
      const reason = notReadyReason(this.labelled(s).labels);
      if (reason) {
        s.error = reason;
        return;
      }
    }
    void this.retrain(s, s.textColumn).catch(() => undefined);
  }

  private labelled(s: State): { rows: number[]; labels: string[] } {
    const labels = this.host.labels(s.source, s.labelColumn);
    const texts = s.textColumn !== null ? this.host.texts(s.source, s.textColumn) : [];
    const rows: number[] = [];
    const out: string[] = [];
    labels.forEach((l, r) => {
      if (l !== null && (texts[r] ?? '').trim() !== '') {
        rows.push(r);
        out.push(l);
      }
    });
    return { rows, labels: out };
  }

  /** Retrains now (or right after the retrain in flight); resolves with the status after it. */
  async retrain(key: SuggesterKey, textColumn: string): Promise<SuggesterStatus> {
    const s = this.state(key);
    this.useText(s, textColumn);
    if (s.run) {
      s.again = true;
      while (s.run) await s.run;
      return this.status(s);
    }
    // NOTE: yield before training: listeners called from inside it (emit) must already see `s.run`.
    s.training = true;
    s.run = (async () => {
      await null;
      await this.trainLoop(s);
    })().finally(() => (s.run = null));
    await s.run;
    return this.status(s);
  }

  private async trainLoop(s: State): Promise<void> {
    do {
      s.again = false;
      await this.trainOnce(s);
    } while (s.again || (s.version > 0 && s.pending >= s.retrainEvery && s.error === undefined));
  }

  private async trainOnce(s: State): Promise<void> {
    const textColumn = s.textColumn!;
    const { rows, labels } = this.labelled(s);
    const reason = notReadyReason(labels);
    if (reason) {
      s.error = reason;
      s.training = false;
      this.emit(s);
      return;
    }
    s.training = true;
    s.pending = 0;
    this.emit(s);
    try {
      const choice = s.suggester;
      const r = choice.kind === 'embedding' ? await this.embedding.train({ choice, source: s.source, column: textColumn, modelKey: keyOf(s.source, s.labelColumn), rows, labels, version: s.version + 1, texts: () => this.host.texts(s.source, textColumn) }) : await this.trainTfidf(s, textColumn, rows, labels);
      s.version = Math.max(s.version + 1, r.version);
      s.classes = r.classes;
      s.labelsUsed = r.labelsUsed;
      s.probs = r.probs;
      s.probsColumn = textColumn;
      if (r.curvePoint) {
        // A retrain on the same labels (on demand) replaces its point rather than adding one.
        if (s.curve.at(-1)?.labels === r.curvePoint.labels) s.curve.pop();
        s.curve.push(r.curvePoint);
      }
      s.error = undefined;
    } catch (e) {
      s.error = `The suggester could not train: ${(e as Error).message ?? String(e)}`;
      s.again = false;
    } finally {
      s.training = false;
      this.emit(s);
    }
  }

  private async trainTfidf(s: State, textColumn: string, rows: number[], labels: string[]) {
    const w = this.ensureWorker();
    const corpus = corpusOf(s.source, textColumn);
    if (!w.corpora.has(corpus)) {
      await Promise.race([w.remote.setTexts(corpus, [...this.host.texts(s.source, textColumn)]), w.dead]);
      w.corpora.add(corpus);
    }
    return Promise.race([w.remote.train({ modelKey: keyOf(s.source, s.labelColumn), corpusKey: corpus, rows, labels }), w.dead]);
  }

  private ensureWorker() {
    if (!this.worker) this.worker = { ...this.connect(() => (this.worker = null)), corpora: new Set() };
    return this.worker;
  }

  /** Suggestions of the newest model in queue order; starts the first train when labels allow. */
  suggest(o: SuggestOptions): Suggestion[] {
    const { s, order, probs, k, strategy } = this.rank(o, o.includeLabelled ?? false);
    return order.map((row) => {
      if (probs === null) return { row, label: null, confidence: 0, runnerUp: null, score: 0, probabilities: [], classes: [] };
      const p = rowOf(probs, row, k);
      const [a, b] = topTwo(p);
      return {
        row,
        label: s.classes[a],
        confidence: p[a],
        runnerUp: b < 0 ? null : { label: s.classes[b], confidence: p[b] },
        score: uncertainty(p, strategy),
        probabilities: p,
        classes: s.classes,
      };
    });
  }

  /** Unlabelled rows in queue order. */
  queue(o: QueueOptions): number[] {
    return this.rank(o, false).order;
  }

  private rank(o: QueueOptions, includeLabelled: boolean) {
    const s = this.state(o);
    this.useText(s, o.textColumn);
    this.maybeTrain(s);
    const rows = this.candidates(o, includeLabelled);
    const probs = s.probsColumn === o.textColumn ? s.probs : null;
    const strategy = o.strategy ?? 'least-confidence';
    const k = s.classes.length;
    return { s, order: limitTo(rankRows({ rows, probs, k, strategy, seed: o.seed, limit: o.limit }), o.limit), probs, k, strategy };
  }

  private candidates(o: QueueOptions, includeLabelled: boolean): number[] {
    const texts = this.host.texts(o.source, o.textColumn);
    const labels = this.host.labels(o.source, o.labelColumn);
    const match = textMatcher(o.filter);
    const rows: number[] = [];
    for (let r = 0; r < texts.length; r++) {
      const t = texts[r];
      if (t === null || t.trim() === '' || (!includeLabelled && labels[r] !== null && labels[r] !== undefined)) continue;
      if (match(t)) rows.push(r);
    }
    return rows;
  }

  /** The newest model's probabilities of a source's rows, when it was trained on that text column. */
  probabilities(key: SuggesterKey, textColumn: string): { version: number; classes: string[]; probs: Float32Array } | null {
    const s = this.states.get(keyOf(key.source, key.labelColumn));
    if (!s || s.version === 0 || s.probs === null || s.probsColumn !== textColumn) return null;
    return { version: s.version, classes: s.classes, probs: s.probs };
  }

  /** Scores any texts with the newest model (in the worker). */
  async score(key: SuggesterKey, texts: (string | null)[]): Promise<{ version: number; classes: string[]; probs: Float32Array }> {
    const s = this.states.get(keyOf(key.source, key.labelColumn));
    if (!s || s.version === 0) throw new Error(`No suggester has been trained for label column "${key.labelColumn}" of "${key.source}" yet.`);
    if (s.suggester.kind === 'embedding' && s.probsColumn !== null) {
      return this.embedding.score(keyOf(key.source, key.labelColumn), s.source, s.probsColumn, s.suggester.model, texts.map((t) => t ?? ''));
    }
    const w = this.ensureWorker();
    return Promise.race([w.remote.score(keyOf(key.source, key.labelColumn), texts), w.dead]);
  }

  /** Rows like `row` by TF-IDF cosine (no embedding model needed), best first. */
  async similar(o: { source: string; textColumn: string; row: number; limit?: number }): Promise<{ row: number; similarity: number }[]> {
    const byEmbedding = await this.similarByEmbedding(o);
    if (byEmbedding) return byEmbedding;
    const w = this.ensureWorker();
    const corpus = corpusOf(o.source, o.textColumn);
    if (!w.corpora.has(corpus)) {
      await Promise.race([w.remote.setTexts(corpus, [...this.host.texts(o.source, o.textColumn)]), w.dead]);
      w.corpora.add(corpus);
    }
    return Promise.race([w.remote.similar(corpus, o.row, o.limit ?? 50), w.dead]);
  }

  /** Cosine of the cached embeddings of an embedding suggester chosen for this source and text column, if ready. */
  private async similarByEmbedding(o: { source: string; textColumn: string; row: number; limit?: number }) {
    for (const s of this.states.values()) {
      if (s.source !== o.source || s.textColumn !== o.textColumn || s.suggester.kind !== 'embedding') continue;
      const found = await this.embedding.similar(o.source, o.textColumn, s.suggester.model, o.row, o.limit ?? 50, () => this.host.texts(o.source, o.textColumn));
      if (found) return found;
    }
    return null;
  }

  /** Which similarity `similar` uses now for a source's text column: an embedding model's id, or 'tfidf'. */
  similarityOf(source: string, textColumn: string): string {
    for (const s of this.states.values()) {
      if (s.source === source && s.textColumn === textColumn && s.suggester.kind === 'embedding' && this.embedding.status(source, textColumn, s.suggester.model)?.state === 'ready') return s.suggester.model;
    }
    return 'tfidf';
  }

  /** Drops everything kept for a source (it was removed). */
  forgetSource(source: string): void {
    this.embedding.forgetSource(source);
    suggesterChoices.forgetSource(source);
    for (const [k, s] of this.states) if (s.source === source) this.states.delete(k);
    if (this.worker) for (const c of [...this.worker.corpora]) if ((JSON.parse(c) as string[])[0] === source) {
      this.worker.corpora.delete(c);
      void this.worker.remote.forget(c);
    }
  }
}

function limitTo<T>(items: T[], limit: number | undefined): T[] {
  if (limit === undefined) return items;
  if (!Number.isInteger(limit) || limit < 0) throw new Error(`limit must be a non-negative integer (got ${limit}).`);
  return items.slice(0, limit);
}
