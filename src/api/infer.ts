/**
 * `Database.infer` and `Database.evaluate`: checks the call, reads the text out of the source, runs the model in
 * the inference worker batch by batch and builds the result table in Jammi's schema.
 *
 * `_latency_ms` of a row is its share of its batch's wall time in the worker (tokenize + run + head, divided by
 * the rows in the batch); error rows (empty text) did no work and get 0.
 */
import type { Table } from 'apache-arrow';
import { vectorOf } from '../data/vectors';

/** Arrow vectors from JS values without eval (CSP-safe): for the UI's derived tables. */
export { vectorOf };
import type { InferApi } from '../../workers/infer.worker';
import type { BackendChoice, Dtype, ModelInfo } from '../infer/onnx-classifier';
import { classificationMetrics, type Metrics } from '../eval/metrics';
import { DEFAULT_HUB_HOST, listServedModels, unsafeModelPath, type LocalModel, type ModelRef } from '../nn/model-files';
import { BACKEND_CHOICES } from '../grad/backends/choice';
import { cancelledError, JammiError } from '../errors';
import { WorkerBridge } from './worker-bridge';
import { pipelineBatches } from './batch-pipeline';
import { addPhases, noPhases, type BatchPhases } from '../infer/phases';
import { resultTable, utf8Column } from './infer-table';

/** Re-exported from infer-table.ts (where the result table is built). */
export { utf8Column };

export type { BackendChoice, Dtype, LocalModel, ModelInfo };

/** Model ids served with the app (`JAMMI_MODELS_DIR`), for pickers. */
export const servedModels = listServedModels;

export interface InferProgress {
  rows: number;
  total: number;
  rowsPerSecond: number;
}

/** Where one `infer` call's time went, in ms (see src/infer/phases.ts); the infer bench prints it. */
export interface InferProfile {
  batches: number;
  /** Reading the texts out of the source, empty rows, sorting by length. */
  prepare: number;
  /** Loading (or reusing) the model in the worker. */
  load: number;
  /** Summed over batches, measured in the worker. */
  worker: BatchPhases;
  /**
   * The batch loop's wall time not covered by the worker's batches: what messages, structured clones, awaits and
   * progress events cost (the worker waiting on this thread). Pipelining is what brings it down.
   */
  idle: number;
  /** The batch loop's wall time (with batches overlapped, less than the sum of its parts). */
  batchLoop: number;
  /** Building the Arrow result table. */
  table: number;
  total: number;
}

export interface InferOptions {
  source: string;
  /** A model id (served with the app first, else from the Hub host) or a folder the user picked. */
  model: string | LocalModel;
  /** Text column(s); several are joined with one space. */
  columns: string | string[];
  task?: 'classification';
  /** Column whose value becomes `_row_id` (as text); by default the row number (0-based). */
  key?: string;
  /** `auto` (default: see src/grad/backends/auto), `webgpu`, `wasm`, or `js` (our engine's JavaScript backend; engine `native`). */
  backend?: BackendChoice;
  /** `onnx` (default): ONNX Runtime Web. `native`: our own engine, from `model.safetensors` (fine-tuned models always). */
  engine?: 'onnx' | 'native';
  /**
   * Our engine on WebGPU (`engine: 'native'`, fine-tuned models): the most GPU memory it may take, in bytes
   * (weights, activations, pool). Past it a batch is halved and retried; the metadata says how often.
   */
  memoryBudgetBytes?: number;
  dtype?: Dtype;
  batchSize?: number;
  maxLength?: number;
  /** For a model id: `auto` (served when the app serves it, else Hub), `served` or `hub`. */
  modelSource?: 'auto' | 'served' | 'hub';
  /** Hub-layout host for model ids (default https://huggingface.co); files are cached in the browser. */
  hubHost?: string;
  revision?: string;
  signal?: AbortSignal;
  onProgress?: (p: InferProgress) => void;
  /** Called once at the end with where the time went (for benchmarks and profiling). */
  onProfile?: (p: InferProfile) => void;
}

export const EMPTY_TEXT_ERROR = 'Empty or null text input';
export const DEFAULT_BATCH_SIZE = 32;
/** Batches quicker than this (in the worker) are pipelined two deep; slower ones go one at a time (see batch-pipeline). */
const PIPELINE_BELOW_MS = 1000;

