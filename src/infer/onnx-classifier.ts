/**
 * A text-classification model loaded in the inference worker: config, tokenizer and ONNX session, and the
 * batch step (tokenize → pad → run → head). Whole-call problems throw a `JammiError` (model_file, model_config, gpu_unavailable, gpu_oom, run_failed) with a message that names the
 * model and the file or input at fault.
 */
import { JammiError } from '../errors';
import { runHalving } from './halving';
import { predict, type Id2Label, type RowPrediction } from './head';
import { loadModelBundle } from '../nn/model-bundle';
import { modelName, ModelFileError, readModelFile, type ModelRef } from '../nn/model-files';
import { hasWebGpu } from '../grad/backends/auto';
import type { BackendChoice, EngineBackendName } from '../grad/backends/choice';
import { chooseOrtBackend, isOutOfMemory, OrtSession, wasmThreads, type ExecutionBackend } from './ort';
import { padBatch } from '../nn/token-batch';
import { TextTokenizer } from './tokenizer';
import { modelMaxLength, type LengthConfig } from './truncate';

/** The user's backend choice (ONNX Runtime: `auto`, `webgpu`, `wasm`; our engine also `js`). */
export type { BackendChoice };
export type Dtype = 'fp32' | 'q8' | 'fp16';

export const DTYPE_FILES: Record<Dtype, string> = {
  fp32: 'onnx/model.onnx',
  q8: 'onnx/model_quantized.onnx',
  fp16: 'onnx/model_fp16.onnx',
};


export interface LoadOptions {
  ref: ModelRef;
  backend: BackendChoice;
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
  /** What ran: ONNX Runtime's `webgpu` / `wasm` EP, or our engine's `webgpu` / `js` backend. */
  backend: ExecutionBackend | EngineBackendName;
  /** Why that backend: what was asked for, or auto's reason (`jammi.backend_reason`). */
  backendReason: string;
  dtype: Dtype;
  file: string;
  maxLength: number;
  /** Labels in class-index order, from `id2label`. */
  labels: string[];
  /** CPU threads of the backend that ran (ORT WASM: its thread pool; our js backend: 1). */
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
      e instanceof ModelFileError ? new JammiError('model_file', `Model ${name}: ${e.message}`) : (e as Error);
    const bundle = await loadModelBundle<ModelConfig>(ref, { tokenizer: true }).catch((e) => Promise.reject(fileError(e)));
    const config = bundle.config;
    const id2label = config.id2label;
    if (!id2label || typeof id2label !== 'object' || Object.keys(id2label).length === 0) {
      throw new JammiError('model_config', `No id2label mapping for classification model ${name}`);
    }
    if (backend === 'js') throw new JammiError('bad_input', 'Backend "js" is our engine\'s JavaScript backend: use it with engine "native" (ONNX Runtime runs on "auto", "webgpu" or "wasm").');
    const { backend: used, reason } = await chooseOrtBackend(backend);
    if (used === 'webgpu' && !(await hasWebGpu())) {
      throw new JammiError('gpu_unavailable', 'WebGPU is not available in this browser (no adapter was found); use backend "wasm" or "auto".');
    }
    const { dtype: usedDtype, bytes } = await readOnnx(ref, used, dtype).catch((e) => Promise.reject(fileError(e)));
    const file = DTYPE_FILES[usedDtype];

    let max: number;
    try {
      max = modelMaxLength(config, maxLength);
    } catch (e) {
      throw new JammiError('model_config', (e as Error).message);
    }
    let tokenizer: TextTokenizer;
    try {
      tokenizer = new TextTokenizer(bundle.tokenizer!.json, bundle.tokenizer!.config, max);
    } catch (e) {
      throw new JammiError('model_file', `Model ${name}: tokenizer.json is unreadable: ${(e as Error).message}`);
    }
    if (config.vocab_size !== undefined && tokenizer.vocabSize > config.vocab_size) {
      throw new JammiError('model_config', 
        `Tokenizer/model input mismatch for ${name}: the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${config.vocab_size}.`,
      );
    }
    let session: OrtSession;
    try {
      session = await OrtSession.create(bytes, used);
    } catch (e) {
      throw new JammiError('model_file', `Model ${name}: ${file} is corrupt or truncated, or not an ONNX model (ONNX Runtime could not load it on ${used}: ${(e as Error).message})`);
    }
    const unknown = session.inputNames.filter((n) => !TOKENIZER_INPUTS.includes(n));
    if (unknown.length || !session.inputNames.includes('input_ids')) {
      await session.release();
      throw new JammiError('model_config', 
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
      backendReason: reason,
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
        new JammiError('gpu_oom', `Out of memory on ${backend} with a batch of one row (${row.length} tokens): try a smaller maxLength or another backend.`),
      );
    } catch (e) {
      if (e instanceof JammiError) throw e;
      throw new JammiError('run_failed', `Model ${model} failed on ${backend}: ${(e as Error).message}`);
    }
  }

  private async run(rows: number[][]): Promise<Float32Array[]> {
    const { seq, inputs } = padBatch(rows, this.tokenizer.padId);
    const { data, dims } = await this.session.run(inputs, rows.length, seq, this.output);
    const classes = dims[dims.length - 1];
    if (dims.length !== 2 || dims[0] !== rows.length) {
      throw new JammiError('model_config', `Model ${this.info.model}: output "${this.output}" has shape [${dims.join(', ')}], not [batch, classes].`);
    }
    if (classes !== this.info.labels.length) {
      throw new JammiError(
        'model_config',
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
