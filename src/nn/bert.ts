/**
 * Post-norm BERT-family encoders (BERT, RoBERTa, DistilBERT) and their classification heads, loaded by HF names.
 * Math as in ../shared/tools/make_fixture.py: embeddings → LayerNorm → per layer
 *   x = LN(x + Wo·attn(x)),  x = LN(x + W2·gelu(W1·x)).
 */
import { Tensor, add, gelu, relu, slice, reshape, tanh, type Backend } from '../grad';
import { LayerNorm, Linear, WeightStore, embed, mergeHeads, paddingBias, scaledDotAttention, splitHeads, type TokenBatch } from './layers';

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

  /** Last hidden state [B, S, H]. */
  forward(t: TokenBatch): Tensor {
    const backend: Backend = this.w.backend;
    let x = add(embed(this.word, t.ids, t.batch, t.seq), embed(this.pos, this.positions(t), t.batch, t.seq));
    // NOTE: token_type_ids are all 0 here (single-segment classification), so row 0 is broadcast.
    if (this.type !== null) x = add(x, slice(this.type, 0, 0, 1));
    x = this.embLn.forward(x);
    const bias = paddingBias(backend, t);
    for (const L of this.layers) {
      const q = splitHeads(L.q.forward(x), this.heads);
      const k = splitHeads(L.k.forward(x), this.heads);
      const v = splitHeads(L.v.forward(x), this.heads);
      const ctx = mergeHeads(scaledDotAttention(q, k, v, bias));
      x = L.ln1.forward(add(L.o.forward(ctx), x));
      x = L.ln2.forward(add(L.ff2.forward(gelu(L.ff1.forward(x))), x));
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

/** The hidden state of the first token, [B, H]. */
export function firstToken(x: Tensor): Tensor {
  const [b, , h] = x.shape;
  return reshape(slice(x, 1, 0, 1), [b, h]);
}

/** BERT: tanh(pooler) → classifier. RoBERTa: tanh(classifier.dense) → out_proj. DistilBERT: relu(pre_classifier) → classifier. */
export class BertFamilyHead {
  readonly linears: Linear[];
  constructor(
    private readonly flavour: BertFlavour,
    w: WeightStore,
    h: number,
    labels: number,
  ) {
    if (flavour === 'bert') this.linears = [Linear.load(w, 'bert.pooler.dense', h, h), Linear.load(w, 'classifier', h, labels)];
    else if (flavour === 'roberta') this.linears = [Linear.load(w, 'classifier.dense', h, h), Linear.load(w, 'classifier.out_proj', h, labels)];
    else this.linears = [Linear.load(w, 'pre_classifier', h, h), Linear.load(w, 'classifier', h, labels)];
  }
  forward(hidden: Tensor): Tensor {
    const [first, last] = this.linears;
    const y = first.forward(firstToken(hidden));
    return last.forward(this.flavour === 'distilbert' ? relu(y) : tanh(y));
  }
}