/** One long-lived worker keeps ONNX sessions warm between calls; it is replaced if it crashes or does not stop. */
const inferWorker = new WorkerBridge<InferApi>(
  () => new Worker(new URL('../../workers/infer.worker.ts', import.meta.url), { type: 'module', name: 'jammi-infer' }),
  { what: 'Classification', crashMessage: (detail) => `The inference worker failed: ${detail}` },
);

/** A GPU device loss reported by a worker call (ONNX Runtime's or our engine's wording). */
export const DEVICE_LOST = /GPU device was lost|device (is |was )?lost|Device was destroyed|DXGI_ERROR_DEVICE|context lost/i;

/** Why the last inference worker was replaced after a GPU device loss; the next result's metadata says so once. */
let recreatedAfter: string | null = null;

/**
 * A worker call; after a GPU device loss every model the worker holds is unusable (ONNX Runtime keeps its device
 * for the worker's life): the worker is terminated — dropping them all, rejecting calls still waiting on it — and
 * the next call starts a fresh one with a fresh device.
 */
async function inferCall<T>(job: Parameters<typeof inferWorker.call<T>>[0], signal: AbortSignal | undefined): Promise<T> {
  try {
    return await inferWorker.call(job, { signal });
  } catch (e) {
    if (!(e instanceof Error) || !DEVICE_LOST.test(e.message) || e.message.startsWith('The GPU device was lost while classifying')) throw e;
    const lost = new JammiError('run_failed', `The GPU device was lost while classifying (${e.message}). Every model on it was dropped; run again to continue on a fresh device.`);
    inferWorker.terminate(lost);
    recreatedAfter = e.message;
    throw lost;
  }
}

/** Fault injection for tests: destroys the GPU device of the inference worker's models on our engine. */
export async function loseInferenceGpuDevice(): Promise<number> {
  return inferWorker.call((remote) => remote.loseGpuDevice());
}

/** A Hub host is an http(s) origin and nothing more (no path, query or credentials), so files come from it alone. */
function hubOrigin(host: string): string {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new JammiError('bad_input', `hubHost ${JSON.stringify(host)} is not a URL; give an origin such as https://hub.example.org.`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash || url.pathname.replace(/\/+$/, '') !== '') {
    throw new JammiError('bad_input', `hubHost ${JSON.stringify(host)} must be a plain http(s) origin (no path, query or credentials).`);
  }
  return url.origin;
}

/** The text of one cell: strings as they are, other values as their text, null as nothing. */
function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : String(v);
}

function checkColumns(table: Table, source: string, names: string[], what: string): void {
  const available = table.schema.fields.map((f) => f.name);
  for (const name of names) {
    if (!available.includes(name)) {
      throw new JammiError('bad_input', `Unknown ${what} "${name}" in source "${source}". Available columns: ${available.join(', ')}.`);
    }
  }
}

export async function resolveModel(o: Pick<InferOptions, 'model' | 'modelSource' | 'hubHost' | 'revision'>): Promise<ModelRef> {
  if (typeof o.model !== 'string') {
    if (!o.model || typeof o.model.name !== 'string' || !o.model.files) throw new JammiError('bad_input', 'A local model needs a name and its files.');
    return { kind: 'local', model: o.model };
  }
  const id = o.model.trim();
  if (!id) throw new JammiError('bad_input', 'Choose a model.');
  const unsafe = unsafeModelPath(id, 'id');
  if (unsafe) throw new JammiError('bad_input', `Model id ${JSON.stringify(id)} is refused: ${unsafe}.`);
  const hub: ModelRef = { kind: 'hub', id, host: hubOrigin(o.hubHost ?? DEFAULT_HUB_HOST), revision: o.revision ?? 'main' };
  switch (o.modelSource ?? 'auto') {
    case 'hub':
      return hub;
    case 'served':
      return { kind: 'served', id };
    case 'auto':
      return (await listServedModels()).includes(id) ? { kind: 'served', id } : hub;
  }
}

/** A fine-tuned model's base and adapter files, for `jammi:fine-tuned:<id>` ids. */
export type FineTunedLookup = (modelId: string) => { base: ModelRef; files: Record<string, Uint8Array> } | null;

