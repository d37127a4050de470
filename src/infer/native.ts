/**
 * Classification on our own engine instead of ONNX Runtime: `engine: 'native'` for a plain model (from its
 * `model.safetensors`), and every fine-tuned model — an encoder adapter merged into its base, or a projection head
 * applied to the base's pooled embeddings. Same shape as `Classifier`: `info`, `classify`, `release`.
 */
import { noGrad, tidy, type Backend as EngineBackend } from '../grad';
import { engineBackend } from '../grad/backends/select';
import { WebGpuBackend } from '../grad/backends/webgpu';
import { isGpuOutOfMemory } from '../grad/errors';
import { runHalving } from './halving';
import { loadClassifier, type ModelFiles, type SequenceClassifier } from '../nn/classifier';
import { readAdapter, type EncoderAdapterConfig, type HeadAdapterConfig } from '../train/adapter';
import { loadEmbedder, type Embedder } from '../train/embeddings';
import { mergeEncoderAdapter } from '../train/encoder-model';
import { tokenBatch } from '../train/encoder-target';
import { applyProjectionHead } from '../train/head-target';
import type { ModelError as ModelErrorType, ModelInfo } from './classifier';
import { predict, type Id2Label, type RowPrediction } from './head';
import { modelName, readModelFile, readModelJson, type ModelRef } from './model-files';
import { hasWebGpu, type ExecutionBackend } from './ort';
import { TextTokenizer } from './tokenizer';
import { modelMaxLength, type LengthConfig } from './truncate';

type Backend = 'auto' | ExecutionBackend;

/** A user-facing error that crosses the worker boundary as a JammiError (as `ModelError` does). */
function modelError(message: string): ModelErrorType {
  const e = new Error(message) as ModelErrorType;
  e.name = 'JammiError';
  return e;
}

async function pickBackend(backend: Backend, memoryBudgetBytes?: number): Promise<{ engine: EngineBackend; used: ExecutionBackend }> {
  try {
    const { backend: engine, name } = await engineBackend(backend, { memoryBudgetBytes });
    return { engine, used: name };
  } catch (e) {
    throw modelError(`WebGPU is not available for the native engine: ${(e as Error).message}`);
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
    private readonly engine: EngineBackend | null = null,
  ) {}

  private baseBytes = 0;

  static async load({ ref, backend, maxLength, adapter, memoryBudgetBytes }: NativeLoad): Promise<NativeClassifier> {
    const name = adapter?.modelId ?? modelName(ref);
    const fail = (e: unknown) => Promise.reject(modelError(`Model ${name}: ${(e as Error).message}`));
    const config = await readModelJson<LengthConfig & Record<string, unknown>>(ref, 'config.json').catch(fail);
    const parsed = adapter ? (() => {
      try {
        return readAdapter(adapter.files);
      } catch (e) {
        throw modelError(`Model ${name}: ${(e as Error).message}`);
      }
    })() : null;
    const max = modelMaxLength(config, maxLength);
    const id2label = (parsed?.config.id2label ?? config.id2label) as Id2Label | undefined;
    if (!parsed && (!id2label || Object.keys(id2label).length === 0)) throw modelError(`No id2label mapping for classification model ${name}`);

    if (parsed && 'adapter_type' in parsed.config) {
      // Projection head: frozen base embeddings (ONNX Runtime), then the trained head on the CPU.
      const used: ExecutionBackend = backend === 'auto' ? ((await hasWebGpu()) ? 'webgpu' : 'wasm') : backend;
      const embedder: Embedder = await loadEmbedder(ref, used, max).catch(fail);
      const head = parsed.config as HeadAdapterConfig;
      const headLabels = head.id2label as Id2Label;
      const info: ModelInfo = { model: name, engine: 'native', backend: used, dtype: 'fp32', file: 'onnx/model.onnx + adapter', maxLength: max, labels: labelsOf(headLabels), multiLabel: false };
      return new NativeClassifier(info, null, async (texts) => applyProjectionHead(head, parsed.tensors, await embedder.embed(texts)), headLabels, () => embedder.release());
    }

    const [tokenizerJson, tokenizerConfig, weights] = await Promise.all([
      readModelJson<object>(ref, 'tokenizer.json'),
      readModelJson<object>(ref, 'tokenizer_config.json').catch(() => ({})),
      readModelFile(ref, 'model.safetensors'),
    ]).catch(fail);
    let files: ModelFiles = { config, weights: new Uint8Array(weights) };
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
      tokenizer = new TextTokenizer(tokenizerJson, tokenizerConfig, max);
    } catch (e) {
      return fail(new Error(`tokenizer.json is unreadable: ${(e as Error).message}`));
    }
    const vocab = config.vocab_size;
    if (typeof vocab === 'number' && tokenizer.vocabSize > vocab) {
      return fail(new Error(`the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${vocab}.`));
    }
    const { engine, used } = await pickBackend(backend, memoryBudgetBytes);
    let model: SequenceClassifier;
    try {
      model = loadClassifier(files, engine);
    } catch (e) {
      return fail(e);
    }
    const info: ModelInfo = {
      model: name,
      engine: 'native',
      backend: used,
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
      (row, cause) => modelError(`Out of GPU memory with a batch of one row (${row.tokens?.length ?? row.text.length} ${row.tokens ? 'tokens' : 'characters'}): ${(cause as Error).message} Try a smaller maxLength, a larger memoryBudgetBytes or backend "wasm".`),
    );
    const memory: BatchMemory = { halvings, ...(gpu ? { baseBytes: this.baseBytes, peakBytes: gpu.poolStats().peakBytes } : {}) };
    return { predictions: logits.map((l) => predict(l, this.id2label, this.info.multiLabel)), ms: performance.now() - t0, memory };
  }
}
