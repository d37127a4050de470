/**
 * `Database.fineTune` and the fine-tuned models it makes: a `Job` per training run (in its own worker), and a
 * registry of adapters (kept in OPFS across reloads) that `infer` can use as `jammi:fine-tuned:<id>`.
 */
import { wrap, proxy } from 'comlink';
import type { Table } from 'apache-arrow';
import type { TrainApi } from '../../workers/train.worker';
import { classificationMetrics, type Metrics } from '../infer/metrics';
import { readModelFile, readModelJson, type LocalModel, type ModelRef } from '../infer/model-files';
import { parseSafetensors } from '../nn/safetensors';
import { checkEncoderAdapterFits, checkHeadAdapterFits } from '../train/adapter-fit';
import { adapterLabels, readAdapter, unzipAdapter, ADAPTER_CONFIG, ADAPTER_WEIGHTS, type Adapter, type EncoderAdapterConfig } from '../train/adapter';
import { resolveConfig, type FineTuneConfig, type FineTuneTarget } from '../train/config';
import { labelledExamples } from '../train/data';
import type { EpochMetrics, LoopResult, TrainProgress } from '../train/loop';
import { deleteAdapter, loadAdapters, saveAdapter } from '../train/store';
import type { TrainBackend, TrainPhase } from '../train/worker-api';
import { JammiError } from './errors';
import { resolveModel } from './infer';

export const FINE_TUNED_PREFIX = 'jammi:fine-tuned:';

export interface FineTuneOptions {
  source: string;
  baseModel: string | LocalModel;
  columns: { text: string; label: string };
  method?: 'lora';
  task?: 'classification';
  /** `encoder` (default): LoRA in the encoder + the head, on our engine. `head`: a projection head on frozen embeddings. */
  target?: FineTuneTarget;
  config?: Partial<FineTuneConfig>;
  backend?: TrainBackend;
  modelSource?: 'auto' | 'served' | 'hub';
  hubHost?: string;
  /** Encoder target on WebGPU: the most GPU memory our engine may take, in bytes; past it micro-batches are halved. */
  memoryBudgetBytes?: number;
}

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface FineTuneReport {
  status: JobStatus;
  epochs: EpochMetrics[];
  bestEpoch: number | null;
  stoppedEarly: boolean;
  /** Metrics of the kept checkpoint on the validation split (null without one). */
  validation: Metrics | null;
  trainRows: number;
  validationRows: number;
  skipped: { emptyText: number; emptyLabel: number };
  warnings: string[];
  backend: 'webgpu' | 'wasm' | null;
  seconds: number;
  labels: string[];
  /**
   * Micro-batching at the end and each GPU out-of-memory that halved the micro-batch (doubling gradient
   * accumulation: the same examples per step); `gpuBytes`: model bytes and peak on WebGPU.
   */
  memory: (LoopResult['memory'] & { gpuBytes?: { base: number; peak: number } }) | null;
  /** The GPU device was lost and training resumed once from the checkpoint after `afterEpoch` epochs, on `backend`. */
  resumed: { afterEpoch: number; reason: string; backend: 'webgpu' | 'wasm' } | null;
}

/** Where a base model came from, as it can be written down (a picked folder only by name). */
export type StoredBase = Exclude<ModelRef, { kind: 'local' }> | { kind: 'local'; name: string };

export interface FineTunedModel {
  id: string;
  modelId: string;
  target: FineTuneTarget;
  base: StoredBase;
  labels: string[];
  created: string;
  report: FineTuneReport | null;
  /** Why the model is not kept for the next visit (e.g. the storage quota is full); absent when it is saved. */
  notSaved?: string;
}

function storedBase(ref: ModelRef): StoredBase {
  return ref.kind === 'local' ? { kind: 'local', name: ref.model.name } : ref;
}

let counter = 0;
const newId = () => `${Date.now().toString(36)}${(counter++).toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}`;

/** A training run. `wait()` resolves with the report when it completes or is cancelled, and rejects if it fails. */
export class Job {
  readonly modelId: string;
  status: JobStatus = 'queued';
  /** Per-epoch metrics so far. */
  readonly metrics: EpochMetrics[] = [];
  phase: TrainPhase | null = null;
  lastProgress: TrainProgress | null = null;
  /** When the worker last reported (performance.now()). */
  lastProgressAt = 0;
  error: string | null = null;
  private readonly listeners = new Set<(p: TrainProgress) => void>();
  private readonly changeListeners = new Set<() => void>();
  private readonly done: Promise<FineTuneReport>;
  private stop: () => void = () => {};

  constructor(
    readonly id: string,
    readonly target: FineTuneTarget,
    run: (job: Job, setStop: (f: () => void) => void) => Promise<FineTuneReport>,
  ) {
    this.modelId = FINE_TUNED_PREFIX + id;
    this.done = run(this, (f) => (this.stop = f));
    this.done.catch(() => undefined);
  }

