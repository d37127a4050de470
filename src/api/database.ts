import { tableFromIPC, type Table } from 'apache-arrow';
import type { IngestApi } from '../data/ingest-api';
import type { BadRow, IngestInfo, IngestOptions, IngestProgress } from '../data/ingest';
import { tableToArrowFile, tableToCsv, type ExportFormat } from '../data/export';
import { deleteSource, loadLabelEdits, loadSources, saveLabelEdits, saveSourceInfo } from '../data/source-store';
import { applyLabels, type LabelEdits } from '../data/labels';
import { JammiError } from '../errors';
import { runExportModel } from './export-model';
import { FineTunedModels, startFineTune, type FineTuneOptions, type FineTunedModel, type Job } from './fine-tune';
import type { LocalModel } from '../nn/model-files';
import { loseInferenceGpuDevice, runEvaluate, runInfer, type EvaluateOptions, type Evaluation, type InferOptions } from './infer';
import { proxy, WorkerBridge } from './worker-bridge';

export interface SourceInfo {
  name: string;
  rows: number;
  columns: string[];
  types: Record<string, 'number' | 'text'>;
  encoding: IngestInfo['encoding'];
  delimiter: string;
  warnings: string[];
  badRows: BadRow[];
  badRowCount: number;
  /** Size of the file that was loaded. */
  bytes: number;
}

export interface AddSourceOptions extends Omit<IngestOptions, 'onProgress' | 'chunkBytes'> {
  signal?: AbortSignal;
  onProgress?: (p: IngestProgress) => void;
}

export interface DatabaseOptions {
  /** Keep sources across reloads in the browser's private file system (default true where it exists). */
  persist?: boolean;
}

const makeIngestWorker = () =>
  new Worker(new URL('../../workers/ingest.worker.ts', import.meta.url), { type: 'module', name: 'jammi-ingest' });

/**
 * The one way the UI (and `window.jammi`) touches data, models and workers. Heavy work runs in workers;
 * the page keeps Arrow tables. Listen to `change` events to redraw.
 */
export class Database extends EventTarget {
  private readonly sources = new Map<string, { table: Table; info: SourceInfo }>();
  private readonly persist: boolean;
  private readonly loading = new Set<string>();
  private readonly fineTuned: FineTunedModels;
  private readonly jobs = new Map<string, Job>();
  private readonly labelEdits = new Map<string, LabelEdits>();
  private infersRunning = 0;

  private constructor(options: DatabaseOptions) {
    super();
    this.persist = options.persist ?? true;
    this.fineTuned = new FineTunedModels(this.persist);
  }

  /** Creates the database and restores the sources kept from the last visit. */
  static async open(options: DatabaseOptions = {}): Promise<Database> {
    const db = new Database(options);
    if (db.persist) {
      try {
        for (const [name, { ipc, info }] of await loadSources<SourceInfo>()) {
          let table = tableFromIPC(ipc);
          const edits = await loadLabelEdits<LabelEdits>(name);
          for (const [column, rows] of Object.entries(edits ?? {})) table = applyLabels(table, column, rows);
          if (edits) db.labelEdits.set(name, edits);
          db.sources.set(name, { table, info: withColumns(info, table) });
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
    const blob = typeof input === 'string' ? new Blob([input], { type: 'text/csv' }) : input;
    const { signal, onProgress, ...ingestOptions } = options;
    // One fresh worker per load: a cancel terminates it (the only way to stop synchronous parsing mid-flight).
    const bridge = new WorkerBridge<IngestApi>(makeIngestWorker, {
      what: `Loading "${name}"`,
      crashMessage: (detail) => `Loading "${name}" failed in its worker: ${detail}`,
      oneShot: true,
    });
    const { ipc, info } = await bridge
      .call((api) => api.ingest(blob, ingestOptions, onProgress ? proxy(onProgress) : undefined, this.persist ? name : undefined), { signal })
      .catch((e: unknown) => {
      if (e instanceof Error && e.name !== 'AbortError') {
        const code = e instanceof JammiError && e.code !== 'run_failed' ? e.code : 'bad_csv';
        throw new JammiError(code, `Could not load "${name}": ${e.message}`);
      }
      throw e;
    });
    const source: SourceInfo = {
      name,
      rows: info.rows,
      columns: info.columns.map((c) => c.name),
      types: Object.fromEntries(info.columns.map((c) => [c.name, c.type])),
      encoding: info.encoding,
      delimiter: info.delimiter,
      warnings: info.warnings,
      badRows: info.badRows,
      badRowCount: info.badRowCount,
      bytes: blob.size,
    };
    this.sources.set(name, { table: tableFromIPC(ipc), info: source });
    if (this.persist) await saveSourceInfo(name, source).catch((e: Error) => source.warnings.push(`Not saved for the next visit: ${e.message}`));
    this.changed();
    return source;
  }

  async listSources(): Promise<SourceInfo[]> {
    return [...this.sources.values()].map((s) => s.info);
  }

  async getSource(name: string): Promise<Table> {
    return this.source(name).table;
  }

  /**
   * Labels rows of a source in a text column (created when missing): `{ [rowIndex]: label }`, null or '' clears.
   * Kept across reloads; the table, exports and fine-tuning see them at once.
   */
  async setLabels(source: string, column: string, labels: Record<number, string | null>): Promise<void> {
    const s = this.source(source);
    column = column.trim();
    if (!column) throw new JammiError('bad_input', 'Name the label column.');
    const rows = Object.fromEntries(Object.entries(labels).map(([r, l]) => [r, l === null ? null : String(l)]));
    let table: Table;
    try {
      table = applyLabels(s.table, column, rows);
    } catch (e) {
      throw new JammiError('bad_input', (e as Error).message);
    }
    const edits = this.labelEdits.get(source) ?? {};
    edits[column] = { ...edits[column], ...rows };
    this.labelEdits.set(source, edits);
    this.sources.set(source, { table, info: withColumns(s.info, table) });
    if (this.persist) {
      try {
        await saveLabelEdits(source, edits);
      } catch (e) {
        this.changed();
        throw new JammiError(e instanceof JammiError ? e.code : 'storage_failed', `${(e as Error).message} The labels are applied for this visit only.`);
      }
    }
    this.changed();
  }

  async removeSource(name: string): Promise<void> {
    this.source(name);
    this.sources.delete(name);
    this.labelEdits.delete(name);
    if (this.persist) await deleteSource(name);
    this.changed();
  }

  /** Classifies the text of a source's rows in the inference worker; one result row per source row (see `./infer`). */
  async infer(options: InferOptions): Promise<Table> {
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
    const table = typeof nameOrTable === 'string' ? this.source(nameOrTable).table : nameOrTable;
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

/** Source info whose columns and types follow the table (a label column added in the app). */
function withColumns(info: SourceInfo, table: Table): SourceInfo {
  const columns = table.schema.fields.map((f) => f.name);
  if (columns.length === info.columns.length) return info;
  const types = Object.fromEntries(columns.map((c) => [c, info.types[c] ?? 'text'])) as SourceInfo['types'];
  return { ...info, columns, types };
}
