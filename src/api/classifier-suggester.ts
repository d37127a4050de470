/**
 * Any classifier as the suggester (issue #9: zero-effort pre-labels). The model — served, Hub, a local folder or a
 * fine-tuned id — runs once over a source's text column through `Database.infer` (its worker, progress and
 * cancel); its per-row probabilities, read back from `all_scores_json` in the order of its id2label
 * (`jammi.labels`), then answer `suggest`, `labelQueue` and `infer` of `jammi:suggester:…` exactly as infer gave
 * them. It never retrains on the labels. Probabilities are kept per (source, text column, model, text hash) in
 * memory for the visit and in OPFS (src/data/score-cache.ts) for the next one.
 */
import type { Table } from 'apache-arrow';
import type { ClassifierSuggesterStatus, LearningCurvePoint } from '../label/types';
import type { ClassifierWhere } from './suggester-choice';
import { fnv1a, type StoredScores } from '../data/score-cache';
import { cancelledError, JammiError } from '../errors';
import type { InferOptions, InferProgress } from './infer';

/** `Database.infer` as the classifier suggester calls it. */
export type RunInfer = (o: InferOptions) => Promise<Table>;

/** Where the probabilities of earlier visits are kept (tests pass none, or one in memory). */
export interface ScoreStore {
  load(source: string, key: string): Promise<StoredScores | null>;
  save(source: string, key: string, s: StoredScores): Promise<void>;
  remove(source: string): Promise<void>;
}

/** The probabilities `infer` gave: per row in the order of `classes`; rows with no text are all 0. */
export interface ClassifierScores extends StoredScores {
  rows: number;
}

/** What `infer` takes for a chosen classifier (its model and where it comes from). */
export function inferModel(model: string, where: ClassifierWhere = {}): Pick<InferOptions, 'model' | 'modelSource' | 'hubHost' | 'revision'> {
  if (where.folder) return { model: where.folder };
  return { model, modelSource: where.modelSource, hubHost: where.hubHost, revision: where.revision };
}

/** The model's identity in cache keys (a folder by name, as it is known after a reload). */
const modelKey = (model: string, where: ClassifierWhere) =>
  where.folder || where.folderName ? ['folder', where.folder?.name ?? where.folderName] : [model, where.modelSource ?? 'auto', where.hubHost ?? '', where.revision ?? 'main'];

/** Per-row probabilities from an infer result table (`all_scores_json` by the class names of `jammi.labels`). */
export function scoresOf(table: Table): ClassifierScores {
  const labels = JSON.parse(table.schema.metadata.get('jammi.labels') ?? '[]') as string[];
  // NOTE: infer keeps the first of two classes with one name (head.ts); so do we.
  const classes = [...new Set(labels.map(String))];
  if (classes.length < 2) throw new JammiError('model_config', `The model has ${classes.length} class(es) in its id2label: a suggester needs at least 2.`);
  const k = classes.length;
  const all = table.getChild('all_scores_json');
  if (!all) throw new JammiError('bad_input', 'The results have no "all_scores_json" column.');
  const probs = new Float64Array(table.numRows * k);
  for (let r = 0; r < table.numRows; r++) {
    const json = all.get(r) as string | null;
    if (json === null) continue;
    const p = JSON.parse(json) as Record<string, number>;
    for (let j = 0; j < k; j++) probs[r * k + j] = p[classes[j]] ?? 0;
  }
  return { classes, probs, rows: table.numRows };
}

/** Accuracy of the argmax predictions on the labelled rows (null below 1 label or with no overlap). */
export function accuracyOn(scores: ClassifierScores, labels: readonly (string | null)[]): LearningCurvePoint | null {
  const k = scores.classes.length;
  let n = 0;
  let right = 0;
  for (let r = 0; r < Math.min(labels.length, scores.rows); r++) {
    const l = labels[r];
    if (l === null || l === undefined) continue;
    let best = 0;
    let sum = 0;
    for (let j = 0; j < k; j++) {
      sum += scores.probs[r * k + j];
      if (scores.probs[r * k + j] > scores.probs[r * k + best]) best = j;
    }
    if (sum === 0) continue; // no text: no prediction
    n++;
    if (scores.classes[best] === l) right++;
  }
  return n === 0 ? null : { labels: n, accuracy: right / n };
}

interface Run {
  model: string;
  where: ClassifierWhere;
  source: string;
  textColumn: string;
  status: ClassifierSuggesterStatus;
  scores: ClassifierScores | null;
  controller: AbortController;
  done: Promise<ClassifierScores>;
  /** States (label columns) using it: the run is cancelled when the last one leaves. */
  users: Set<string>;
}

/** One run per (source, text column, model, texts); finished ones stay for the visit. */
export class ClassifierRuns {
  private readonly runs = new Map<string, Run>();

