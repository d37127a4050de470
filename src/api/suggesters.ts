/**
 * The page side of the background suggesters: one per (source, label column). It keeps the newest model's
 * probabilities for every row, so `suggest` and `labelQueue` answer at once from memory while a retrain runs in
 * a worker; labelling never waits on it. Trains once every class has 2 labels, then after every `retrainEvery`
 * new labels (and on demand); a retrain asked for during one runs right after it.
 *
 * Three kinds of suggester, one choice per label column (ChosenSuggester, kept by suggester-choice.ts): TF-IDF
 * (./tfidf-suggester), a head on an embedding model's frozen embeddings (./embedding-suggester), both retrained
 * here; or a classifier's own predictions (./classifier-suggester), which never retrains.
 */
import { notReadyReason } from '../label/suggester';
import type { TrainResult } from '../label/suggester';
import { DEFAULT_RETRAIN_EVERY, type QueueOptions, type SuggesterChoice, type SuggesterKey, type SuggesterOptions, type SuggesterStatus, type SuggestOptions, type Suggestion } from '../label/types';
import { ClassifierRuns, type RunInfer, type ScoreStore } from './classifier-suggester';
import { ChosenSuggester } from './chosen-suggester';
import { EmbeddingSuggesters, type EmbeddingEndpoints } from './embedding-suggester';
import { queueCandidates, queueOrder, rankSuggestions, type Answer } from './suggester-ranking';
import type { ChoiceStore } from './suggester-choice';
import { TfidfSuggester, type SuggestEndpoint } from './tfidf-suggester';

export type { SuggestEndpoint };

/** What the suggesters read from the database: a column's values as plain arrays. */
export interface SuggesterHost {
  texts(source: string, column: string): readonly (string | null)[];
  labels(source: string, column: string): readonly (string | null)[];
}

/** What the suggesters other than TF-IDF need (tests pass in-process ones, or none). */
export interface SuggesterServices {
  /** `Database.infer`, to run a classifier chosen as the suggester (absent: no classifier suggester). */
  infer?: RunInfer;
  /** Where a classifier's predictions are kept for the next visit. */
  scores?: ScoreStore | null;
  /** Where the choice of suggester per label column is kept for the next visit (all three kinds). */
  choices?: ChoiceStore | null;
  /** The embed and head workers of the embedding suggester (default: the app's workers). */
  embedding?: () => EmbeddingEndpoints;
  /** Cache the embeddings in OPFS (default false: nothing kept across reloads). */
  cacheEmbeddings?: boolean;
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
  /** The chosen suggester: TF-IDF or an embedding head (trained here, these fields) or a classifier (its run). */
  pick: ChosenSuggester;
  /** The trained kind (TF-IDF or embedding model) the fields above are for: its curve and its model. */
  trained: string;
}

const keyOf = (source: string, labelColumn: string) => JSON.stringify([source, labelColumn]);
const trainedOf = (c: SuggesterChoice) => (c.kind === 'classifier' ? null : JSON.stringify(c));

export class Suggesters {
  private readonly states = new Map<string, State>();
  private readonly listeners = new Set<(s: SuggesterStatus) => void>();
  private readonly tfidf: TfidfSuggester;
  private readonly classifiers: ClassifierRuns | null;
  private readonly embedding: EmbeddingSuggesters;

  constructor(
    private readonly host: SuggesterHost,
    connect?: (onDead: () => void) => SuggestEndpoint,
    private readonly services: SuggesterServices = {},
  ) {
    this.tfidf = new TfidfSuggester(host.texts, connect);
    this.classifiers = services.infer
      ? new ClassifierRuns(services.infer, host.texts, services.scores ?? null, (r) => {
          for (const s of this.states.values()) {
            if (s.pick.run?.source !== r.source || s.pick.run.textColumn !== r.textColumn || s.pick.run.model !== r.model) continue;
            s.pick.labelsChanged(this.host.labels(s.source, s.labelColumn), s.retrainEvery);
            this.emit(s);
          }
        })
      : null;
    const cache = services.cacheEmbeddings ?? false;
    this.embedding = new EmbeddingSuggesters((source, column, model) => this.embeddingChanged(source, column, model), services.embedding, () => cache);
  }

