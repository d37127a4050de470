/**
 * Post-norm BERT-family encoders (BERT, RoBERTa, DistilBERT) and their classification heads, loaded by HF names.
 * Math as in ../shared/tools/make_fixture.py: embeddings → LayerNorm → per layer
 *   x = LN(x + Wo·attn(x)),  x = LN(x + W2·act(W1·x)), act = hidden_act (DistilBERT: activation), usually erf GELU.
 */
import { Tensor, add, relu, slice, tanh, type Backend } from '../grad';
import { LayerNorm, Linear, WeightStore, activation, drop, type Activation, embed, mergeHeads, paddingBias, scaledDotAttention, splitHeads, type TrainContext } from './layers';
import type { TokenBatch } from './token-batch';
import { firstToken } from './pooling';

type Config = Record<string, unknown>;

function num(c: Config, key: string): number {
  const v = c[key];
  if (typeof v !== 'number') throw new Error(`config.json: ${key} missing or not a number`);
  return v;
}

interface PostNormLayer {
  q: Linear;
  k: Linear;
  v: Linear;
  o: Linear;
  ln1: LayerNorm;
  ff1: Linear;
  ff2: Linear;
  ln2: LayerNorm;
}

export type BertFlavour = 'bert' | 'roberta' | 'distilbert';

/** The encoder body: embeddings + post-norm layers. `prefix` is '' for a bare BertModel checkpoint. */
export class PostNormEncoder {
  readonly hidden: number;
  readonly heads: number;
  readonly layers: PostNormLayer[] = [];
  private readonly word: Tensor;
  private readonly pos: Tensor;
  private readonly type: Tensor | null;
  private readonly embLn: LayerNorm;
  private readonly padId: number;
  /** Dropout probabilities: hidden (embeddings, attention output, FFN output) and attention probabilities. */
  readonly pHidden: number;
  readonly pAttn: number;
  private readonly act: Activation;

  constructor(
    readonly w: WeightStore,
    readonly flavour: BertFlavour,
    readonly config: Config,
    readonly prefix: string,
  ) {
    const c = config;
    const distil = flavour === 'distilbert';
    const h = (this.hidden = num(c, distil ? 'dim' : 'hidden_size'));
    this.heads = num(c, distil ? 'n_heads' : 'num_attention_heads');
    const inter = num(c, distil ? 'hidden_dim' : 'intermediate_size');
    const eps = distil ? 1e-12 : num(c, 'layer_norm_eps');
    const n = num(c, distil ? 'n_layers' : 'num_hidden_layers');
    this.padId = typeof c.pad_token_id === 'number' ? c.pad_token_id : 0;
    this.act = activation(distil ? c.activation : c.hidden_act);
    if (distil && c.sinusoidal_pos_embds === true) throw new Error('DistilBERT with sinusoidal_pos_embds is not supported');
    if (!distil && c.position_embedding_type !== undefined && c.position_embedding_type !== 'absolute')
      throw new Error(`position_embedding_type ${JSON.stringify(c.position_embedding_type)} is not supported (absolute)`);
    this.pHidden = prob(c, distil ? 'dropout' : 'hidden_dropout_prob');
    this.pAttn = prob(c, distil ? 'attention_dropout' : 'attention_probs_dropout_prob');
    const p = prefix;
    this.word = w.get(`${p}embeddings.word_embeddings.weight`);
    this.pos = w.get(`${p}embeddings.position_embeddings.weight`);
    this.type = distil ? null : w.get(`${p}embeddings.token_type_embeddings.weight`);
    this.embLn = LayerNorm.load(w, `${p}embeddings.LayerNorm`, h, eps);
    for (let i = 0; i < n; i++) {
      if (distil) {
        const l = `${p}transformer.layer.${i}`;
        this.layers.push({
          q: Linear.load(w, `${l}.attention.q_lin`, h, h),
          k: Linear.load(w, `${l}.attention.k_lin`, h, h),
          v: Linear.load(w, `${l}.attention.v_lin`, h, h),
          o: Linear.load(w, `${l}.attention.out_lin`, h, h),
          ln1: LayerNorm.load(w, `${l}.sa_layer_norm`, h, eps),
          ff1: Linear.load(w, `${l}.ffn.lin1`, h, inter),
          ff2: Linear.load(w, `${l}.ffn.lin2`, inter, h),
          ln2: LayerNorm.load(w, `${l}.output_layer_norm`, h, eps),
        });
      } else {
        const l = `${p}encoder.layer.${i}`;
        this.layers.push({
          q: Linear.load(w, `${l}.attention.self.query`, h, h),
          k: Linear.load(w, `${l}.attention.self.key`, h, h),
          v: Linear.load(w, `${l}.attention.self.value`, h, h),
          o: Linear.load(w, `${l}.attention.output.dense`, h, h),
          ln1: LayerNorm.load(w, `${l}.attention.output.LayerNorm`, h, eps),
          ff1: Linear.load(w, `${l}.intermediate.dense`, h, inter),
          ff2: Linear.load(w, `${l}.output.dense`, inter, h),
          ln2: LayerNorm.load(w, `${l}.output.LayerNorm`, h, eps),
        });
      }
    }
  }