  wait(): Promise<FineTuneReport> {
    return this.done;
  }

  /** @internal set by the runner: see `simulateDeviceLoss`. */
  loseDevice: () => Promise<boolean> = async () => false;

  /**
   * Fault injection, for tests and for trying the recovery path: destroys the GPU device the job trains on, as a
   * driver reset would. The job resumes once from its last checkpoint; a second loss fails it, keeping the best.
   */
  simulateDeviceLoss(): Promise<boolean> {
    return this.loseDevice();
  }

  /** Stops within one step; the best checkpoint so far is kept and usable (status `cancelled`). */
  cancel(): void {
    if (this.status === 'queued' || this.status === 'running') this.stop();
  }

  /** `{ epoch, step, totalSteps, loss, learningRate, examplesPerSecond, eta }` after every optimiser step. */
  onProgress(cb: (p: TrainProgress) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Any change of status, phase, progress or metrics (for the UI). */
  onChange(cb: () => void): () => void {
    this.changeListeners.add(cb);
    return () => this.changeListeners.delete(cb);
  }

  /** @internal `repeat`: a heartbeat re-sending the last step's figures with an updated ETA. */
  emit(p?: TrainProgress, repeat = false): void {
    if (p) {
      if (!repeat) {
        this.lastProgress = p;
        this.lastProgressAt = performance.now();
      }
      for (const l of this.listeners) l(p);
    }
    for (const l of this.changeListeners) l();
  }
}

/** Trained and loaded adapters, by model id. */
export class FineTunedModels {
  private readonly models = new Map<string, { info: FineTunedModel; files: Record<string, Uint8Array>; base?: ModelRef }>();

  constructor(private readonly persist: boolean) {}

  async restore(): Promise<void> {
    if (!this.persist) return;
    for (const { meta, files } of await loadAdapters<FineTunedModel>()) this.models.set(meta.modelId, { info: meta, files });
  }

  list(): FineTunedModel[] {
    return [...this.models.values()].map((m) => m.info);
  }

  has(modelId: string): boolean {
    return this.models.has(modelId);
  }

  get(modelId: string) {
    const m = this.models.get(modelId);
    if (!m) {
      const known = [...this.models.keys()];
      throw new JammiError(`Unknown fine-tuned model "${modelId}". ${known.length ? `Known: ${known.join(', ')}.` : 'None has been trained or loaded yet.'}`);
    }
    return m;
  }

  /** Base model and adapter files of `modelId` when it names a fine-tuned model; null for any other id. */
  lookup(modelId: string): { base: ModelRef; files: Record<string, Uint8Array> } | null {
    if (!modelId.startsWith(FINE_TUNED_PREFIX)) return null;
    const m = this.get(modelId);
    let base = m.base;
    if (!base) {
      if (m.info.base.kind === 'local') {
        throw new JammiError(`${modelId} was trained on the local folder "${m.info.base.name}", which is gone after a reload: load the adapter again with { baseModel: <that folder> }.`);
      }
      base = m.info.base;
    }
    return { base, files: m.files };
  }

  /** Registers a model and saves it; a failed save (a full quota) is returned as a warning — the model still works this visit. */
  async add(info: FineTunedModel, files: Record<string, Uint8Array>, base?: ModelRef): Promise<string | null> {
    if (this.persist) {
      try {
        await saveAdapter(info.id, files, info);
      } catch (e) {
        info.notSaved = `Not saved for the next visit: ${(e as Error).message}`;
      }
    }
    this.models.set(info.modelId, { info, files, base });
    return info.notSaved ?? null;
  }

  async remove(modelId: string): Promise<void> {
    const m = this.get(modelId);
    this.models.delete(modelId);
    if (this.persist) await deleteAdapter(m.info.id);
  }

  /** The adapter's two files as Blobs (`adapter_config.json`, `adapter_model.safetensors`). */
  export(modelId: string): Record<string, Blob> {
    const { files } = this.get(modelId);
    return {
      [ADAPTER_CONFIG]: new Blob([files[ADAPTER_CONFIG] as Uint8Array<ArrayBuffer>], { type: 'application/json' }),
      [ADAPTER_WEIGHTS]: new Blob([files[ADAPTER_WEIGHTS] as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }),
    };
  }

