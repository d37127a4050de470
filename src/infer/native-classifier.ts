/**
 * Classification on our own engine instead of ONNX Runtime: `engine: 'native'` for a plain model (from its
 * `model.safetensors`), and every fine-tuned model — an encoder adapter merged into its base, or a projection head
 * applied to the base's pooled embeddings. Same shape as `Classifier`: `info`, `classify`, `release`.
 */
import { noGrad, tidy } from '../grad';
import { createEngineBackend, type BackendChoice, type EngineBackend as PickedBackend } from '../grad/backends/select';
import { WebGpuBackend } from '../grad/backends/webgpu';
import { isGpuOutOfMemory } from '../grad/errors';
import type { Backend as GradBackend } from '../grad';
import { runHalving } from './halving';
import { loadClassifier, type ModelFiles, type SequenceClassifier } from '../nn/sequence-classifier';
import { readAdapter, type EncoderAdapterConfig, type HeadAdapterConfig } from '../nn/adapter-files';
import { loadEmbedder, type Embedder } from './embedder';
import { applyProjectionHead, mergeEncoderAdapter } from '../nn/adapter-merge';
import { tokenBatch } from '../nn/token-batch';
import { JammiError } from '../errors';
import type { ModelInfo } from './onnx-classifier';
import { predict, type Id2Label, type RowPrediction } from './head';
import { loadModelBundle } from '../nn/model-bundle';
import { modelName, type ModelRef } from '../nn/model-files';
import { chooseOrtBackend } from './ort';
import { TextTokenizer } from './tokenizer';
import { modelMaxLength, type LengthConfig } from './truncate';

type Backend = BackendChoice;

async function pickBackend(backend: Backend, modelBytes: number, memoryBudgetBytes?: number): Promise<PickedBackend> {
  try {
    return await createEngineBackend(backend, { modelBytes, memoryBudgetBytes });
  } catch (e) {
    throw new JammiError('gpu_unavailable', `WebGPU is not available for the native engine: ${(e as Error).message}`);
  }
}

const labelsOf = (id2label: Id2Label) =>
  Object.keys(id2label)
    .map(Number)
    .sort((a, b) => a - b)
    .map((i) => id2label[String(i)]);

export interface NativeLoad {
  ref: ModelRef;
  backend: Backend;
  maxLength?: number;
  /** A fine-tuned model: the adapter's two files, and the id to report. */
  adapter?: { files: Record<string, Uint8Array>; modelId: string };
  /** Cap on our engine's GPU memory (see WebGpuOptions); past it a batch is halved and retried. */
  memoryBudgetBytes?: number;
}

/** What a batch cost on the GPU: halvings after out-of-memory, and bytes (weights; high-water mark) when on WebGPU. */
export interface BatchMemory {
  halvings: number;
  baseBytes?: number;
  peakBytes?: number;
}

export class NativeClassifier {
  private constructor(
    readonly info: ModelInfo,
    private readonly tokenizer: TextTokenizer | null,
    private readonly run: (texts: readonly string[], tokens: number[][] | null) => Promise<Float32Array[]>,
    private readonly id2label: Id2Label,
    readonly release: () => Promise<void>,
    private readonly engine: GradBackend | null = null,
  ) {}

  private baseBytes = 0;

