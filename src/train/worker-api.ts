/**
 * What the training worker exposes. One job per worker: `train` runs it to the end (or to a cancel, which keeps
 * the best checkpoint), reporting progress through callbacks; the adapter comes back as its two files.
 */
import { engineBackend } from '../grad/backends/select';
import { WebGpuBackend } from '../grad/backends/webgpu';
import { CpuBackend } from '../grad';
import { modelName, readModelFile, readModelJson, type ModelRef } from '../infer/model-files';
import { hasWebGpu } from '../infer/ort';
import { TextTokenizer } from '../infer/tokenizer';
import { modelMaxLength, type LengthConfig } from '../infer/truncate';
import { writeAdapter } from './adapter';
import type { FineTuneConfig, FineTuneTarget } from './config';
import { stratifiedSplit } from './data';
import { loadEmbedder } from './embeddings';
import { setupEncoderTarget } from './encoder-target';
import { l2Normalize, setupHeadTarget } from './head-target';
import { TrainingFailed, trainLoop, type EpochMetrics, type LoopResult, type TrainProgress, type TrainableModel } from './loop';
import type { Adapter } from './adapter';

export type TrainBackend = 'auto' | 'webgpu' | 'wasm';

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
  backend: 'webgpu' | 'wasm';
  trainRows: number;
  validationRows: number;
  /** On WebGPU: bytes the model took once loaded, and the high-water mark while training. */
  gpuBytes?: { base: number; peak: number };
}

let cancelled = false;

export const trainApi = {
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
    const name = modelName(req.base);
    const { train, validation } = stratifiedSplit(req.labels, req.config.validation_fraction, req.config.seed);
    const pick = (rows: number[]) => ({ rows, labels: rows.map((r) => req.labels[r]) });
    /** Trains; a failure after a checkpoint still returns that checkpoint's adapter (and says what failed). */
    const runLoop = async (setup: { trainable: TrainableModel; adapter(values?: Float32Array[]): Promise<Adapter> }, used: 'webgpu' | 'wasm'): Promise<TrainOutcome> => {
      const sizes = { backend: used, trainRows: train.length, validationRows: validation.length };
      try {
        const result = await trainLoop({ ...loopInput, model: setup.trainable });
        return { files: writeAdapter(await setup.adapter()), result, ...sizes };
      } catch (e) {
        if (!(e instanceof TrainingFailed) || e.best === null) throw e;
        const memory = { microBatchSize: req.config.batch_size, gradientAccumulationSteps: req.config.gradient_accumulation_steps, halvings: [] };
        const result: LoopResult = { metrics: e.best.metrics, bestEpoch: e.best.epoch, stopped: 'completed', validation: { gold: [], predicted: [] }, memory };
        return { files: writeAdapter(await setup.adapter(e.best.params)), result, failure: e.message, ...sizes };
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
      const onnxBackend = req.backend === 'auto' ? ((await hasWebGpu()) ? 'webgpu' : 'wasm') : req.backend;
      onPhase({ phase: 'loading', detail: `Loading ${name} (ONNX, ${onnxBackend})` });
      const embedder = await loadEmbedder(req.base, onnxBackend, req.config.max_seq_length);
      onPhase({ phase: 'embedding', detail: `Embedding ${req.texts.length} texts` });
      const embeddings = l2Normalize(
        await embedder.embed(req.texts, (done) => onPhase({ phase: 'embedding', detail: `Embedding texts: ${done} / ${req.texts.length}` })),
      );
      await embedder.release();
      // The projection head is small: the CPU engine trains it fastest (no per-op GPU round trips).
      const backend = new CpuBackend();
      const setup = setupHeadTarget({ backend, config: req.config, classes: req.classes, embeddings, baseModel: name, pooling: embedder.pooling });
      onPhase({ phase: 'training', detail: 'Training the projection head' });
      try {
        return await runLoop(setup, 'wasm');
      } finally {
        setup.dispose();
      }
    }

    onPhase({ phase: 'loading', detail: `Loading ${name} (model.safetensors)` });
    const [config, tokenizerJson, tokenizerConfig, weights] = await Promise.all([
      readModelJson<LengthConfig & Record<string, unknown>>(req.base, 'config.json'),
      readModelJson<object>(req.base, 'tokenizer.json'),
      readModelJson<object>(req.base, 'tokenizer_config.json').catch(() => ({})),
      readModelFile(req.base, 'model.safetensors'),
    ]);
    const tokenizer = new TextTokenizer(tokenizerJson, tokenizerConfig, modelMaxLength(config, req.config.max_seq_length));
    const tokens = req.texts.map((t) => tokenizer.encode(t));
    const { backend, name: used } = await engineBackend(req.backend, { memoryBudgetBytes: req.memoryBudgetBytes });
    const setup = setupEncoderTarget({
      files: { config, weights: new Uint8Array(weights) },
      baseModel: name,
      backend,
      config: req.config,
      classes: req.classes,
      tokens,
      padId: tokenizer.padId,
    });
    onPhase({ phase: 'training', detail: `Training LoRA on ${used === 'webgpu' ? 'WebGPU' : 'the CPU'}` });
    const gpu = backend instanceof WebGpuBackend ? backend : null;
    const base = gpu?.poolStats().usedBytes ?? 0;
    gpu?.resetPeak();
    try {
      const outcome = await runLoop(setup, used);
      return gpu ? { ...outcome, gpuBytes: { base, peak: gpu.poolStats().peakBytes } } : outcome;
    } finally {
      setup.dispose();
    }
  },
};

export type TrainApi = typeof trainApi;