export async function runInfer(getSource: (name: string) => Promise<Table>, o: InferOptions, fineTuned: FineTunedLookup = () => null): Promise<Table> {
  const task = o.task ?? 'classification';
  if (task !== 'classification') throw new JammiError('bad_input', `Unsupported task "${task}"; only "classification" is supported.`);
  const table = await getSource(o.source);
  const columns = typeof o.columns === 'string' ? [o.columns] : [...(o.columns ?? [])];
  if (columns.length === 0) throw new JammiError('bad_input', 'Choose at least one text column.');
  checkColumns(table, o.source, columns, 'column');
  if (o.key !== undefined) checkColumns(table, o.source, [o.key], 'key column');
  const batchSize = o.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new JammiError('bad_input', `batchSize must be a positive integer (got ${batchSize}).`);
  const backend = o.backend ?? 'auto';
  if (!BACKEND_CHOICES.includes(backend)) throw new JammiError('bad_input', `Unknown backend "${backend}"; use "auto", "webgpu", "wasm" or "js".`);
  if (o.dtype !== undefined && !['fp32', 'q8', 'fp16'].includes(o.dtype)) throw new JammiError('bad_input', `Unknown dtype "${o.dtype}"; use "fp32", "q8" or "fp16".`);
  const engine = o.engine ?? 'onnx';
  if (engine !== 'onnx' && engine !== 'native') throw new JammiError('bad_input', `Unknown engine "${engine}"; use "onnx" or "native".`);
  if (o.memoryBudgetBytes !== undefined && !(Number.isFinite(o.memoryBudgetBytes) && o.memoryBudgetBytes > 0)) {
    throw new JammiError('bad_input', `memoryBudgetBytes must be a positive number of bytes (got ${o.memoryBudgetBytes}).`);
  }
  const adapted = typeof o.model === 'string' ? fineTuned(o.model.trim()) : null;
  const ref = adapted ? adapted.base : await resolveModel(o);
  if (o.signal?.aborted) throw cancelledError('Classification');

  const t0 = performance.now();
  const n = table.numRows;
  const textColumns = columns.map((c) => table.getChild(c)!);
  const keyColumn = o.key !== undefined ? table.getChild(o.key)! : undefined;
  const texts: string[] = new Array(n);
  const rowIds: string[] = new Array(n);
  for (let r = 0; r < n; r++) {
    texts[r] = textColumns.map((c) => cellText(c.get(r))).filter((t) => t !== '').join(' ');
    rowIds[r] = keyColumn ? cellText(keyColumn.get(r)) : String(r);
  }

  const tPrepared = performance.now();
  const recreated = recreatedAfter;
  recreatedAfter = null;
  const { key, info } = await inferCall(
    (remote) => remote.load({
      ref,
      backend,
      dtype: o.dtype,
      maxLength: o.maxLength,
      engine: adapted ? 'native' : engine,
      adapter: adapted ? { files: adapted.files, modelId: (o.model as string).trim() } : undefined,
      memoryBudgetBytes: o.memoryBudgetBytes,
    }),
    o.signal,
  );

  const status: string[] = new Array(n).fill('ok');
  const errors: (string | null)[] = new Array(n).fill(null);
  const latency = new Float32Array(n);
  const labels: (string | null)[] = new Array(n).fill(null);
  const confidence: (number | null)[] = new Array(n).fill(null);
  const scores: (string | null)[] = new Array(n).fill(null);
  const todo: number[] = [];
  for (let r = 0; r < n; r++) {
    if (texts[r].trim() === '') {
      status[r] = 'error';
      errors[r] = EMPTY_TEXT_ERROR;
    } else todo.push(r);
  }
  // Sorted by length so each batch pads to similar lengths (dynamic padding); results go back to their rows.
  todo.sort((a, b) => texts[a].length - texts[b].length || a - b);

  const tLoaded = performance.now();
  const worker = noPhases();
  let workerMs = 0;
  const started = performance.now();
  let done = n - todo.length;
  const report = () => {
    const seconds = (performance.now() - started) / 1000;
    o.onProgress?.({ rows: done, total: n, rowsPerSecond: seconds > 0 ? (done - (n - todo.length)) / seconds : 0 });
  };
  report();
  const batches = Math.ceil(todo.length / batchSize);
  const batchRows = (i: number) => todo.slice(i * batchSize, (i + 1) * batchSize);
  let lastBatchMs = 0;
  let halvings = 0;
  let gpuBase = -1;
  let gpuPeak = 0;
  await pipelineBatches(
    batches,
    async (i) => {
      const rows = batchRows(i);
      const out = await inferCall((remote) => remote.classify(key, rows.map((r) => texts[r])), o.signal);
      return { rows, out };
    },
    (_, { rows, out: { predictions, ms, phases, memory } }) => {
      workerMs += ms;
      if (memory) {
        halvings += memory.halvings;
        if (memory.peakBytes !== undefined) {
          gpuBase = memory.baseBytes ?? 0;
          gpuPeak = Math.max(gpuPeak, memory.peakBytes);
        }
      }
      lastBatchMs = ms;
      if (phases) addPhases(worker, phases);
      rows.forEach((r, i) => {
        labels[r] = predictions[i].label;
        confidence[r] = predictions[i].confidence;
        scores[r] = predictions[i].allScoresJson;
        latency[r] = ms / rows.length;
      });
      done += rows.length;
      report();
    },
    () => (lastBatchMs < PIPELINE_BELOW_MS ? 2 : 1),
  );
  const tLoop = performance.now();
  const memory = { halvings, gpuBytes: gpuBase >= 0 ? { base: gpuBase, peak: gpuPeak } : null, recreated };
  const result = resultTable({ rowIds, source: o.source, info, status, errors, latency, labels, confidence, scores, memory });
  const tEnd = performance.now();
  o.onProfile?.({
    batches,
    prepare: tPrepared - t0,
    load: tLoaded - tPrepared,
    worker,
    idle: tLoop - started - workerMs,
    batchLoop: tLoop - started,
    table: tEnd - tLoop,
    total: tEnd - t0,
  });
  return result;
}