  /** Registers an adapter from a zip or its two files; `baseModel` overrides the one the config names. */
  async load(input: Blob | Blob[] | Record<string, Blob>, baseModel?: string | LocalModel): Promise<string> {
    const files = await adapterFiles(input).catch((e: unknown) => {
      throw e instanceof JammiError ? e : new JammiError(`This adapter cannot be loaded: ${(e as Error).message}`);
    });
    let adapter: Adapter;
    try {
      adapter = readAdapter(files);
    } catch (e) {
      throw new JammiError(`This adapter cannot be loaded: ${(e as Error).message}`);
    }
    const { config } = adapter;
    const baseName = baseModel ?? config.base_model_name_or_path;
    if (!baseName) throw new JammiError('The adapter does not name its base model; pass { baseModel }.');
    const base = await resolveModel({ model: baseName });
    await checkFits(adapter, base);
    const id = newId();
    const info: FineTunedModel = {
      id,
      modelId: FINE_TUNED_PREFIX + id,
      target: 'peft_type' in config ? 'encoder' : 'head',
      base: storedBase(base),
      // PEFT's own files carry no labels: then the base model's, if they fit the head.
      labels: adapterLabels(adapter, config.id2label ? undefined : await readModelJson<{ id2label?: Record<string, string> }>(base, 'config.json').then((c) => c.id2label, () => undefined)),
      created: new Date().toISOString(),
      report: null,
    };
    await this.add(info, files, base);
    return info.modelId;
  }
}

/** Refuses an adapter that does not fit its base model (wrong base, rank, shape or module), before it is registered. */
async function checkFits(adapter: Adapter, base: ModelRef): Promise<void> {
  const name = base.kind === 'local' ? base.model.name : base.id;
  const fail = (e: unknown): never => {
    throw new JammiError(`This adapter cannot be used with ${name}: ${(e as Error).message}`);
  };
  const baseConfig = await readModelJson<Record<string, unknown>>(base, 'config.json').catch(fail);
  if (!('peft_type' in adapter.config)) {
    try {
      checkHeadAdapterFits(adapter.config, baseConfig, name);
    } catch (e) {
      fail(e);
    }
    return;
  }
  const weights = await readModelFile(base, 'model.safetensors').catch(fail);
  try {
    checkEncoderAdapterFits(adapter.config as EncoderAdapterConfig, adapter.tensors, parseSafetensors(new Uint8Array(weights)).tensors, name);
  } catch (e) {
    fail(e);
  }
}

async function adapterFiles(input: Blob | Blob[] | Record<string, Blob>): Promise<Record<string, Uint8Array>> {
  const bytes = async (b: Blob) => new Uint8Array(await b.arrayBuffer());
  if (input instanceof Blob) {
    const head = await bytes(input.slice(0, 4));
    if (head[0] !== 0x50 || head[1] !== 0x4b) throw new JammiError('Expected a zip of adapter_config.json and adapter_model.safetensors, or the two files.');
    return unzipAdapter(await bytes(input));
  }
  const entries: [string, Blob][] = Array.isArray(input) ? input.map((f) => [(f as File).name ?? '', f]) : Object.entries(input);
  if (entries.length === 1 && entries[0][0].endsWith('.zip')) return adapterFiles(entries[0][1]);
  const out: Record<string, Uint8Array> = {};
  for (const [name, blob] of entries) out[name.split('/').pop()!] = await bytes(blob);
  return out;
}

/** Checks everything that can be checked before any work, then starts the job in its own worker. */
export async function startFineTune(table: Table, options: FineTuneOptions, registry: FineTunedModels): Promise<Job> {
  if ((options.method ?? 'lora') !== 'lora') throw new JammiError(`Unknown method "${options.method}"; only "lora" is supported.`);
  if ((options.task ?? 'classification') !== 'classification') throw new JammiError(`Unknown task "${options.task}"; only "classification" is supported.`);
  const target = options.target ?? 'encoder';
  if (target !== 'encoder' && target !== 'head') throw new JammiError(`Unknown target "${target}"; use "encoder" or "head".`);
  const backend = options.backend ?? 'auto';
  if (!['auto', 'webgpu', 'wasm'].includes(backend)) throw new JammiError(`Unknown backend "${backend}"; use "auto", "webgpu" or "wasm".`);
  if (!options.columns?.text || !options.columns?.label) throw new JammiError('Name the text and label columns: columns: { text, label }.');
  if (options.memoryBudgetBytes !== undefined && !(Number.isFinite(options.memoryBudgetBytes) && options.memoryBudgetBytes > 0)) {
    throw new JammiError(`memoryBudgetBytes must be a positive number of bytes (got ${options.memoryBudgetBytes}).`);
  }
  let config: FineTuneConfig;
  let data: ReturnType<typeof labelledExamples>;
  try {
    config = resolveConfig(target, options.config);
    data = labelledExamples(table, options.columns.text, options.columns.label);
  } catch (e) {
    throw new JammiError((e as Error).message);
  }
  const base = await resolveModel({ model: options.baseModel, modelSource: options.modelSource, hubHost: options.hubHost });
  const id = newId();
  return new Job(id, target, async (job, setStop) => {
    const worker = new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module', name: `jammi-train-${id}` });
    const api = wrap<TrainApi>(worker);
    const started = performance.now();
    const report = (status: JobStatus, r?: Awaited<ReturnType<TrainApi['train']>>): FineTuneReport => ({
      status,
      epochs: job.metrics,
      bestEpoch: r?.result.bestEpoch ?? null,
      stoppedEarly: r?.result.stopped === 'early_stopped',
      validation:
        r && r.result.validation.predicted.length
          ? classificationMetrics(r.result.validation.gold.map((g, i) => ({ gold: data.classes[g], predicted: data.classes[r.result.validation.predicted[i]] })))
          : null,
      trainRows: r?.trainRows ?? 0,
      validationRows: r?.validationRows ?? 0,
      skipped: data.skipped,
      warnings: data.warnings,
      backend: r?.backend ?? null,
      seconds: (performance.now() - started) / 1000,
      labels: data.classes,
      memory: r ? { ...r.result.memory, ...(r.gpuBytes ? { gpuBytes: r.gpuBytes } : {}) } : null,
      resumed: r?.resumed ?? null,
    });
    let cancelRequested = false;
    setStop(() => {
      cancelRequested = true;
      void api.cancel();
    });
    job.loseDevice = () => api.loseDevice();
    const crashed = new Promise<never>((_, reject) =>
      worker.addEventListener('error', (e) => reject(new Error(`The training worker failed: ${e.message || 'it could not start'}`))),
    );
    job.status = 'running';
    job.emit();
    // A long step (a big model on the CPU) still gives the UI a fresh ETA every second.
    const heartbeat = setInterval(() => {
      const p = job.lastProgress;
      if (!p || performance.now() - job.lastProgressAt < 1000) return;
      job.emit({ ...p, eta: Math.max(0, p.eta - (performance.now() - job.lastProgressAt) / 1000) }, true);
    }, 1000);
    try {
      const outcome = await Promise.race([
        api.train(
          { target, base, texts: data.texts, labels: data.labels, classes: data.classes, config, backend, memoryBudgetBytes: options.memoryBudgetBytes },
          proxy((p: TrainProgress) => job.emit(p)),
          proxy((m: EpochMetrics) => {
            job.metrics.push(m);
            job.emit();
          }),
          proxy((p: TrainPhase) => {
            job.phase = p;
            job.emit();
          }),
        ),
        crashed,
      ]);
      const status: JobStatus = outcome.failure ? 'failed' : outcome.result.stopped === 'cancelled' || cancelRequested ? 'cancelled' : 'completed';
      const final = report(status, outcome);
      const notSaved = await registry.add(
        { id, modelId: job.modelId, target, base: storedBase(base), labels: data.classes, created: new Date().toISOString(), report: final },
        outcome.files,
        base,
      );
      if (notSaved) final.warnings = [...final.warnings, notSaved];
      if (outcome.resumed) {
        const { afterEpoch, reason, backend: on } = outcome.resumed;
        final.warnings = [...final.warnings, `The GPU device was lost (${reason}); training resumed from the checkpoint after epoch ${afterEpoch} on ${on === 'webgpu' ? 'a fresh WebGPU device' : 'the CPU'}.`];
      }
      for (const h of outcome.result.memory.halvings) {
        final.warnings = [...final.warnings, `Out of GPU memory at step ${h.step}: the micro-batch was halved to ${h.microBatchSize} and gradient accumulation doubled to ${h.gradientAccumulationSteps} (the same ${config.batch_size * config.gradient_accumulation_steps} examples per step).`];
      }
      job.status = status;
      if (outcome.failure) {
        job.error = `${outcome.failure} The best checkpoint (epoch ${outcome.result.bestEpoch}) was kept as ${job.modelId}.`;
        job.emit();
        throw new JammiError(`Fine-tuning failed: ${job.error}`);
      }
      job.emit();
      return final;
    } catch (e) {
      if (job.status === 'failed') throw e; // failed after a checkpoint: already kept and reported
      job.status = 'failed';
      job.error = (e as Error).message;
      job.emit();
      throw new JammiError(`Fine-tuning failed: ${(e as Error).message}`);
    } finally {
      clearInterval(heartbeat);
      worker.terminate();
    }
  });
}

export { defaultConfig, type FineTuneConfig, type FineTuneTarget } from '../train/config';
export type { EpochMetrics, TrainProgress } from '../train/loop';
export type { TrainBackend, TrainPhase } from '../train/worker-api';

/** One zip of an adapter's files (for a single download). */
export async function adapterZip(files: Record<string, Blob>): Promise<Blob> {
  const { zipAdapter } = await import('../train/adapter');
  const bytes: Record<string, Uint8Array> = {};
  for (const [name, blob] of Object.entries(files)) bytes[name] = new Uint8Array(await blob.arrayBuffer());
  return new Blob([zipAdapter(bytes) as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
}
