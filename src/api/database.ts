import { tableFromIPC, type Table } from 'apache-arrow';
import { tableToArrowFile, tableToCsv, type ExportFormat } from '../data/export';
import { deleteSource, loadSources, saveSourceInfo } from '../data/source-store';
import { storageError } from '../data/opfs';
import { SourceLabels } from '../data/labels';
import { LabelSync, type RemoteChange } from './label-sync';
import { ingestCsv, type AddSourceOptions, type SourceInfo } from './source-ingest';
import { applyRemoteChange, asBadInput, checkLabelColumn, checkTextColumn, restoreEdits, withColumns } from './source-labels';
import { Suggesters } from './suggesters';
import { parseSuggesterModelId, type LabelApi, type LabelChange, type LabelEditsInput, type QueueOptions, type SuggesterKey, type SuggesterOptions, type SuggesterStatus, type SuggestOptions, type Suggestion } from '../label/types';
import { inferBySuggester } from './suggester-infer';
import { localChoiceStore } from './suggester-choice';
import { deleteScores, loadScores, saveScores } from '../data/score-cache';
import { JammiError } from '../errors';
import { runExportModel } from './export-model';
import { FineTunedModels, startFineTune, type FineTuneOptions, type FineTunedModel, type Job } from './fine-tune';
import type { LocalModel } from '../nn/model-files';
import { loseInferenceGpuDevice, runEvaluate, runInfer, type EvaluateOptions, type Evaluation, type InferOptions } from './infer';

export type { AddSourceOptions, SourceInfo };

export interface DatabaseOptions {
  /** Keep sources across reloads in the browser's private file system (default true where it exists). */
  persist?: boolean;
}

/**
 * The one way the UI (and `window.jammi`) touches data, models and workers. Heavy work runs in workers;
 * the page keeps Arrow tables. Listen to `change` events to redraw.
 */
export class Database extends EventTarget implements LabelApi {
  /** `table` is the source as loaded; its labels live in `labels` (the table with them: `labels.table()`). */
  private readonly sources = new Map<string, { table: Table; info: SourceInfo; labels: SourceLabels }>();
  private readonly persist: boolean;
  private readonly loading = new Set<string>();
  private readonly fineTuned: FineTunedModels;
  private readonly jobs = new Map<string, Job>();
  private readonly textCache = new Map<string, readonly (string | null)[]>();
  /** Label log in OPFS + other tabs' edits (null: not persisted). */
  private labelSync: LabelSync | null = null;
  private readonly suggesters: Suggesters;
  private infersRunning = 0;

  private constructor(options: DatabaseOptions) {
    super();
    this.persist = options.persist ?? true;
    this.fineTuned = new FineTunedModels(this.persist);
    // A classifier as the suggester runs through `infer`. When persisting, the one choice per label column (any
    // kind), a classifier's predictions and an embedding model's embeddings are kept for the next visit.
    const kept = this.persist ? { scores: { load: loadScores, save: saveScores, remove: deleteScores }, choices: localChoiceStore(), cacheEmbeddings: true } : {};
    this.suggesters = new Suggesters(
      { texts: (source, column) => this.columnTexts(source, column), labels: (source, column) => this.source(source).labels.all(column) },
      undefined,
      { infer: (o) => this.infer(o), ...kept },
    );
  }

  /** Creates the database and restores the sources kept from the last visit. */
  static async open(options: DatabaseOptions = {}): Promise<Database> {
    const db = new Database(options);
    if (db.persist) {
      if (LabelSync.available()) db.labelSync = new LabelSync((name, change) => db.applyRemote(name, change));
      try {
        for (const [name, { ipc, info }] of await loadSources<SourceInfo>()) {
          const table = tableFromIPC(ipc);
          const labels = new SourceLabels(table);
          const edits = (await db.labelSync?.load(name).catch((e) => console.warn(`jammi: could not read the labels of "${name}"`, e))) ?? {};
          restoreEdits(name, labels, edits);
          db.sources.set(name, { table, info: withColumns(info, labels), labels });
        }
      } catch (e) {
        console.warn('jammi: could not restore saved sources', e);
      }
      await db.fineTuned.restore().catch((e) => console.warn('jammi: could not restore saved adapters', e));
    }
    return db;
  }