  private state(key: SuggesterKey): State {
    const k = keyOf(key.source, key.labelColumn);
    let s = this.states.get(k);
    if (!s) {
      const pick = new ChosenSuggester(this.classifiers, this.services.choices ?? null, k, key.source, key.labelColumn);
      const trained = trainedOf(pick.choice) ?? trainedOf({ kind: 'tfidf' })!;
      s = { source: key.source, labelColumn: key.labelColumn, textColumn: null, retrainEvery: DEFAULT_RETRAIN_EVERY, version: 0, labelsUsed: 0, classes: [], training: false, pending: 0, curve: [], probs: null, probsColumn: null, again: false, run: null, pick, trained };
      this.states.set(k, s);
    }
    return s;
  }

  status(key: SuggesterKey): SuggesterStatus {
    const s = this.state(key);
    const labels = this.host.labels(s.source, s.labelColumn);
    const classes = s.version > 0 ? s.classes : [...new Set(labels.filter((l): l is string => l !== null))].sort();
    const version = s.version + s.pick.versionBump;
    const base = { source: s.source, labelColumn: s.labelColumn, version, labelsUsed: s.labelsUsed, classes, training: s.training, pendingLabels: s.pending, retrainEvery: s.retrainEvery, learningCurve: [...s.curve], ...(s.error ? { error: s.error } : {}), suggester: { ...s.pick.choice } };
    const model = s.pick.embeddingModel;
    const embedding = model !== null ? this.embedding.status(s.source, s.textColumn, model) : undefined;
    if (!s.pick.classifier) return { ...base, ...(embedding ? { embedding } : {}) };
    // A classifier does not train on the labels: its curve is its accuracy on them, its error its run's.
    const { classifier, curve } = s.pick.status(s.textColumn, labels);
    const { error: _trained, ...rest } = base;
    const ready = classifier.state === 'ready';
    return { ...rest, labelsUsed: 0, training: false, classes: ready ? classifier.classes : classes, learningCurve: curve, classifier, ...(classifier.error ? { error: classifier.error } : {}) };
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

  private embeddingChanged(source: string, column: string, model: string): void {
    for (const s of this.states.values()) if (s.source === source && s.textColumn === column && s.pick.embeddingModel === model) this.emit(s);
  }

  configure(o: SuggesterOptions): void {
    const s = this.state(o);
    if (o.retrainEvery !== undefined) {
      if (!Number.isInteger(o.retrainEvery) || o.retrainEvery < 1) throw new Error(`retrainEvery must be a positive integer (got ${o.retrainEvery}).`);
      s.retrainEvery = o.retrainEvery;
    }
    if (o.textColumn !== undefined) this.useText(s, o.textColumn);
    if (o.suggester !== undefined) this.useSuggester(s, o.suggester, o.classifierSource);
    s.pick.sync(s.textColumn);
    this.emit(s);
    this.maybeTrain(s);
  }

  /** A new choice of suggester. A trained kind retrains with it (the old model's suggestions stay until then). */
  private useSuggester(s: State, choice: SuggesterChoice, where: SuggesterOptions['classifierSource']): void {
    const before = s.pick.embeddingModel;
    if (!s.pick.choose(choice, where)) return;
    if (before !== null && before !== s.pick.embeddingModel && s.textColumn !== null) this.embedding.cancel(s.source, s.textColumn, before);
    const trained = trainedOf(s.pick.choice);
    if (trained === null || trained === s.trained) return;
    // A train in flight with the old choice (e.g. waiting on its embeddings) ends; then the new one trains.
    if (s.run) void s.run.then(() => this.maybeTrain(s));
    s.trained = trained;
    s.curve = []; // the learning curve is the chosen suggester's
    s.pending = Math.max(s.pending, s.retrainEvery);
    // Start embedding at once (it is the slow part), even before there are enough labels to train.
    const model = s.pick.embeddingModel;
    if (model !== null && s.textColumn !== null) {
      const column = s.textColumn;
      void this.embedding.prepare(s.source, column, model, () => this.host.texts(s.source, column)).catch(() => undefined);
    }
  }

  /** Makes a picked model folder usable as the embedding model `local:<name>`; suggesters waiting for it retrain. */
  useLocalEmbeddingModel(model: Parameters<EmbeddingSuggesters['registerLocal']>[0]): string {
    const id = this.embedding.registerLocal(model);
    for (const s of this.states.values()) {
      if (s.pick.embeddingModel !== id) continue;
      s.pending = Math.max(s.pending, s.retrainEvery);
      this.emit(s);
      this.maybeTrain(s);
    }
    return id;
  }

  /** Stops an embedding suggester's embedding pass. */
  cancelEmbedding(key: SuggesterKey): void {
    const s = this.state(key);
    const model = s.pick.embeddingModel;
    if (model !== null && s.textColumn !== null) this.embedding.cancel(s.source, s.textColumn, model);
  }

  private useText(s: State, textColumn: string): void {
    if (s.textColumn === textColumn) return;
    s.textColumn = textColumn;
    if (s.probsColumn !== textColumn) s.pending = Math.max(s.pending, s.retrainEvery); // the old model read another column
    s.pick.sync(textColumn);
  }

  /** Called after labels of `column` change (`count` rows): counts them and starts a retrain when due. */
  labelsChanged(source: string, column: string, count: number): void {
    const s = this.states.get(keyOf(source, column));
    if (!s) return;
    s.pending += count;
    s.pick.labelsChanged(this.host.labels(source, column), s.retrainEvery);
    this.emit(s);
    this.maybeTrain(s);
  }

  private maybeTrain(s: State): void {
    // NOTE: a retrain in flight picks up what is pending when it ends (see trainLoop).
    if (s.textColumn === null || s.run || s.pick.classifier) return;
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
    if (s.pick.classifier) return this.status(s); // a classifier's predictions do not change with labels
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
      const r = await this.trainChosen(s, textColumn, rows, labels);
      if (!r) return; // a classifier was chosen meanwhile: nothing to train
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

  /** One train of the chosen kind: the embedding head (embedding the column first if needed) or TF-IDF. */
  private trainChosen(s: State, textColumn: string, rows: number[], labels: string[]): Promise<TrainResult> | null {
    const choice = s.pick.choice;
    const modelKey = keyOf(s.source, s.labelColumn);
    if (choice.kind === 'classifier') return null;
    if (choice.kind === 'tfidf') return this.tfidf.train({ source: s.source, textColumn, modelKey, rows, labels });
    return this.embedding.train({ choice, source: s.source, column: textColumn, modelKey, rows, labels, version: s.version + 1, texts: () => this.host.texts(s.source, textColumn) });
  }

  /** Suggestions of the newest model in queue order; starts the first train when labels allow. */
  suggest(o: SuggestOptions): Suggestion[] {
    return rankSuggestions(this.rank(o, o.includeLabelled ?? false), o.strategy);
  }

  /** Unlabelled rows in queue order. */
  queue(o: QueueOptions): number[] {
    return this.rank(o, false).order;
  }

  private rank(o: QueueOptions, includeLabelled: boolean): { order: number[]; answer: Answer | null } {
    const s = this.state(o);
    this.useText(s, o.textColumn);
    this.maybeTrain(s);
    const answer = this.answering(s, o.textColumn);
    const rows = queueCandidates(this.host.texts(o.source, o.textColumn), this.host.labels(o.source, o.labelColumn), o.filter, includeLabelled);
    return { order: queueOrder(rows, answer, o), answer };
  }

  /** The probabilities `suggest` answers from: the chosen classifier's (once it has run), else the newest trained model's. */
  private answering(s: State, textColumn: string): Answer | null {
    if (s.pick.classifier) return s.pick.scores(textColumn);
    return s.probsColumn === textColumn && s.probs ? { probs: s.probs, classes: s.classes } : null;
  }

  /** The newest model's probabilities of a source's rows, when it was trained on that text column. */
  probabilities(key: SuggesterKey, textColumn: string): { version: number; classes: string[]; probs: ArrayLike<number> } | null {
    const s = this.states.get(keyOf(key.source, key.labelColumn));
    const answer = s ? this.answering(s, textColumn) : null;
    return s && answer ? { version: s.version + s.pick.versionBump, classes: answer.classes, probs: answer.probs } : null;
  }

  /** The chosen classifier as `infer` takes it, or null when the suggester is not a classifier. */
  classifierFor(key: SuggesterKey) {
    return this.state(key).pick.inferOptions();
  }

  /** The chosen classifier's probabilities over a text column, once its run is done. */
  async classifierScores(key: SuggesterKey, textColumn: string): Promise<{ version: number; classes: string[]; probs: ArrayLike<number> }> {
    const s = this.state(key);
    this.useText(s, textColumn);
    const { probs, classes } = await s.pick.done(textColumn);
    return { version: s.version + s.pick.versionBump, classes, probs };
  }

  /** Scores any texts with the newest trained model (in its worker; an embedding head embeds them first). */
  async score(key: SuggesterKey, texts: (string | null)[]): Promise<{ version: number; classes: string[]; probs: Float32Array }> {
    const s = this.states.get(keyOf(key.source, key.labelColumn));
    if (!s || s.version === 0) throw new Error(`No suggester has been trained for label column "${key.labelColumn}" of "${key.source}" yet.`);
    const modelKey = keyOf(key.source, key.labelColumn);
    const model = s.pick.embeddingModel;
    const r = model !== null && s.probsColumn !== null
      ? await this.embedding.score(modelKey, s.source, s.probsColumn, model, texts.map((t) => t ?? ''))
      : await this.tfidf.score(modelKey, texts);
    return { ...r, version: r.version + s.pick.versionBump };
  }

  /** Rows like `row`, best first: by the cached embeddings' cosine when an embedding suggester has them, else TF-IDF's. */
  async similar(o: { source: string; textColumn: string; row: number; limit?: number }): Promise<{ row: number; similarity: number }[]> {
    const limit = o.limit ?? 50;
    for (const model of this.embeddingModels(o.source, o.textColumn)) {
      const found = await this.embedding.similar(o.source, o.textColumn, model, o.row, limit, () => this.host.texts(o.source, o.textColumn));
      if (found) return found;
    }
    return this.tfidf.similar(o.source, o.textColumn, o.row, limit);
  }

  /** Which similarity `similar` uses now for a source's text column: an embedding model's id, or 'tfidf'. */
  similarityOf(source: string, textColumn: string): string {
    return this.embeddingModels(source, textColumn).find((m) => this.embedding.status(source, textColumn, m)?.state === 'ready') ?? 'tfidf';
  }

  /** The embedding models chosen for label columns of this source's text column. */
  private embeddingModels(source: string, textColumn: string): string[] {
    const models = [...this.states.values()].filter((s) => s.source === source && s.textColumn === textColumn).map((s) => s.pick.embeddingModel);
    return [...new Set(models.filter((m): m is string => m !== null))];
  }

  /** Drops everything kept for a source (it was removed). */
  forgetSource(source: string): void {
    this.embedding.forgetSource(source);
    for (const [k, s] of this.states) if (s.source === source) (s.pick.leave(), this.states.delete(k));
    this.classifiers?.forgetSource(source);
    this.services.choices?.forget(source);
    this.tfidf.forgetSource(source);
  }
}
