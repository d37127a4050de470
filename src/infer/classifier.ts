/**
 * A text-classification model loaded in the inference worker: config, tokenizer and ONNX session, and the
 * batch step (tokenize → pad → run → head). Whole-call problems throw `ModelError` with a message that names the
 * model and the file or input at fault.
 */
import { runHalving } from './halving';
import { predict, type Id2Label, type RowPrediction } from './head';
import { modelName, ModelFileError, readModelFile, readModelJson, type ModelRef } from './model-files';
import { hasWebGpu, isOutOfMemory, OrtSession, wasmThreads, type ExecutionBackend } from './ort';
import { padBatch, TextTokenizer } from './tokenizer';
import { modelMaxLength, type LengthConfig } from './truncate';

export type Backend = 'auto' | ExecutionBackend;
export type Dtype = 'fp32' | 'q8' | 'fp16';

export const DTYPE_FILES: Record<Dtype, string> = {
  fp32: 'onnx/model.onnx',
  q8: 'onnx/model_quantized.onnx',
  fp16: 'onnx/model_fp16.onnx',
};

/** Carries a user-facing message across the worker boundary (the API rethrows it as a `JammiError`). */
export class ModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JammiError';
  }
}

export interface LoadOptions {
  ref: ModelRef;
  backend: Backend;
  dtype?: Dtype;
  maxLength?: number;
  /** `native`: our own engine (see `./native`); fine-tuned models carry their adapter's files. */
  engine?: 'onnx' | 'native';
  adapter?: { files: Record<string, Uint8Array>; modelId: string };
  /** Our engine only (`native`): cap on its GPU memory; past it batches are halved. */
  memoryBudgetBytes?: number;
}

export interface ModelInfo {
  model: string;
  /** ONNX Runtime, or our own engine (`engine: 'native'` and fine-tuned models). */
  engine: 'onnx' | 'native';
  backend: ExecutionBackend;
  dtype: Dtype;
  file: string;
  maxLength: number;
  /** Labels in class-index order, from `id2label`. */
  labels: string[];
  /** WASM threads (WASM backend only). */
  threads?: number;
  multiLabel: boolean;
}

interface ModelConfig extends LengthConfig {
  id2label?: Id2Label;
  problem_type?: string;
  vocab_size?: number;
}

const TOKENIZER_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'];

export class Classifier {
  private constructor(
    readonly info: ModelInfo,
    private readonly id2label: Id2Label,
    private readonly tokenizer: TextTokenizer,
    private readonly session: OrtSession,
    private readonly output: string,
  ) {}

  static async load({ ref, backend, dtype, maxLength }: LoadOptions): Promise<Classifier> {
    const name = modelName(ref);
    const fileError = (e: unknown) =>
      e instanceof ModelFileError ? new ModelError(`Model ${name}: ${e.message}`) : (e as Error);
    const config = await readModelJson<ModelConfig>(ref, 'config.json').catch((e) => Promise.reject(fileError(e)));
    const id2label = config.id2label;
    if (!id2label || typeof id2label !== 'object' || Object.keys(id2label).length === 0) {
      throw new ModelError(`No id2label mapping for classification model ${name}`);
    }
    const used: ExecutionBackend = backend === 'auto' ? ((await hasWebGpu()) ? 'webgpu' : 'wasm') : backend;
    if (used === 'webgpu' && !(await hasWebGpu())) {
      throw new ModelError('WebGPU is not available in this browser (no adapter was found); use backend "wasm" or "auto".');
    }
    const [tokenizerJson, tokenizerConfig] = await Promise.all([
      readModelJson<object>(ref, 'tokenizer.json'),
      readModelJson<object>(ref, 'tokenizer_config.json').catch((e) => {
        if (e instanceof ModelFileError && e.reason === 'missing') return {};
        throw e;
      }),
    ]).catch((e) => Promise.reject(fileError(e)));
    const { dtype: usedDtype, bytes } = await readOnnx(ref, used, dtype).catch((e) => Promise.reject(fileError(e)));
    const file = DTYPE_FILES[usedDtype];

    let max: number;
    try {
      max = modelMaxLength(config, maxLength);
    } catch (e) {
      throw new ModelError((e as Error).message);
    }
    let tokenizer: TextTokenizer;
    try {
      tokenizer = new TextTokenizer(tokenizerJson, tokenizerConfig, max);
    } catch (e) {
      throw new ModelError(`Model ${name}: tokenizer.json is unreadable: ${(e as Error).message}`);
    }
    if (config.vocab_size !== undefined && tokenizer.vocabSize > config.vocab_size) {
      throw new ModelError(
        `Tokenizer/model input mismatch for ${name}: the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${config.vocab_size}.`,
      );
    }
    let session: OrtSession;
    try {
      session = await OrtSession.create(bytes, used);
    } catch (e) {
      throw new ModelError(`Model ${name}: ${file} is corrupt or truncated, or not an ONNX model (ONNX Runtime could not load it on ${used}: ${(e as Error).message})`);
    }
    const unknown = session.inputNames.filter((n) => !TOKENIZER_INPUTS.includes(n));
    if (unknown.length || !session.inputNames.includes('input_ids')) {
      await session.release();
      throw new ModelError(
        `Tokenizer/model input mismatch for ${name}: ${file} expects inputs ${session.inputNames.join(', ')}, ` +
          `but the tokenizer gives ${TOKENIZER_INPUTS.join(', ')}.`,
      );
    }
    const output = session.outputNames.includes('logits') ? 'logits' : session.outputNames[0];
    const labels = Object.keys(id2label)
      .map(Number)
      .sort((a, b) => a - b)
      .map((i) => id2label[String(i)]);
    const info: ModelInfo = {
      model: name,
      engine: 'onnx',
      backend: used,
      dtype: usedDtype,
      file,
      maxLength: max,
      labels,
      multiLabel: config.problem_type === 'multi_label_classification',
      threads: used === 'wasm' ? wasmThreads() : undefined,
    };
    return new Classifier(info, id2label, tokenizer, session, output);
  }

