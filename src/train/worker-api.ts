/**
 * What the training worker exposes. One job per worker: `train` runs it to the end (or to a cancel, which keeps
 * the best checkpoint), reporting progress through callbacks; the adapter comes back as its two files.
 */
import { createEngineBackend, type BackendChoice, type EngineBackend, type EngineBackendName } from '../grad/backends/select';
import { WebGpuBackend } from '../grad/backends/webgpu';
import { sharedWasmBackend } from '../grad/backends/wasm';
import { isDeviceLost } from '../grad/errors';
import type { Backend } from '../grad';
import { JsBackend } from '../grad';
import { loadModelBundle } from '../nn/model-bundle';
import { modelName, type ModelRef } from '../nn/model-files';
import { chooseOrtBackend } from '../infer/ort';
import { TextTokenizer } from '../infer/tokenizer';
import { modelMaxLength, type LengthConfig } from '../infer/truncate';
import { writeAdapter } from '../nn/adapter-files';
import type { FineTuneConfig, FineTuneTarget } from './config';
import { stratifiedSplit } from './data';
import { loadEmbedder } from '../infer/embedder';
import { setupEncoderTarget } from './encoder-target';
import { l2Normalize } from '../nn/adapter-merge';
import { setupHeadTarget } from './head-target';
import { TrainingFailed, restore, trainLoop, type EpochMetrics, type LoopResult, type TrainProgress, type TrainableModel } from './loop';
import type { Adapter } from '../nn/adapter-files';
import { noTimings } from './timings';

/** The user's choice (see src/grad/backends/select); the report says what ran and why. */
export type TrainBackend = BackendChoice;

export interface TrainRequest {
  target: FineTuneTarget;
  base: ModelRef;
  texts: string[];
  labels: number[];
  classes: string[];
  config: FineTuneConfig;
  backend: TrainBackend;
  /** Cap on our engine's GPU memory (WebGpuOptions.memoryBudgetBytes); past it micro-batches are halved. */
  memoryBudgetBytes?: number;
}

export interface TrainPhase {
  phase: 'loading' | 'embedding' | 'training';
  detail: string;
}

export interface TrainOutcome {
  files: Record<string, Uint8Array>;
  result: LoopResult;
  /** Set when training failed after a checkpoint: `files` then hold that best checkpoint. */
  failure?: string;
  /** The engine backend that ran, why, and its CPU threads. */
  backend: EngineBackendName;
  backendReason: string;
  threads: number;
  trainRows: number;
  validationRows: number;
  /** On WebGPU: bytes the model took once loaded, and the high-water mark while training. */
  gpuBytes?: { base: number; peak: number };
  /** The GPU device was lost and training resumed once, from the checkpoint after `afterEpoch` epochs, on `backend`. */
  resumed?: { afterEpoch: number; reason: string; backend: EngineBackendName };
  /** Milliseconds before and after the loop (the loop's own phases are in `result.timings`). */
  jobTimings: JobTimings;
}

export interface JobTimings {
  /** Fetching and parsing the model (and, for the head target, embedding the texts). */
  loadMs: number;
  tokenizeMs: number;
  /** Starting the backend, uploading the weights, attaching LoRA. */
  setupMs: number;
  /** Writing the adapter files. */
  adapterMs: number;
}

let cancelled = false;
/** The engine backend of the running encoder job (for `loseDevice`). */
let current: Backend | null = null;

