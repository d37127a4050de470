/**
 * `Database.fineTune`: checks everything that can be checked before any work, then runs the job in its own
 * training worker (through the worker bridge) and registers the adapter it makes. The Job is in ./job, the
 * registry in ./fine-tuned-models, adapter uploads in ./adapter-upload.
 */
import type { Table } from 'apache-arrow';
import type { TrainApi } from '../../workers/train.worker';
import { classificationMetrics } from '../eval/metrics';
import type { LocalModel } from '../nn/model-files';
import { resolveConfig, type FineTuneConfig, type FineTuneTarget } from '../train/config';
import { labelledExamples } from '../train/data';
import type { EpochMetrics, TrainProgress } from '../train/loop';
import type { TrainBackend, TrainPhase } from '../train/worker-api';
import { BACKEND_CHOICES } from '../grad/backends/choice';
import { JammiError } from '../errors';
import { resolveModel } from './infer';
import { Job, type FineTuneReport, type JobStatus } from './job';
import { newId, storedBase, type FineTunedModels } from './fine-tuned-models';
import { proxy, WorkerBridge } from './worker-bridge';

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

/** Checks everything that can be checked before any work, then starts the job in its own worker. */
export async function startFineTune(table: Table, options: FineTuneOptions, registry: FineTunedModels): Promise<Job> {
  if ((options.method ?? 'lora') !== 'lora') throw new JammiError('bad_input', `Unknown method "${options.method}"; only "lora" is supported.`);
  if ((options.task ?? 'classification') !== 'classification') throw new JammiError('bad_input', `Unknown task "${options.task}"; only "classification" is supported.`);
  const target = options.target ?? 'encoder';
  if (target !== 'encoder' && target !== 'head') throw new JammiError('bad_input', `Unknown target "${target}"; use "encoder" or "head".`);
  const backend = options.backend ?? 'auto';
  if (!BACKEND_CHOICES.includes(backend)) throw new JammiError('bad_input', `Unknown backend "${backend}"; use "auto", "webgpu", "wasm" or "js".`);
  if (!options.columns?.text || !options.columns?.label) throw new JammiError('bad_input', 'Name the text and label columns: columns: { text, label }.');
  if (options.memoryBudgetBytes !== undefined && !(Number.isFinite(options.memoryBudgetBytes) && options.memoryBudgetBytes > 0)) {
    throw new JammiError('bad_input', `memoryBudgetBytes must be a positive number of bytes (got ${options.memoryBudgetBytes}).`);
  }
  let config: FineTuneConfig;
  let data: ReturnType<typeof labelledExamples>;
  try {
    config = resolveConfig(target, options.config);
    data = labelledExamples(table, options.columns.text, options.columns.label);
  } catch (e) {
    throw new JammiError('bad_config', (e as Error).message);
  }
  const base = await resolveModel({ model: options.baseModel, modelSource: options.modelSource, hubHost: options.hubHost });
  const id = newId();
  return new Job(id, target, async (job, setStop) => {
    const bridge = new WorkerBridge<TrainApi>(
      () => new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module', name: `jammi-train-${id}` }),
      { what: 'Fine-tuning', crashMessage: (detail) => `The training worker failed: ${detail}`, oneShot: true },
    );
    const abort = new AbortController();
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
      backendReason: r?.backendReason ?? null,
      threads: r?.threads ?? null,
      seconds: (performance.now() - started) / 1000,
      labels: data.classes,
      memory: r ? { ...r.result.memory, ...(r.gpuBytes ? { gpuBytes: r.gpuBytes } : {}) } : null,
      resumed: r?.resumed ?? null,
      cancelReason: null,
      timings: r ? { ...r.result.timings, ...r.jobTimings } : null,
    });
    let cancelRequested = false;
    setStop(() => {
      cancelRequested = true;
      abort.abort();
    });
    job.loseDevice = async () => (await bridge.remote()?.loseDevice()) ?? false;
    job.status = 'running';
    job.emit();
    // A long step (a big model on the CPU) still gives the UI a fresh ETA every second.
    const heartbeat = setInterval(() => {
      const p = job.lastProgress;
      if (!p || performance.now() - job.lastProgressAt < 1000) return;
      job.emit({ ...p, eta: Math.max(0, p.eta - (performance.now() - job.lastProgressAt) / 1000) }, true);
    }, 1000);
    try {
      const outcome = await bridge.call(
        (api) =>
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
        // Cancel asks the worker to stop after its step (keeping the best checkpoint); past the bridge's grace
        // period the worker is terminated and the job ends cancelled without one.
        { signal: abort.signal, stop: (api) => api.cancel() },
      );
      const status: JobStatus = outcome.failure ? 'failed' : outcome.result.stopped === 'cancelled' || cancelRequested ? 'cancelled' : 'completed';
      const final = report(status, outcome);
      if (status === 'cancelled' && outcome.result.bestEpoch === null) {
        // Nothing validated yet: a barely trained adapter is not a usable model, so none is kept.
        final.cancelReason = `Cancelled at step ${job.lastProgress?.step ?? 0}, before the first validation: no checkpoint existed, so no fine-tuned model was kept.`;
        job.status = 'cancelled';
        job.emit();
        return final;
      }
      if (outcome.resumed) {
        const { afterEpoch, reason, backend: on } = outcome.resumed;
        final.warnings = [...final.warnings, `The GPU device was lost (${reason}); training resumed from the checkpoint after epoch ${afterEpoch} on ${on === 'webgpu' ? 'a fresh WebGPU device' : 'the CPU'}.`];
      }
      for (const h of outcome.result.memory.halvings) {
        final.warnings = [...final.warnings, `Out of GPU memory at step ${h.step}: the micro-batch was halved to ${h.microBatchSize} and gradient accumulation doubled to ${h.gradientAccumulationSteps} (the same ${config.batch_size * config.gradient_accumulation_steps} examples per step).`];
      }
      const notSaved = await registry.add(
        { id, modelId: job.modelId, target, base: storedBase(base), labels: data.classes, created: new Date().toISOString(), report: final },
        outcome.files,
        base,
      );
      if (notSaved) final.warnings = [...final.warnings, notSaved];
      job.status = status;
      if (outcome.failure) {
        job.error = `${outcome.failure} The best checkpoint (epoch ${outcome.result.bestEpoch}) was kept as ${job.modelId}.`;
        job.emit();
        throw new JammiError('training_failed', `Fine-tuning failed: ${job.error}`);
      }
      job.emit();
      return final;
    } catch (e) {
      if (e instanceof JammiError && e.code === 'cancelled') {
        job.status = 'cancelled';
        job.emit();
        const r = report('cancelled');
        r.cancelReason = `Cancelled while ${job.phase?.phase ?? 'starting'}: the worker did not stop within 2 s and was terminated; no checkpoint existed, so no fine-tuned model was kept.`;
        return r;
      }
      if (job.status === 'failed') throw e; // failed after a checkpoint: already kept and reported
      job.status = 'failed';
      job.error = (e as Error).message;
      job.emit();
      throw new JammiError('training_failed', `Fine-tuning failed: ${(e as Error).message}`);
    } finally {
      clearInterval(heartbeat);
      bridge.terminate();
    }
  });
}

export { defaultConfig, type FineTuneConfig, type FineTuneTarget } from '../train/config';
export type { EpochMetrics, TrainProgress } from '../train/loop';
export type { TrainBackend, TrainPhase } from '../train/worker-api';
export { Job, FINE_TUNED_PREFIX, type FineTuneReport, type JobStatus } from './job';
export { FineTunedModels, type FineTunedModel, type StoredBase } from './fine-tuned-models';
export { adapterZip } from './adapter-upload';
