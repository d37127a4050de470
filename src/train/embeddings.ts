/**
 * Pooled sentence embeddings from a frozen encoder's ONNX export (ONNX Runtime), for the projection-head target:
 * mean or CLS pooling as the model's `1_Pooling/config.json` says (mean when it has none), batched by length.
 */
import { ModelFileError, readModelFile, readModelJson, type ModelRef } from '../infer/model-files';
import { OrtSession, type ExecutionBackend } from '../infer/ort';
import { padBatch, TextTokenizer } from '../infer/tokenizer';
import { modelMaxLength, type LengthConfig } from '../infer/truncate';

export type Pooling = 'mean' | 'cls';

export interface Embedder {
  readonly pooling: Pooling;
  readonly dim: number;
  embed(texts: readonly string[], onBatch?: (done: number) => void): Promise<Float32Array[]>;
  release(): Promise<void>;
}

export async function poolingOf(ref: ModelRef): Promise<Pooling> {
  try {
    const p = await readModelJson<{ pooling_mode_cls_token?: boolean; pooling_mode_mean_tokens?: boolean }>(ref, '1_Pooling/config.json');
    return p.pooling_mode_cls_token && !p.pooling_mode_mean_tokens ? 'cls' : 'mean';
  } catch (e) {
    if (e instanceof ModelFileError && e.reason === 'missing') return 'mean';
    throw e;
  }
}

/** Mean of the unmasked rows of one sequence's hidden states, or its first row. */
export function pool(hidden: Float32Array, offset: number, mask: BigInt64Array, maskOffset: number, seq: number, dim: number, pooling: Pooling): Float32Array {
  const out = new Float32Array(dim);
  if (pooling === 'cls') {
    out.set(hidden.subarray(offset, offset + dim));
    return out;
  }
  let count = 0;
  for (let s = 0; s < seq; s++) {
    if (mask[maskOffset + s] === 0n) continue;
    count++;
    const row = offset + s * dim;
    for (let d = 0; d < dim; d++) out[d] += hidden[row + d];
  }
  for (let d = 0; d < dim; d++) out[d] /= Math.max(count, 1);
  return out;
}

export async function loadEmbedder(ref: ModelRef, backend: ExecutionBackend, maxLength?: number, batchSize = 32): Promise<Embedder> {
  const [config, tokenizerJson, tokenizerConfig, onnx, pooling] = await Promise.all([
    readModelJson<LengthConfig>(ref, 'config.json'),
    readModelJson<object>(ref, 'tokenizer.json'),
    readModelJson<object>(ref, 'tokenizer_config.json').catch(() => ({})),
    readModelFile(ref, 'onnx/model.onnx'),
    poolingOf(ref),
  ]);
  const tokenizer = new TextTokenizer(tokenizerJson, tokenizerConfig, modelMaxLength(config, maxLength));
  const session = await OrtSession.create(new Uint8Array(onnx), backend);
  const output = session.outputNames.includes('last_hidden_state') ? 'last_hidden_state' : session.outputNames[0];
  let dim = 0;
  return {
    pooling,
    get dim() {
      return dim;
    },
    async embed(texts, onBatch) {
      const tokens = texts.map((t) => tokenizer.encode(t));
      const order = tokens.map((_, i) => i).sort((a, b) => tokens[a].length - tokens[b].length);
      const out: Float32Array[] = new Array(texts.length);
      for (let i = 0; i < order.length; i += batchSize) {
        const rows = order.slice(i, i + batchSize);
        const { seq, inputs } = padBatch(rows.map((r) => tokens[r]), tokenizer.padId);
        const { data, dims } = await session.run(inputs, rows.length, seq, output);
        if (dims.length !== 3) {
          throw new Error(
            `onnx/model.onnx gives "${output}" of shape [${dims.join(', ')}]; the head target needs token embeddings [batch, seq, hidden] ` +
              '(an encoder or sentence-embedding export with last_hidden_state).',
          );
        }
        dim = dims[dims.length - 1];
        rows.forEach((row, b) => (out[row] = pool(data, b * seq * dim, inputs.attention_mask, b * seq, seq, dim, pooling)));
        onBatch?.(Math.min(order.length, i + batchSize));
      }
      return out;
    },
    release: () => session.release(),
  };
}
