/**
 * What the training worker exposes. One job per worker: `train` runs it to the end (or to a cancel, which keeps
 * the best checkpoint), reporting progress through callbacks; the adapter comes back as its two files.
 */
import { createEngineBackend, type BackendChoice, type EngineBackend, type EngineBackendName } from '../grad/backends/select';
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
import { TrainingFailed, trainLoop, type EpochMetrics, type LoopResult, type TrainProgress, type TrainableModel } from './loop';
import type { Adapter } from '../nn/adapter-files';

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
    const runLoop = async (setup: { trainable: TrainableModel; adapter(values?: Float32Array[]): Promise<Adapter> }, used: Pick<EngineBackend, 'name' | 'reason' | 'threads'>): Promise<TrainOutcome> => {
      const sizes = { backend: used.name, backendReason: used.reason, threads: used.threads, trainRows: train.length, validationRows: validation.length };
      try {
        const result = await trainLoop({ ...loopInput, model: setup.trainable });
        return { files: writeAdapter(await setup.adapter()), result, ...sizes };
      } catch (e) {
        if (!(e instanceof TrainingFailed) || e.best === null) throw e;
        const result: LoopResult = { metrics: e.best.metrics, bestEpoch: e.best.epoch, stopped: 'completed', validation: { gold: [], predicted: [] } };
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
      const { backend: onnxBackend, reason: onnxReason } = await chooseOrtBackend(req.backend);
      onPhase({ phase: 'loading', detail: `Loading ${name} (ONNX, ${onnxBackend})` });
      const embedder = await loadEmbedder(req.base, onnxBackend, req.config.max_seq_length);
      onPhase({ phase: 'embedding', detail: `Embedding ${req.texts.length} texts` });
      const embeddings = l2Normalize(
        await embedder.embed(req.texts, (done) => onPhase({ phase: 'embedding', detail: `Embedding texts: ${done} / ${req.texts.length}` })),
      );
      await embedder.release();
      // The projection head is small: the CPU engine trains it fastest (no per-op GPU round trips).
      const backend = new JsBackend();
      const setup = setupHeadTarget({ backend, config: req.config, classes: req.classes, embeddings, baseModel: name, pooling: embedder.pooling });
      onPhase({ phase: 'training', detail: 'Training the projection head' });
      try {
        const reason = `the projection head is small: trained on the JavaScript backend (embeddings on ONNX Runtime ${onnxBackend}: ${onnxReason})`;
        return await runLoop(setup, { name: 'js', reason, threads: 1 });
      } finally {
        setup.dispose();
      }
    }

    onPhase({ phase: 'loading', detail: `Loading ${name} (model.safetensors)` });
    const { config, tokenizer: tok, weights } = await loadModelBundle<LengthConfig & Record<string, unknown>>(req.base, { tokenizer: true, weights: true });
    const tokenizer = new TextTokenizer(tok!.json, tok!.config, modelMaxLength(config, req.config.max_seq_length));
    const tokens = req.texts.map((t) => tokenizer.encode(t));
    const used = await createEngineBackend(req.backend, { modelBytes: weights!.byteLength });
    const backend = used.backend;
    const setup = setupEncoderTarget({
      files: { config, weights: weights! },
      baseModel: name,
      backend,
      config: req.config,
      classes: req.classes,
      tokens,
      padId: tokenizer.padId,
    });
    onPhase({ phase: 'training', detail: `Training LoRA on ${used.name === 'webgpu' ? 'WebGPU' : 'the CPU (JavaScript)'}` });
    try {
      return await runLoop(setup, used);
    } finally {
      setup.dispose();
    }
  },
};

export type TrainApi = typeof trainApi;