  /** Parses a CSV file (or CSV text) in a worker and adds it as source `name`. */
  async addSource(name: string, input: File | Blob | string, options: AddSourceOptions = {}): Promise<SourceInfo> {
    name = name.trim();
    if (!name) throw new JammiError('bad_input', 'A source needs a name.');
    if (this.sources.has(name) || this.loading.has(name)) {
      throw new JammiError('bad_input', `A source named "${name}" already exists; remove it first or pick another name.`);
    }
    this.loading.add(name);
    try {
      return await this.ingest(name, input, options);
    } finally {
      this.loading.delete(name);
    }
  }

  private async ingest(name: string, input: File | Blob | string, options: AddSourceOptions): Promise<SourceInfo> {
    const { table, info: source } = await ingestCsv(name, input, options, this.persist);
    // Labels a crash left behind for an earlier source of this name are not this source's.
    await this.labelSync?.remove(name).catch(() => undefined);
    this.sources.set(name, { table, info: source, labels: new SourceLabels(table) });
    if (this.persist) await saveSourceInfo(name, source).catch((e: Error) => source.warnings.push(`Not saved for the next visit: ${e.message}`));
    this.changed();
    return source;
  }

  async listSources(): Promise<SourceInfo[]> {
    return [...this.sources.values()].map((s) => s.info);
  }

  /** The source with its labels (the label columns are built on the first read after an edit). */
  async getSource(name: string): Promise<Table> {
    return this.source(name).labels.table();
  }

  /**
   * Labels rows of a source in a text column (created when missing): `{ [rowIndex]: label }`, null or '' clears.
   * One edit costs O(rows edited); kept across reloads; the table, exports and fine-tuning see them at once.
   * Resolves with what the edit replaced (apply `previous` to undo it, a bulk edit in one step).
   */
  async setLabels(source: string, column: string, labels: LabelEditsInput): Promise<LabelChange> {
    const s = this.source(source);
    column = column.trim();
    if (!column) throw new JammiError('bad_input', 'Name the label column.');
    if (labels === null || typeof labels !== 'object') throw new JammiError('bad_input', 'Labels are given as { [rowIndex]: label }.');
    const rows = Object.fromEntries(Object.entries(labels).map(([r, l]) => [r, l === null || l === undefined ? null : String(l)]));
    let change: { previous: Record<number, string | null>; next: Record<number, string | null> };
    try {
      change = s.labels.set(column, rows);
    } catch (e) {
      throw new JammiError('bad_input', (e as Error).message);
    }
    this.textCache.delete(JSON.stringify([source, column]));
    s.info = withColumns(s.info, s.labels);
    this.suggesters.labelsChanged(source, column, Object.keys(change.next).length);
    this.changed();
    // NOTE: the page shows the edit at once; the promise resolves when it is flushed to the log.
    await this.labelSync?.append(source, { column, edits: change.next }).catch((e: unknown) => {
      // A full quota (or any failed write) is said, not swallowed: the labels stay applied in this tab only.
      const err = storageError(e, `the labels of "${source}"`);
      throw new JammiError(err.code, `${err.message} The labels are applied for this visit only.`);
    });
    return { source, column, ...change };
  }

  /** Labels another tab saved (read from the log, in its order). */
  private applyRemote(name: string, change: RemoteChange): void {
    const s = this.sources.get(name);
    if (!s) return;
    const touched = applyRemoteChange(name, s, change);
    if (touched.size === 0) return;
    for (const [column, n] of touched) {
      this.textCache.delete(JSON.stringify([name, column]));
      this.suggesters.labelsChanged(name, column, n);
    }
    s.info = withColumns(s.info, s.labels);
    this.changed();
  }

  /** The label of one row (null: none), without building the table. */
  labelOf(source: string, column: string, row: number): string | null {
    return this.source(source).labels.get(column, row);
  }

  /** Rows per label of a label column. */
  labelCounts(source: string, column: string): Record<string, number> {
    const s = this.source(source);
    const counts: Record<string, number> = {};
    if (!s.labels.has(column)) return counts;
    for (const l of s.labels.all(column)) if (l !== null) counts[l] = (counts[l] ?? 0) + 1;
    return counts;
  }

  /** Suggestions of the newest background suggester, in queue order (see src/label/types.ts). */
  async suggest(options: SuggestOptions): Promise<Suggestion[]> {
    this.checkSuggest(options);
    return this.wrapErrors(() => this.suggesters.suggest(options));
  }

  /** Unlabelled rows in queue order (least-confidence by default). */
  async labelQueue(options: QueueOptions): Promise<number[]> {
    this.checkSuggest(options);
    return this.wrapErrors(() => this.suggesters.queue(options));
  }

  suggesterStatus(key: SuggesterKey): SuggesterStatus {
    this.source(key.source);
    return this.suggesters.status(key);
  }

