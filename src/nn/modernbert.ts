/**
 * ModernBERT encoder and classification head, loaded by HF names. Pre-norm layers without biases:
 *   x += Wo·attn(rotary(q), rotary(k), v) over norm(x)   (layer 0 has no attn_norm)
 *   x += Wo·(act(a) ⊙ gate), [a, gate] = Wi·norm(x)      (GeGLU with act = hidden_activation, GELU)
 * Every `global_attn_every_n_layers`-th layer attends globally (global rope θ); the others within a sliding
 * window |i − j| ≤ local_attention/2 (local rope θ). Then final_norm, cls or masked-mean pooling,
 * head = norm(act(dense(pooled))) with act = classifier_activation, classifier.
 */
import { Tensor, add, mul, reshape, rotary, rotaryTables, slice, permute, type Backend } from '../grad';
import { LayerNorm, Linear, MASKED, WeightStore, activation, drop, type Activation, embed, mergeHeads, paddingBias, scaledDotAttention, type TrainContext } from './layers';
import type { TokenBatch } from './token-batch';
import { poolTensor } from './pooling';
import { prob } from './bert';

type Config = Record<string, unknown>;

function num(c: Config, key: string): number {
  const v = c[key];
  if (typeof v !== 'number') throw new Error(`config.json: ${key} missing or not a number`);
  return v;
}

interface PreNormLayer {
  attnNorm: LayerNorm | null;
  wqkv: Linear;
  wo: Linear;
  mlpNorm: LayerNorm;
  wi: Linear;
  mlpWo: Linear;
  global: boolean;
}

export class ModernBertEncoder {
  readonly hidden: number;
  readonly heads: number;
  readonly layers: PreNormLayer[] = [];
  private readonly tok: Tensor;
  private readonly embNorm: LayerNorm;
  private readonly finalNorm: LayerNorm;
  private readonly act: Activation;

  constructor(
    readonly w: WeightStore,
    readonly config: Config,
  ) {
    const c = config;
    if (c.norm_bias === true) throw new Error('ModernBERT with norm_bias=true is not supported');
    const h = (this.hidden = num(c, 'hidden_size'));
    this.heads = num(c, 'num_attention_heads');
    const inter = num(c, 'intermediate_size');
    const eps = num(c, 'norm_eps');
    const every = num(c, 'global_attn_every_n_layers');
    const attnBias = c.attention_bias === true;
    const mlpBias = c.mlp_bias === true;
    const norm = (name: string): LayerNorm => LayerNorm.load(w, name, h, eps, false);
    this.act = activation(c.hidden_activation);
    this.tok = w.get('model.embeddings.tok_embeddings.weight');
    this.embNorm = norm('model.embeddings.norm');
    for (let i = 0; i < num(c, 'num_hidden_layers'); i++) {
      const l = `model.layers.${i}`;
      this.layers.push({
        attnNorm: i > 0 ? norm(`${l}.attn_norm`) : null,
        wqkv: Linear.load(w, `${l}.attn.Wqkv`, h, 3 * h, attnBias),
        wo: Linear.load(w, `${l}.attn.Wo`, h, h, attnBias),
        mlpNorm: norm(`${l}.mlp_norm`),
        wi: Linear.load(w, `${l}.mlp.Wi`, h, 2 * inter, mlpBias),
        mlpWo: Linear.load(w, `${l}.mlp.Wo`, inter, h, mlpBias),
        global: i % every === 0,
      });
    }
    this.finalNorm = norm('model.final_norm');
  }

  /** Additive sliding-window mask [S, S]: MASKED where |i − j| > local_attention / 2. */
  private windowBias(backend: Backend, s: number): Tensor {
    const half = num(this.config, 'local_attention') / 2;
    const m = new Float32Array(s * s);
    for (let i = 0; i < s; i++) for (let j = 0; j < s; j++) m[i * s + j] = Math.abs(i - j) > half ? MASKED : 0;
    return Tensor.fromData(backend, m, [s, s]);
  }

  /** Last hidden state after final_norm, [B, S, H]. With a TrainContext, dropout (embedding, attention, mlp) is on. */
  forward(t: TokenBatch, train?: TrainContext): Tensor {
    const backend = this.w.backend;
    const c = this.config;
    const h = this.hidden;
    const d = h / this.heads;
    const maxLen = num(c, 'max_position_embeddings');
    if (t.seq > maxLen) throw new Error(`${t.seq} tokens exceed the model's maximum of ${maxLen}: truncate the input`);
    const pAttn = prob(c, 'attention_dropout');
    const pMlp = prob(c, 'mlp_dropout');
    let x = drop(this.embNorm.forward(embed(this.tok, t.ids, t.batch, t.seq)), prob(c, 'embedding_dropout'), train);
    const pad = paddingBias(backend, t);
    const local = add(pad, this.windowBias(backend, t.seq));
    const ropeG = rotaryTables(backend, t.seq, d, num(c, 'global_rope_theta'));
    const ropeL = rotaryTables(backend, t.seq, d, num(c, 'local_rope_theta'));
    for (const L of this.layers) {
      const y = L.attnNorm === null ? x : L.attnNorm.forward(x);
      // [B, S, 3H] → [3, B, heads, S, d]
      const qkv = permute(reshape(L.wqkv.forward(y, train), [t.batch, t.seq, 3, this.heads, d]), [2, 0, 3, 1, 4]);
      const part = (j: number): Tensor => reshape(slice(qkv, 0, j, j + 1), [t.batch, this.heads, t.seq, d]);
      const rope = L.global ? ropeG : ropeL;
      const q = rotary(part(0), rope.cos, rope.sin);
      const k = rotary(part(1), rope.cos, rope.sin);
      const a = mergeHeads(scaledDotAttention(q, k, part(2), L.global ? pad : local, pAttn, train));
      x = add(x, drop(L.wo.forward(a, train), pAttn, train));
      const gi = L.wi.forward(L.mlpNorm.forward(x), train);
      const inter = gi.shape[2] / 2;
      const glu = drop(mul(this.act(slice(gi, -1, 0, inter)), slice(gi, -1, inter, 2 * inter)), pMlp, train);
      x = add(x, L.mlpWo.forward(glu, train));
    }
    return this.finalNorm.forward(x);
  }

  linears(): Map<string, Linear> {
    const m = new Map<string, Linear>();
    for (const L of this.layers) for (const lin of [L.wqkv, L.wo, L.wi, L.mlpWo]) m.set(lin.name, lin);
    return m;
  }
}

export class ModernBertHead {
  readonly dense: Linear;
  readonly norm: LayerNorm;
  readonly classifier: Linear;
  private readonly act: Activation;
  constructor(
    w: WeightStore,
    private readonly config: Config,
    labels: number,
  ) {
    const h = num(config, 'hidden_size');
    this.dense = Linear.load(w, 'head.dense', h, h, config.classifier_bias === true);
    this.norm = LayerNorm.load(w, 'head.norm', h, num(config, 'norm_eps'), false);
    this.classifier = Linear.load(w, 'classifier', h, labels);
    this.act = activation(config.classifier_activation);
  }
  forward(hidden: Tensor, t: TokenBatch, train?: TrainContext): Tensor {
    const pooled = poolTensor(hidden, t, this.config.classifier_pooling === 'mean' ? 'mean' : 'cls');
    const y = drop(this.norm.forward(this.act(this.dense.forward(pooled, train))), prob(this.config, 'classifier_dropout'), train);
    return this.classifier.forward(y, train);
  }
}