export const trainApi = {
  /** Fault injection (tests): destroys the running job's GPU device, as a driver reset would. */
  loseDevice(): boolean {
    if (!(current instanceof WebGpuBackend)) return false;
    current.device.destroy();
    return true;
  },

  /** Asks the running job to stop after its current step; it keeps its best checkpoint. */
  cancel(): void {
    cancelled = true;
  },

  async train(
    req: TrainRequest,
    onProgress: (p: TrainProgress) => void,
    onEpoch: (m: EpochMetrics) => void,
    onPhase: (p: TrainPhase) => void,
  ): Promise<TrainOutcome> {
    cancelled = false;
    const jobTimings: JobTimings = { loadMs: 0, tokenizeMs: 0, setupMs: 0, adapterMs: 0 };
    const clock = <T>(phase: keyof JobTimings, fn: () => T): T => {
      const t0 = performance.now();
      const out = fn();
      if (out instanceof Promise) return out.finally(() => (jobTimings[phase] += performance.now() - t0)) as T;
      jobTimings[phase] += performance.now() - t0;
      return out;
    };
    const files = (adapter: Promise<Adapter>) => clock('adapterMs', async () => writeAdapter(await adapter));
    const name = modelName(req.base);
    const { train, validation } = stratifiedSplit(req.labels, req.config.validation_fraction, req.config.seed);
    const pick = (rows: number[]) => ({ rows, labels: rows.map((r) => req.labels[r]) });
    /** Trains; a failure after a checkpoint still returns that checkpoint's adapter (and says what failed). */
    const runLoop = async (setup: { trainable: TrainableModel; adapter(values?: Float32Array[]): Promise<Adapter> }, used: Pick<EngineBackend, 'name' | 'reason' | 'threads'>): Promise<TrainOutcome> => {
      const sizes = { backend: used.name, backendReason: used.reason, threads: used.threads, trainRows: train.length, validationRows: validation.length, jobTimings };
      try {
        const result = await trainLoop({ ...loopInput, model: setup.trainable });
        return { files: await files(setup.adapter()), result, ...sizes };
      } catch (e) {
        if (!(e instanceof TrainingFailed) || e.best === null) throw e;
        const result: LoopResult = { metrics: e.best.metrics, bestEpoch: e.best.epoch, stopped: 'completed', validation: { gold: [], predicted: [] }, memory: noMemory(req.config), timings: noTimings() };
        return { files: await files(setup.adapter(e.best.params)), result, failure: e.message, ...sizes };
      }
    };
    const loopInput = {
      config: req.config,
      train: pick(train),
      validation: pick(validation),
      classes: req.classes,
      onProgress,
      onEpoch,
      shouldStop: () => cancelled,
    };
    if (req.target === 'head') {
      const { backend: onnxBackend, reason: onnxReason } = await chooseOrtBackend(req.backend);
      onPhase({ phase: 'loading', detail: `Loading ${name} (ONNX, ${onnxBackend})` });
      const embedder = await clock('loadMs', () => loadEmbedder(req.base, onnxBackend, req.config.max_seq_length));
      onPhase({ phase: 'embedding', detail: `Embedding ${req.texts.length} texts` });
      const embeddings = await clock('loadMs', async () =>
        l2Normalize(await embedder.embed(req.texts, (done) => onPhase({ phase: 'embedding', detail: `Embedding texts: ${done} / ${req.texts.length}` }))),
      );
      await embedder.release();
      // The projection head is small: the CPU trains it fastest (no per-op GPU round trips) — on wasm, or on js
      // when that was asked for.
      const used = await clock('setupMs', () => headBackend(req.backend));
      const setup = clock('setupMs', () => setupHeadTarget({ backend: used.backend, config: req.config, classes: req.classes, embeddings, baseModel: name, pooling: embedder.pooling }));
      onPhase({ phase: 'training', detail: 'Training the projection head' });
      try {
        const reason = `the projection head is small: trained on ${used.reason} (embeddings on ONNX Runtime ${onnxBackend}: ${onnxReason})`;
        return await runLoop(setup, { name: used.name, reason, threads: used.threads });
      } finally {
        setup.dispose();
      }
    }

    onPhase({ phase: 'loading', detail: `Loading ${name} (model.safetensors)` });
    const { config, tokenizer: tok, weights } = await clock('loadMs', () => loadModelBundle<LengthConfig & Record<string, unknown>>(req.base, { tokenizer: true, weights: true }));
    const tokens = clock('tokenizeMs', () => {
      const tokenizer = new TextTokenizer(tok!.json, tok!.config, modelMaxLength(config, req.config.max_seq_length));
      return { padId: tokenizer.padId, ids: req.texts.map((t) => tokenizer.encode(t)) };
    });
    const encoder = (choice: TrainBackend) => clock('setupMs', async () => {
      const used = await createEngineBackend(choice, { modelBytes: weights!.byteLength, memoryBudgetBytes: req.memoryBudgetBytes });
      const backend = used.backend;
      current = backend;
      const setup = setupEncoderTarget({
        files: { config, weights: weights! },
        baseModel: name,
        backend,
        config: req.config,
        classes: req.classes,
        tokens: tokens.ids,
        padId: tokens.padId,
      });
      const gpu = backend instanceof WebGpuBackend ? backend : null;
      const base = gpu?.poolStats().usedBytes ?? 0;
      gpu?.resetPeak();
      const gpuBytes = () => (gpu ? { gpuBytes: { base, peak: gpu.poolStats().peakBytes } } : {});
      return { setup, used, gpuBytes };
    });
    const first = await encoder(req.backend);
    const on = { webgpu: 'WebGPU', wasm: `the CPU (WebAssembly, ${first.used.threads} thread${first.used.threads === 1 ? '' : 's'})`, js: 'the CPU (JavaScript)' }[first.used.name];
    onPhase({ phase: 'training', detail: `Training LoRA on ${on}` });
    const sizes = (used: EngineBackend) => ({ backend: used.name, backendReason: used.reason, threads: used.threads, trainRows: train.length, validationRows: validation.length, jobTimings });
    try {
      const result = await trainLoop({ ...loopInput, model: first.setup.trainable });
      return { files: await files(first.setup.adapter()), result, ...sizes(first.used), ...first.gpuBytes() };
    } catch (e) {
      if (!(e instanceof TrainingFailed) || !isDeviceLost(e.cause)) {
        // Any other failure: the best checkpoint, as for the head target.
        if (!(e instanceof TrainingFailed) || e.best === null) throw e;
        const result: LoopResult = { metrics: e.best.metrics, bestEpoch: e.best.epoch, stopped: 'completed', validation: { gold: [], predicted: [] }, memory: noMemory(req.config), timings: noTimings() };
        return { files: await files(first.setup.adapter(e.best.params)), result, failure: e.message, ...sizes(first.used) };
      }
      // The GPU device was lost: resume once, from the last end-of-epoch checkpoint, on a fresh device (or the CPU).
      const reason = (e.cause as Error).message;
      // The same choice again gives a fresh device (webgpu) or auto's pick; with no GPU left, the CPU.
      const second = await encoder(req.backend).catch(() => encoder('js'));
      if (e.last) restore(second.setup.trainable.params, e.last.params);
      const resumed = { afterEpoch: e.last?.epoch ?? 0, reason, backend: second.used.name };
      onPhase({ phase: 'training', detail: `The GPU device was lost; resuming after epoch ${resumed.afterEpoch} on ${second.used.name === 'webgpu' ? 'a fresh WebGPU device' : 'the CPU'}` });
      try {
        const result = await trainLoop({ ...loopInput, model: second.setup.trainable, resume: e.last ?? undefined });
        return { files: await files(second.setup.adapter()), result, resumed, ...sizes(second.used), ...second.gpuBytes() };
      } catch (e2) {
        // A second loss (or any failure now) fails the job, keeping the best checkpoint of either run.
        const best = e2 instanceof TrainingFailed ? (e2.best ?? e.best) : null;
        if (best === null) throw e2;
        const result: LoopResult = { metrics: best.metrics, bestEpoch: best.epoch, stopped: 'completed', validation: { gold: [], predicted: [] }, memory: noMemory(req.config), timings: noTimings() };
        const failure = isDeviceLost((e2 as TrainingFailed).cause) ? `The GPU device was lost again after resuming (${(e2 as Error).message}).` : (e2 as Error).message;
        return { files: await files(second.setup.adapter(best.params)), result, failure, resumed, ...sizes(second.used) };
      } finally {
        second.setup.dispose();
      }
    } finally {
      current = null;
      first.setup.dispose();
    }
  },
};

export type TrainApi = typeof trainApi;

/** The head target's engine: the CPU — JavaScript when `js` was asked for, else WebAssembly (SIMD, threads). */
async function headBackend(choice: TrainBackend): Promise<Pick<EngineBackend, 'backend' | 'name' | 'reason' | 'threads'>> {
  if (choice === 'js') return { backend: new JsBackend(), name: 'js', reason: 'the JavaScript backend (js was asked for)', threads: 1 };
  const backend = await sharedWasmBackend();
  const threads = `${backend.threads} thread${backend.threads === 1 ? '' : 's'}`;
  return { backend, name: 'wasm', reason: `WebAssembly ${backend.relaxed ? 'relaxed SIMD' : 'SIMD128'} on ${threads}`, threads: backend.threads };
}

/** The configured micro-batching (no out-of-memory seen): for outcomes built from a checkpoint. */
function noMemory(config: FineTuneConfig): LoopResult['memory'] {
  return { microBatchSize: config.batch_size, gradientAccumulationSteps: config.gradient_accumulation_steps, halvings: [] };
}
