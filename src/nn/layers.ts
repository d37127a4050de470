/** Building blocks on grad: a weight store keyed by HF names, Linear with an optional LoRA adapter, attention. */
import { Rng, Tensor, add, dropout, gather, gelu, geluTanh, layerNorm, linear, matmul, permute, relu, reshape, scale, silu, softmax, type Backend } from '../grad';
import { parseSafetensors, type SafetensorsFile } from './safetensors';
import type { TokenBatch } from './token-batch';

/** Loads HF-named weights onto a backend once, and remembers every parameter by name. */
export class WeightStore {
  readonly params = new Map<string, Tensor>();
  private readonly file: SafetensorsFile;

  constructor(
    bytes: Uint8Array,
    readonly backend: Backend,
  ) {
    this.file = parseSafetensors(bytes);
  }

  has(name: string): boolean {
    return this.file.tensors.has(name);
  }

  /** The parameter `name` (frozen: requiresGrad false), checked against `shape` when given. */
  get(name: string, shape?: readonly number[]): Tensor {
    const cached = this.params.get(name);
    if (cached !== undefined) return cached;
    const info = this.file.tensors.get(name);
    if (info === undefined) throw new Error(`model weights: missing tensor ${name}`);
    if (shape !== undefined && (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])))
      throw new Error(`model weights: ${name} has shape [${info.shape}], expected [${shape}]`);
    const t = Tensor.fromData(this.backend, this.file.getFloat32(name), info.shape);
    t.name = name;
    this.params.set(name, t);
    return t;
  }

  /** Add a parameter that is not in the file (e.g. a LoRA matrix). */
  add(name: string, t: Tensor): Tensor {
    if (this.params.has(name)) throw new Error(`parameter ${name} already exists`);
    t.name = name;
    this.params.set(name, t);
    return t;
  }

  dispose(): void {
    for (const t of this.params.values()) t.dispose();
    this.params.clear();
  }
}

export interface LoraConfig {
  r: number;
  alpha: number;
  /** rsLoRA: scale by alpha/√r instead of alpha/r. */
  rslora?: boolean;
  /** Seed for lora_A (keyed by parameter name, so independent of creation order). */
  seed?: number;
  /** Dropout on the adapter's input in training (PEFT lora_dropout). */
  dropout?: number;
}

/** Present in training: dropout is applied, drawing masks from `rng` in a fixed order. Absent: eval mode. */
export interface TrainContext {
  rng: Rng;
}

/** Dropout in training, identity in eval (or for p = 0). */
export function drop(x: Tensor, p: number, ctx: TrainContext | undefined): Tensor {
  return ctx !== undefined && p > 0 ? dropout(x, p, ctx.rng) : x;
}

export interface LoraAdapter {
  /** PEFT layout: A is [r, in], B is [out, r]. */
  A: Tensor;
  B: Tensor;
  scaling: number;
  dropout: number;
}

/** y = x·Wᵀ + b (+ (alpha/r)·(x·Aᵀ)·Bᵀ with a LoRA adapter). `name` is the HF module path. */
export class Linear {
  lora: LoraAdapter | null = null;

  constructor(
    readonly name: string,
    readonly weight: Tensor,
    readonly bias: Tensor | null,
  ) {}

  static load(w: WeightStore, name: string, inF: number, outF: number, bias = true): Linear {
    return new Linear(name, w.get(`${name}.weight`, [outF, inF]), bias ? w.get(`${name}.bias`, [outF]) : null);
  }

  get inFeatures(): number {
    return this.weight.shape[1];
  }
  get outFeatures(): number {
    return this.weight.shape[0];
  }

  forward(x: Tensor, ctx?: TrainContext): Tensor {
    const y = linear(x, this.weight, this.bias);
    if (this.lora === null) return y;
    const { A, B, scaling } = this.lora;
    return add(y, scale(linear(linear(drop(x, this.lora.dropout, ctx), A, null), B, null), scaling));
  }