  /** Classifies non-empty texts; `ms` is the wall time of the whole batch (tokenize + run + head). */
  async classify(texts: readonly string[]): Promise<{ predictions: RowPrediction[]; ms: number }> {
    const t0 = performance.now();
    const rows = texts.map((t) => this.tokenizer.encode(t));
    const logits = await this.runHalving(rows);
    const predictions = logits.map((l) => predict(l, this.id2label, this.info.multiLabel));
    return { predictions, ms: performance.now() - t0 };
  }

  /** Runs rows in one batch; on out-of-memory, halves the batch and retries the same rows; fails at one row. */
  private async runHalving(rows: number[][]): Promise<Float32Array[]> {
    const { model, backend } = this.info;
    try {
      return await runHalving(rows, (r) => this.run(r as number[][]), isOutOfMemory, (row) =>
        new ModelError(`Out of memory on ${backend} with a batch of one row (${row.length} tokens): try a smaller maxLength or another backend.`),
      );
    } catch (e) {
      if (e instanceof ModelError) throw e;
      throw new ModelError(`Model ${model} failed on ${backend}: ${(e as Error).message}`);
    }
  }

  private async run(rows: number[][]): Promise<Float32Array[]> {
    const { seq, inputs } = padBatch(rows, this.tokenizer.padId);
    const { data, dims } = await this.session.run(inputs, rows.length, seq, this.output);
    const classes = dims[dims.length - 1];
    if (dims.length !== 2 || dims[0] !== rows.length) {
      throw new ModelError(`Model ${this.info.model}: output "${this.output}" has shape [${dims.join(', ')}], not [batch, classes].`);
    }
    if (classes !== this.info.labels.length) {
      throw new ModelError(
        `Model ${this.info.model}: ${this.info.file} gives ${classes} logits per row, but config.json's id2label has ${this.info.labels.length} labels: the files belong to different models.`,
      );
    }
    return rows.map((_, i) => data.subarray(i * classes, (i + 1) * classes));
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/** The ONNX bytes for `dtype`; by default fp32 on WebGPU and q8 on WASM when that file exists, else fp32. */
async function readOnnx(ref: ModelRef, backend: ExecutionBackend, dtype: Dtype | undefined): Promise<{ dtype: Dtype; bytes: Uint8Array }> {
  if (dtype) return { dtype, bytes: new Uint8Array(await readModelFile(ref, DTYPE_FILES[dtype])) };
  if (backend === 'wasm') {
    try {
      return { dtype: 'q8', bytes: new Uint8Array(await readModelFile(ref, DTYPE_FILES.q8)) };
    } catch (e) {
      if (!(e instanceof ModelFileError)) throw e;
    }
  }
  return { dtype: 'fp32', bytes: new Uint8Array(await readModelFile(ref, DTYPE_FILES.fp32)) };
}
