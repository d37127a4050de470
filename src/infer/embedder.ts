/**
 * Pooled sentence embeddings from a frozen encoder's ONNX export (ONNX Runtime), for the projection-head target:
 * mean or CLS pooling as the model's `1_Pooling/config.json` says (mean when it has none), batched by length.
 */
import { loadModelBundle } from '../nn/model-bundle';
import type { ModelRef } from '../nn/model-files';
import { OrtSession, type ExecutionBackend } from './ort';
import { padBatch } from '../nn/token-batch';
import { pool, poolingOf, type Pooling } from '../nn/pooling';
import { TextTokenizer } from './tokenizer';
import { modelMaxLength, type LengthConfig } from './truncate';

export interface Embedder {
  readonly pooling: Pooling;
  readonly dim: number;
  embed(texts: readonly string[], onBatch?: (done: number) => void): Promise<Float32Array[]>;
  release(): Promise<void>;
}

export async function loadEmbedder(ref: ModelRef, backend: ExecutionBackend, maxLength?: number, batchSize = 32): Promise<Embedder> {
  const [bundle, pooling] = await Promise.all([loadModelBundle<LengthConfig>(ref, { tokenizer: true, onnx: 'onnx/model.onnx' }), poolingOf(ref)]);
  const tokenizer = new TextTokenizer(bundle.tokenizer!.json, bundle.tokenizer!.config, modelMaxLength(bundle.config, maxLength));
  const session = await OrtSession.create(bundle.onnx!, backend);
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