  /** Position ids: 0..S−1, or RoBERTa's cumsum(ids ≠ pad)·(ids ≠ pad) + pad. */
  private positions(t: TokenBatch): Int32Array {
    const pos = new Int32Array(t.batch * t.seq);
    for (let b = 0; b < t.batch; b++) {
      let run = 0;
      for (let s = 0; s < t.seq; s++) {
        const i = b * t.seq + s;
        if (this.flavour === 'roberta') {
          const real = t.ids[i] !== this.padId ? 1 : 0;
          run += real;
          pos[i] = run * real + this.padId;
        } else pos[i] = s;
      }
    }
    return pos;
  }

  /** Last hidden state [B, S, H]. With a TrainContext, dropout is on. */
  forward(t: TokenBatch, train?: TrainContext): Tensor {
    const backend: Backend = this.w.backend;
    const maxLen = this.pos.shape[0] - (this.flavour === 'roberta' ? this.padId + 1 : 0);
    if (t.seq > maxLen) throw new Error(`${t.seq} tokens exceed the model's maximum of ${maxLen}: truncate the input`);
    let x = add(embed(this.word, t.ids, t.batch, t.seq), embed(this.pos, this.positions(t), t.batch, t.seq));
    if (this.type !== null)
      // NOTE: without token_type_ids every token is segment 0: broadcast row 0 instead of a gather.
      x = add(x, t.tokenTypes !== undefined ? embed(this.type, t.tokenTypes, t.batch, t.seq) : slice(this.type, 0, 0, 1));
    x = drop(this.embLn.forward(x), this.pHidden, train);
    const bias = paddingBias(backend, t);
    for (const L of this.layers) {
      const q = splitHeads(L.q.forward(x, train), this.heads);
      const k = splitHeads(L.k.forward(x, train), this.heads);
      const v = splitHeads(L.v.forward(x, train), this.heads);
      const ctx = mergeHeads(scaledDotAttention(q, k, v, bias, this.pAttn, train));
      x = L.ln1.forward(add(drop(L.o.forward(ctx, train), this.pHidden, train), x));
      x = L.ln2.forward(add(drop(L.ff2.forward(this.act(L.ff1.forward(x, train)), train), this.pHidden, train), x));
    }
    return x;
  }

  /** Linears by HF module name (LoRA targets). */
  linears(): Map<string, Linear> {
    const m = new Map<string, Linear>();
    for (const L of this.layers) for (const lin of [L.q, L.k, L.v, L.o, L.ff1, L.ff2]) m.set(lin.name, lin);
    return m;
  }
}

/** A dropout probability from config (null / absent: 0). */
export function prob(c: Config, key: string): number {
  const v = c[key];
  return typeof v === 'number' ? v : 0;
}

/**
 * BERT: dropout(tanh(pooler(x₀))) → classifier. RoBERTa: dropout(x₀) → tanh(classifier.dense) → dropout → out_proj.
 * DistilBERT: dropout(relu(pre_classifier(x₀))) → classifier. (HF's placement of the dropouts.)
 */
export class BertFamilyHead {
  readonly linears: Linear[];
  private readonly p: number;
  constructor(
    private readonly flavour: BertFlavour,
    w: WeightStore,
    h: number,
    labels: number,
    config: Config,
  ) {
    const cd = config.classifier_dropout;
    this.p = flavour === 'distilbert' ? prob(config, 'seq_classif_dropout') : typeof cd === 'number' ? cd : prob(config, 'hidden_dropout_prob');
    if (flavour === 'bert') this.linears = [Linear.load(w, 'bert.pooler.dense', h, h), Linear.load(w, 'classifier', h, labels)];
    else if (flavour === 'roberta') this.linears = [Linear.load(w, 'classifier.dense', h, h), Linear.load(w, 'classifier.out_proj', h, labels)];
    else this.linears = [Linear.load(w, 'pre_classifier', h, h), Linear.load(w, 'classifier', h, labels)];
  }
  forward(hidden: Tensor, train?: TrainContext): Tensor {
    const [first, last] = this.linears;
    const x0 = firstToken(hidden);
    const y = first.forward(this.flavour === 'roberta' ? drop(x0, this.p, train) : x0, train);
    return last.forward(drop(this.flavour === 'distilbert' ? relu(y) : tanh(y), this.p, train), train);
  }
}