  /**
   * Attach a LoRA adapter as PEFT initialises it: A ~ U(−1/√in, 1/√in) (kaiming_uniform with a = √5), B = 0.
   * Parameters are registered in `store` as `<name>.lora_A.weight` / `<name>.lora_B.weight`, trainable.
   */
  attachLora(store: WeightStore, cfg: LoraConfig): LoraAdapter {
    if (this.lora !== null) throw new Error(`${this.name} already has a LoRA adapter`);
    const inF = this.inFeatures;
    const bound = 1 / Math.sqrt(inF);
    const aName = `${this.name}.lora_A.weight`;
    const a = Rng.forKey(cfg.seed ?? 0, aName).fillUniform(new Float32Array(cfg.r * inF), -bound, bound);
    const A = store.add(aName, Tensor.fromData(store.backend, a, [cfg.r, inF], true));
    const B = store.add(`${this.name}.lora_B.weight`, Tensor.zeros(store.backend, [this.outFeatures, cfg.r], true));
    this.lora = { A, B, scaling: cfg.rslora ? cfg.alpha / Math.sqrt(cfg.r) : cfg.alpha / cfg.r, dropout: cfg.dropout ?? 0 };
    return this.lora;
  }
}

/** LayerNorm with HF names `<name>.weight` (+ `<name>.bias`). */
export class LayerNorm {
  constructor(
    readonly weight: Tensor,
    readonly bias: Tensor | null,
    readonly eps: number,
  ) {}
  static load(w: WeightStore, name: string, dim: number, eps: number, bias = true): LayerNorm {
    return new LayerNorm(w.get(`${name}.weight`, [dim]), bias ? w.get(`${name}.bias`, [dim]) : null, eps);
  }
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

export type Activation = (x: Tensor) => Tensor;

/** An HF activation by its config name (hidden_act / activation / hidden_activation); unknown names throw. */
export function activation(name: unknown): Activation {
  switch (name) {
    case undefined:
    case 'gelu':
      return gelu;
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast':
      return geluTanh;
    case 'relu':
      return relu;
    case 'silu':
    case 'swish':
      return silu;
    default:
      throw new Error(`activation ${JSON.stringify(name)} is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu, silu)`);
  }
}

/** NOTE: a large finite negative, not −∞: a fully masked row must give a uniform softmax, never NaN. */
export const MASKED = -1e30;

/** Additive key mask [batch, 1, 1, seq]: 0 where attended, MASKED at padding. */
export function paddingBias(backend: Backend, t: TokenBatch): Tensor {
  const bias = new Float32Array(t.batch * t.seq);
  for (let i = 0; i < bias.length; i++) bias[i] = t.mask[i] ? 0 : MASKED;
  return Tensor.fromData(backend, bias, [t.batch, 1, 1, t.seq]);
}

/** [B, S, H] → [B, heads, S, H/heads] */
export function splitHeads(x: Tensor, heads: number): Tensor {
  const [b, s, h] = x.shape;
  return permute(reshape(x, [b, s, heads, h / heads]), [0, 2, 1, 3]);
}

/** [B, heads, S, d] → [B, S, heads·d] */
export function mergeHeads(x: Tensor): Tensor {
  const [b, nh, s, d] = x.shape;
  return reshape(permute(x, [0, 2, 1, 3]), [b, s, nh * d]);
}

/** dropout(softmax(q·kᵀ/√d + bias))·v over heads laid out [B, heads, S, d]. */
export function scaledDotAttention(q: Tensor, k: Tensor, v: Tensor, bias: Tensor, pDrop = 0, ctx?: TrainContext): Tensor {
  const d = q.shape[q.rank - 1];
  const scores = add(scale(matmul(q, k, { transB: true }), 1 / Math.sqrt(d)), bias);
  return matmul(drop(softmax(scores, -1), pDrop, ctx), v);
}

/** Embedding lookup [B, S] → [B, S, H]. */
export function embed(table: Tensor, ids: Int32Array, batch: number, seq: number): Tensor {
  return gather(table, ids, [batch, seq]);
}