  static async load({ ref, backend, maxLength, adapter, memoryBudgetBytes }: NativeLoad): Promise<NativeClassifier> {
    const name = adapter?.modelId ?? modelName(ref);
    const fail = (e: unknown) => Promise.reject(new JammiError(e instanceof JammiError ? e.code : 'model_config', `Model ${name}: ${(e as Error).message}`));
    const parsed = adapter ? (() => {
      try {
        return readAdapter(adapter.files);
      } catch (e) {
        throw new JammiError('bad_adapter', `Model ${name}: ${(e as Error).message}`);
      }
    })() : null;
    const isHead = parsed !== null && 'adapter_type' in parsed.config;
    const bundle = await loadModelBundle<LengthConfig & Record<string, unknown>>(ref, isHead ? {} : { tokenizer: true, weights: true }).catch(fail);
    const config = bundle.config;
    const max = modelMaxLength(config, maxLength);
    const id2label = (parsed?.config.id2label ?? config.id2label) as Id2Label | undefined;
    if (!parsed && (!id2label || Object.keys(id2label).length === 0)) throw new JammiError('model_config', `No id2label mapping for classification model ${name}`);

    if (isHead) {
      // Projection head: frozen base embeddings (ONNX Runtime), then the trained head on the CPU.
      const { backend: used, reason } = await chooseOrtBackend(backend);
      const embedder: Embedder = await loadEmbedder(ref, used, max).catch(fail);
      const head = parsed.config as HeadAdapterConfig;
      const headLabels = head.id2label as Id2Label;
      const info: ModelInfo = { model: name, engine: 'native', backend: used, backendReason: `embeddings on ONNX Runtime: ${reason}`, dtype: 'fp32', file: 'onnx/model.onnx + adapter', maxLength: max, labels: labelsOf(headLabels), multiLabel: false };
      return new NativeClassifier(info, null, async (texts) => applyProjectionHead(head, parsed.tensors, await embedder.embed(texts)), headLabels, () => embedder.release());
    }

    let files: ModelFiles = { config, weights: bundle.weights! };
    if (parsed) {
      try {
        files = mergeEncoderAdapter(files, parsed.config as EncoderAdapterConfig, parsed.tensors);
      } catch (e) {
        return fail(e);
      }
    }
    // A merged adapter brings its own labels (PEFT's files may have none: then they come from the base or LABEL_i).
    const labels = files.config.id2label as Id2Label;
    let tokenizer: TextTokenizer;
    try {
      tokenizer = new TextTokenizer(bundle.tokenizer!.json, bundle.tokenizer!.config, max);
    } catch (e) {
      return fail(new Error(`tokenizer.json is unreadable: ${(e as Error).message}`));
    }
    const vocab = config.vocab_size;
    if (typeof vocab === 'number' && tokenizer.vocabSize > vocab) {
      return fail(new Error(`the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${vocab}.`));
    }
    const picked = await pickBackend(backend, files.weights.byteLength, memoryBudgetBytes);
    const engine = picked.backend;
    let model: SequenceClassifier;
    try {
      model = loadClassifier(files, engine);
    } catch (e) {
      return fail(e);
    }
    const info: ModelInfo = {
      model: name,
      engine: 'native',
      backend: picked.name,
      backendReason: picked.reason,
      threads: picked.name === 'webgpu' ? undefined : picked.threads,
      dtype: 'fp32',
      file: parsed ? 'model.safetensors + adapter' : 'model.safetensors',
      maxLength: max,
      labels: labelsOf(labels),
      multiLabel: config.problem_type === 'multi_label_classification' && !parsed,
    };
    const run = async (_texts: readonly string[], tokens: number[][] | null) => {
      const logits = noGrad(() => tidy(() => model.forward(tokenBatch(tokens!, tokenizer.padId)).keep()));
      try {
        const data = await logits.read();
        const c = logits.shape[1];
        return tokens!.map((_, i) => data.slice(i * c, (i + 1) * c));
      } finally {
        logits.dispose();
      }
    };
    // Evicted or dropped: the weights, then the GPU device with its pooled buffers (up to 256 MiB otherwise leaked).
    const release = async () => {
      model.dispose();
      engine.destroy?.();
    };
    const classifier = new NativeClassifier(info, tokenizer, run, labels, release, engine);
    if (engine instanceof WebGpuBackend) classifier.baseBytes = engine.poolStats().usedBytes;
    return classifier;
  }

  /** Fault injection: destroys this model's GPU device (as a driver reset would); false when it has none. */
  loseDevice(): boolean {
    if (!(this.engine instanceof WebGpuBackend)) return false;
    this.engine.device.destroy();
    return true;
  }

  /**
   * Classifies non-empty texts; `ms` is the wall time of the whole batch (tokenize + run + head). On a GPU
   * out-of-memory the batch is halved and each half retried (as on the ONNX Runtime path), down to one row.
   */
  async classify(texts: readonly string[]): Promise<{ predictions: RowPrediction[]; ms: number; memory: BatchMemory }> {
    const t0 = performance.now();
    const gpu = this.engine instanceof WebGpuBackend ? this.engine : null;
    gpu?.resetPeak();
    const tokens = this.tokenizer ? texts.map((t) => this.tokenizer!.encode(t)) : null;
    const rows = texts.map((text, i) => ({ text, tokens: tokens?.[i] ?? null }));
    let halvings = 0;
    const logits = await runHalving(
      rows,
      async (part) => {
        try {
          return await this.run(part.map((r) => r.text), tokens ? part.map((r) => r.tokens!) : null);
        } catch (e) {
          if (isGpuOutOfMemory(e)) halvings++;
          throw e;
        }
      },
      isGpuOutOfMemory,
      (row, cause) =>
        new JammiError(
          'gpu_oom',
          `Out of GPU memory with a batch of one row (${row.tokens?.length ?? row.text.length} ${row.tokens ? 'tokens' : 'characters'}): ${(cause as Error).message} Try a smaller maxLength, a larger memoryBudgetBytes or backend "wasm".`,
        ),
    );
    const memory: BatchMemory = { halvings, ...(gpu ? { baseBytes: this.baseBytes, peakBytes: gpu.poolStats().peakBytes } : {}) };
    return { predictions: logits.map((l) => predict(l, this.id2label, this.info.multiLabel)), ms: performance.now() - t0, memory };
  }
}