export interface EvaluateOptions {
  /** A table from `infer`. */
  results: Table;
  /** The source (by name) or table holding the gold labels. */
  gold: string | Table;
  labelColumn: string;
  /** Gold column matching `_row_id`; by default the row number, as `infer` numbers rows without a key. */
  key?: string;
}

export interface Evaluation extends Metrics {
  /** Result rows with `_status "error"`: not scored, reported apart. */
  errors: number;
  /** Result rows with no gold row (or a null gold label) for their key. */
  unmatched: number;
}

export async function runEvaluate(getSource: (name: string) => Promise<Table>, o: EvaluateOptions): Promise<Evaluation> {
  const goldName = typeof o.gold === 'string' ? o.gold : 'gold';
  const gold = typeof o.gold === 'string' ? await getSource(o.gold) : o.gold;
  checkColumns(gold, goldName, [o.labelColumn], 'label column');
  if (o.key !== undefined) checkColumns(gold, goldName, [o.key], 'key column');
  for (const c of ['_row_id', '_status', 'label']) {
    if (!o.results.getChild(c)) throw new JammiError('bad_input', `The results have no "${c}" column; pass a table from infer.`);
  }
  const goldLabels = new Map<string, string>();
  const goldKey = o.key !== undefined ? gold.getChild(o.key)! : undefined;
  const goldLabel = gold.getChild(o.labelColumn)!;
  for (let r = 0; r < gold.numRows; r++) {
    const label = goldLabel.get(r);
    if (label === null || label === undefined || cellText(label) === '') continue;
    goldLabels.set(goldKey ? cellText(goldKey.get(r)) : String(r), cellText(label));
  }
  const ids = o.results.getChild('_row_id')!;
  const status = o.results.getChild('_status')!;
  const predicted = o.results.getChild('label')!;
  const pairs: { gold: string; predicted: string }[] = [];
  let errors = 0;
  let unmatched = 0;
  for (let r = 0; r < o.results.numRows; r++) {
    if (status.get(r) !== 'ok') {
      errors++;
      continue;
    }
    const g = goldLabels.get(cellText(ids.get(r)));
    if (g === undefined) unmatched++;
    else pairs.push({ gold: g, predicted: cellText(predicted.get(r)) });
  }
  return { ...classificationMetrics(pairs), errors, unmatched };
}