  onSuggesterUpdate(cb: (status: SuggesterStatus) => void): () => void {
    return this.suggesters.onUpdate(cb);
  }

  async retrainSuggester(key: SuggesterKey & { textColumn: string }): Promise<SuggesterStatus> {
    this.checkSuggest(key);
    return this.suggesters.retrain(key, key.textColumn);
  }

  setSuggesterOptions(key: SuggesterOptions): void {
    if (key.textColumn !== undefined) this.checkSuggest({ ...key, textColumn: key.textColumn });
    else this.source(key.source);
    this.wrapErrors(() => this.suggesters.configure(key));
  }

  /**
   * A model folder the person picked, usable as an embedding suggester's model: returns its id (`local:<name>`) for
   * `setSuggesterOptions({ suggester: { kind: 'embedding', model: id } })`. The files stay in this tab (pick the
   * folder again after a reload; the embeddings it made stay cached).
   */
  useLocalEmbeddingModel(model: LocalModel): string {
    return this.wrapErrors(() => this.suggesters.useLocalEmbeddingModel(model));
  }

  /** Stops an embedding suggester's embedding pass (see src/label/types.ts); what it embedded stays cached. */
  cancelSuggesterEmbedding(key: SuggesterKey): void {
    this.source(key.source);
    this.suggesters.cancelEmbedding(key);
  }

  /** Rows most like one row by the cached embeddings' cosine (an embedding suggester chosen) or TF-IDF cosine (see src/label/types.ts), for "similar to this row" bulk labels. */
  async similarRows(options: { source: string; textColumn: string; row: number; limit?: number }): Promise<{ row: number; similarity: number }[]> {
    this.checkText(options.source, options.textColumn);
    try {
      return await this.suggesters.similar(options);
    } catch (e) {
      throw new JammiError('bad_input', (e as Error).message);
    }
  }

  private checkText(source: string, textColumn: string) {
    return checkTextColumn(this.source(source), source, textColumn);
  }

  private checkSuggest(o: SuggesterKey & { textColumn: string }): void {
    checkLabelColumn(this.checkText(o.source, o.textColumn), o.labelColumn);
  }

  private wrapErrors<T>(fn: () => T): T {
    return asBadInput(fn);
  }

  /** A text column as plain strings (cached; the suggesters read it on every call). */
  private columnTexts(source: string, column: string): readonly (string | null)[] {
    const key = JSON.stringify([source, column]);
    let texts = this.textCache.get(key);
    if (!texts) {
      const s = this.source(source);
      const c = s.table.getChild(column);
      texts = s.labels.has(column) && !c ? s.labels.all(column) : Array.from({ length: s.table.numRows }, (_, r) => {
        const v = c?.get(r);
        return v === null || v === undefined ? null : String(v);
      });
      this.textCache.set(key, texts);
    }
    return texts;
  }

  async removeSource(name: string): Promise<void> {
    this.source(name);
    this.sources.delete(name);
    this.suggesters.forgetSource(name);
    for (const k of [...this.textCache.keys()]) if ((JSON.parse(k) as string[])[0] === name) this.textCache.delete(k);
    if (this.persist) {
      await this.labelSync?.remove(name).catch((e) => console.warn('jammi: could not remove labels', e));
      await deleteSource(name);
    }
    this.changed();
  }

  /** Classifies the text of a source's rows in the inference worker; one result row per source row (see `./infer`). */
  async infer(options: InferOptions): Promise<Table> {
    const suggester = parseSuggesterModelId(options?.model);
    if (suggester) return this.inferSuggester(suggester, options);
    this.setInfersRunning(+1);
    try {
      return await runInfer((name) => this.getSource(name), options, (modelId) => this.fineTuned.lookup(modelId));
    } finally {
      this.setInfersRunning(-1);
    }
  }

  /**
   * True while an `infer` or a fine-tune job runs. The app applies an update (a reload) only when this is false;
   * listen to `busy` (infer) and `change` (jobs) events to follow it.
   */
  get busy(): boolean {
    return this.infersRunning > 0 || [...this.jobs.values()].some((j) => j.status === 'queued' || j.status === 'running');
  }

  private setInfersRunning(delta: number): void {
    this.infersRunning += delta;
    this.dispatchEvent(new Event('busy'));
  }

  /** `infer` by the newest background suggester (`jammi:suggester:<source>/<labelColumn>`). */
  private async inferSuggester(key: SuggesterKey, options: InferOptions): Promise<Table> {
    this.source(key.source);
    return inferBySuggester(this.suggesters, key, options, await this.getSource(options.source), (o) => this.infer(o));
  }

