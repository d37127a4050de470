/**
 * The `head` target (Jammi's projection head, done right): a frozen encoder gives each text's pooled, L2-normalised
 * embedding once; a LoRA projection with an identity base, z = x + s·B·A·x, and a full classifier, logits = W·z + b,
 * are trained on them. Unlike Jammi, the classifier has its own full weight and bias, and inference applies it.
 */
import { Rng } from '../grad/rng';
import { Tensor, add, linear, scale, type Backend } from '../grad';
import type { F32Entry } from '../nn/safetensors';
import { labelMaps, type Adapter, type HeadAdapterConfig } from '../nn/adapter-files';
import type { FineTuneConfig } from './config';
import type { TrainableModel } from './loop';

export interface HeadSetup {
  trainable: TrainableModel;
  /** The adapter from the parameters now, or from `values` (host copies, in `trainable.params` order). */
  adapter(values?: Float32Array[]): Promise<Adapter>;
  dispose(): void;
}

/** The projection head's forward on a batch of embeddings [rows, dim]: logits [rows, classes]. */
export function projectionHeadForward(x: Tensor, p: { A: Tensor; B: Tensor; W: Tensor; b: Tensor; scaling: number }): Tensor {
  const z = add(x, scale(linear(linear(x, p.A, null), p.B, null), p.scaling));
  return linear(z, p.W, p.b);
}

export function setupHeadTarget(opts: {
  backend: Backend;
  config: FineTuneConfig;
  classes: readonly string[];
  /** L2-normalised pooled embeddings, one per example. */
  embeddings: Float32Array[];
  baseModel: string;
  pooling: 'mean' | 'cls';
}): HeadSetup {
  const { backend, config, classes, embeddings } = opts;
  const dim = embeddings[0]?.length ?? 0;
  if (dim === 0) throw new Error('No embeddings to train on.');
  const r = config.lora_rank;
  const bound = 1 / Math.sqrt(dim);
  const param = (name: string, shape: number[], data: Float32Array) => {
    const t = Tensor.fromData(backend, data, shape, true).keep();
    t.name = name;
    return t;
  };
  const A = param('projection.lora_A.weight', [r, dim], Rng.forKey(config.seed, 'projection.lora_A.weight').fillUniform(new Float32Array(r * dim), -bound, bound));
  const B = param('projection.lora_B.weight', [dim, r], new Float32Array(dim * r));
  const W = param('classifier.weight', [classes.length, dim], Rng.forKey(config.seed, 'classifier.weight').fillNormal(new Float32Array(classes.length * dim), 0.02));
  const b = param('classifier.bias', [classes.length], new Float32Array(classes.length));
  const scaling = config.use_rslora ? config.lora_alpha / Math.sqrt(r) : config.lora_alpha / r;
  const params = [A, B, W, b];
  const adapterConfig: HeadAdapterConfig = {
    adapter_type: 'projection_head',
    base_model_name_or_path: opts.baseModel,
    pooling: opts.pooling,
    normalize: true,
    embedding_dim: dim,
    r,
    lora_alpha: config.lora_alpha,
    use_rslora: config.use_rslora,
    ...labelMaps(classes),
  };
  return {
    trainable: {
      params,
      logits(rows) {
        const data = new Float32Array(rows.length * dim);
        rows.forEach((row, i) => data.set(embeddings[row], i * dim));
        return projectionHeadForward(Tensor.fromData(backend, data, [rows.length, dim]), { A, B, W, b, scaling });
      },
    },
    async adapter(values) {
      const tensors = new Map<string, F32Entry>();
      for (const [i, p] of params.entries()) tensors.set(p.name!, { shape: p.shape, data: values?.[i] ?? (await p.read()) });
      return { config: adapterConfig, tensors };
    },
    dispose: () => params.forEach((p) => p.dispose()),
  };
}