  constructor(
    private readonly infer: RunInfer,
    private readonly texts: (source: string, column: string) => readonly (string | null)[],
    private readonly store: ScoreStore | null,
    /** Called when a run's status changes (progress, ready, failed). */
    private readonly changed: (run: { source: string; textColumn: string; model: string }) => void,
  ) {}

  private keyOf(source: string, textColumn: string, model: string, where: ClassifierWhere): string {
    // NOTE: the texts' hash is part of the key: a source replaced under the same name never reuses old predictions.
    const texts = this.texts(source, textColumn);
    let h = 0x811c9dc5;
    for (const t of texts) h = fnv1a(`${t ?? '\u0000'}\u0001`, h);
    return JSON.stringify([source, textColumn, texts.length, h, ...modelKey(model, where)]);
  }

  /** The run for this model over this text column: the finished or running one, else a new one. */
  use(user: string, source: string, textColumn: string, model: string, where: ClassifierWhere): Run {
    const key = this.keyOf(source, textColumn, model, where);
    let run = this.runs.get(key);
    if (run && run.status.state === 'failed' && run.users.size === 0) run = undefined; // a new choice tries again
    if (!run) {
      run = this.start(key, source, textColumn, model, where);
      this.runs.set(key, run);
    } else if (!run.users.has(user) && run.status.state === 'ready') run.status.from = 'memory';
    run.users.add(user);
    return run;
  }

  /** `user` no longer uses the run; a run nobody uses any more is cancelled if it is still going. */
  leave(user: string, run: Run | null): void {
    if (!run) return;
    run.users.delete(user);
    if (run.users.size === 0 && run.status.state === 'running') run.controller.abort();
  }

  private start(key: string, source: string, textColumn: string, model: string, where: ClassifierWhere): Run {
    const controller = new AbortController();
    const status: ClassifierSuggesterStatus = {
      model,
      source: { ...(where.modelSource ? { modelSource: where.modelSource } : {}), ...(where.hubHost ? { hubHost: where.hubHost } : {}), ...(where.revision ? { revision: where.revision } : {}), ...(where.folder || where.folderName ? { folder: where.folder?.name ?? where.folderName } : {}) },
      textColumn,
      state: 'running',
      rows: 0,
      total: this.texts(source, textColumn).length,
      classes: [],
    };
    const run: Run = { model, where, source, textColumn, status, scores: null, controller, users: new Set(), done: null as unknown as Promise<ClassifierScores> };
    const tell = () => this.changed({ source, textColumn, model });
    let last = 0;
    const onProgress = (p: InferProgress) => {
      status.rows = p.rows;
      status.total = p.total;
      const now = Date.now();
      if (now - last > 100 || p.rows === p.total) (last = now), tell();
    };
    run.done = (async () => {
      const stored = await this.store?.load(source, key).catch(() => null);
      if (stored) return { scores: { ...stored, rows: stored.probs.length / stored.classes.length }, from: 'storage' as const };
      if (controller.signal.aborted) throw cancelledError(`Running ${model}`);
      if (!where.folder && where.folderName) throw new JammiError('model_file', `The local folder "${model}" is gone after a reload: pick it again.`);
      const table = await this.infer({ source, columns: [textColumn], ...inferModel(model, where), signal: controller.signal, onProgress });
      const scores = scoresOf(table);
      // Best effort: a full quota means the next visit runs the model again, nothing worse.
      void this.store?.save(source, key, scores).catch((e: unknown) => console.warn('jammi: the classifier suggester\'s predictions were not saved', e));
      return { scores, from: 'run' as const };
    })().then(
      ({ scores, from }) => {
        run.scores = scores;
        Object.assign(status, { state: 'ready', classes: scores.classes, rows: scores.rows, total: scores.rows, from });
        tell();
        return scores;
      },
      (e: unknown) => {
        this.runs.delete(key);
        const cancelled = (e as Error)?.name === 'AbortError';
        Object.assign(status, { state: 'failed', error: cancelled ? `Running ${model} was cancelled.` : `${model} could not suggest: ${(e as Error)?.message ?? String(e)}` });
        tell();
        throw e;
      },
    );
    run.done.catch(() => undefined);
    return run;
  }

  /** A status for the visit: a finished run used again says it came from memory. */
  statusOf(run: Run, labels: readonly (string | null)[]): ClassifierSuggesterStatus {
    const accuracy = run.scores ? accuracyOn(run.scores, labels) : null;
    return { ...run.status, source: { ...run.status.source }, classes: [...run.status.classes], ...(accuracy ? { accuracy } : {}) };
  }

  /** Forgets a source's runs (cancelling any still going) and its stored predictions. */
  forgetSource(source: string): void {
    for (const [k, run] of this.runs) {
      if (run.source !== source) continue;
      this.runs.delete(k);
      run.controller.abort();
    }
    void this.store?.remove(source).catch(() => undefined);
  }
}

export type ClassifierRun = ReturnType<ClassifierRuns['use']>;