  /**
   * Fault injection, for tests and for trying the recovery path: destroys the GPU device of every model loaded on
   * our engine in the inference worker, as a driver reset would. Returns how many devices it destroyed.
   */
  async simulateGpuDeviceLoss(): Promise<number> {
    return loseInferenceGpuDevice();
  }

  /** Accuracy, macro-F1, per-class metrics and confusion of `infer` results against a gold label column. */
  async evaluate(options: EvaluateOptions): Promise<Evaluation> {
    return runEvaluate((name) => this.getSource(name), options);
  }

  /**
   * Trains a LoRA adapter on a source's labelled rows, in a worker. Settings are checked before any work; the
   * returned job runs on (`job.wait()`, `job.cancel()`, `job.onProgress(cb)`), and `job.modelId` works in `infer`.
   */
  async fineTune(options: FineTuneOptions): Promise<Job> {
    const job = await startFineTune(await this.getSource(options.source), options, this.fineTuned);
    this.jobs.set(job.id, job);
    job.onChange(() => this.changed());
    void job.wait().then(
      () => this.changed(),
      () => this.changed(),
    );
    this.changed();
    return job;
  }

  /** Training jobs of this visit, newest last. */
  listJobs(): Job[] {
    return [...this.jobs.values()];
  }

  /** Fine-tuned (and loaded) models, kept across reloads. */
  async listFineTuned(): Promise<FineTunedModel[]> {
    return this.fineTuned.list();
  }

  async removeFineTuned(modelId: string): Promise<void> {
    await this.fineTuned.remove(modelId);
    this.changed();
  }

  /** `adapter_config.json` and `adapter_model.safetensors` of a fine-tuned model. */
  async exportAdapter(modelId: string): Promise<Record<string, Blob>> {
    return this.fineTuned.export(modelId);
  }

  /**
   * A fine-tuned model as a Hub-layout folder that runs without this app: `config.json` (trained id2label / label2id),
   * the tokenizer files, `onnx/model.onnx` (LoRA merged, or the projection head appended to the graph) and
   * `model.safetensors`. By default the files by path (a `LocalModel`'s `files`: `infer` takes them back as
   * `{ name, files }`); `{ format: 'zip' }` gives one zip with the folder inside.
   */
  async exportModel(modelId: string, options?: { format?: 'files' }): Promise<Record<string, Blob>>;
  async exportModel(modelId: string, options: { format: 'zip' }): Promise<Blob>;
  async exportModel(modelId: string, options: { format?: 'files' | 'zip' } = {}): Promise<Record<string, Blob> | Blob> {
    const out = await runExportModel(this.fineTuned, modelId, options.format ?? 'files');
    return out.zip ?? out.files!;
  }

  /** Takes an adapter back (a zip, or its two files) and returns a model id for `infer`. */
  async loadAdapter(files: Blob | Blob[] | Record<string, Blob>, options: { baseModel?: string | LocalModel } = {}): Promise<string> {
    const id = await this.fineTuned.load(files, options.baseModel);
    this.changed();
    return id;
  }

  /**
   * An Arrow IPC file, an RFC 4180 CSV or a Parquet file (Snappy) of a source (by name) or of any table (e.g.
   * `infer`'s results). The Parquet writer (parquet-wasm) is loaded on first use.
   */
  async export(nameOrTable: string | Table, format: ExportFormat): Promise<Blob> {
    const table = typeof nameOrTable === 'string' ? this.source(nameOrTable).labels.table() : nameOrTable;
    switch (format) {
      case 'arrow':
        return tableToArrowFile(table);
      case 'csv':
        return tableToCsv(table);
      case 'parquet': {
        const { tableToParquet } = await import('../data/parquet');
        return tableToParquet(table).catch((e: unknown) => Promise.reject(new JammiError('run_failed', `Could not write Parquet: ${(e as Error).message}`)));
      }
      default:
        throw new JammiError('bad_input', `Unknown export format "${format satisfies never}"; use "arrow", "csv" or "parquet".`);
    }
  }

  private source(name: string) {
    const s = this.sources.get(name);
    if (!s) {
      const known = [...this.sources.keys()];
      throw new JammiError('bad_input', `Unknown source "${name}". ${known.length ? `Loaded sources: ${known.join(', ')}.` : 'No sources are loaded.'}`);
    }
    return s;
  }

  private changed(): void {
    this.dispatchEvent(new Event('change'));
  }
}
