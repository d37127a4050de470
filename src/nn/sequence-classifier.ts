/**
 * loadClassifier: config.json + model.safetensors (HF names) → a sequence classifier on a grad backend.
 * Plain data in, tensors out: usable from a web worker (no Node APIs).
 */
import { type Backend, type Tensor } from '../grad';
import { architectureOf, type Architecture } from './architecture';
import { BertFamilyHead, PostNormEncoder } from './bert';

export { architectureOf, type Architecture };
import { Linear, WeightStore, type LoraConfig, type TrainContext } from './layers';
import { selectsModule, type TargetModules } from './lora-targets';
import { toTokenBatch, type TokenBatch } from './token-batch';
import { ModernBertEncoder, ModernBertHead } from './modernbert';

export interface ModelFiles {
  /** Parsed config.json. */
  config: Record<string, unknown>;
  /** Bytes of model.safetensors. */
  weights: Uint8Array;
}


export type Ids = readonly (readonly number[])[];

export interface SequenceClassifier {
  readonly architecture: Architecture;
  readonly config: Record<string, unknown>;
  /** Label names by class index (config.id2label). */
  readonly labels: string[];
  /** Every parameter by name (HF names; LoRA matrices as `<module>.lora_A.weight` / `.lora_B.weight`). */
  readonly params: Map<string, Tensor>;
  /** Logits [batch, labels]. Wrap in tidy() to free intermediates. `train` turns dropout on (seeded by its rng). */
  forward(inputIds: Ids | TokenBatch, attentionMask?: Ids, train?: TrainContext): Tensor;
  /** Last hidden state [batch, seq, hidden]. */
  encode(inputIds: Ids | TokenBatch, attentionMask?: Ids, train?: TrainContext): Tensor;
  /** Every linear layer by HF module name (encoder and head): where LoRA adapters can go. */
  linears(): Map<string, Linear>;
  /** Attach LoRA to the linears `targets` selects (names, e.g. ['query', 'value'], or a regex: see ./lora-targets); returns the new params. */
  addLora(targets: TargetModules, cfg: LoraConfig): Tensor[];
  dispose(): void;
}

function labelsOf(config: Record<string, unknown>): string[] {
  const m = config.id2label;
  if (m === null || typeof m !== 'object') throw new Error('config.json has no id2label: not a classification model');
  const entries = Object.entries(m as Record<string, unknown>).map(([k, v]) => [Number(k), String(v)] as const);
  entries.sort((a, b) => a[0] - b[0]);
  if (entries.some(([k], i) => k !== i)) throw new Error('config.json id2label keys must be 0..n−1');
  return entries.map(([, v]) => v);
}

function build(files: ModelFiles, backend: Backend, withHead: boolean): SequenceClassifier {
  const config = files.config;
  const arch = architectureOf(config);
  const w = new WeightStore(files.weights, backend);
  const labels = withHead ? labelsOf(config) : [];
  let encodeT: (t: TokenBatch, train?: TrainContext) => Tensor;
  let headT: (h: Tensor, t: TokenBatch, train?: TrainContext) => Tensor;
  let linears: () => Map<string, Linear>;
  try {
    if (arch === 'modernbert') {
      const enc = new ModernBertEncoder(w, config);
      const head = withHead ? new ModernBertHead(w, config, labels.length) : null;
      encodeT = (t, train) => enc.forward(t, train);
      headT = (h, t, train) => (head as ModernBertHead).forward(h, t, train);
      linears = () => {
        const m = enc.linears();
        if (head) for (const l of [head.dense, head.classifier]) m.set(l.name, l);
        return m;
      };
    } else {
      const prefix = !withHead && arch === 'bert' && !w.has('bert.embeddings.word_embeddings.weight') ? '' : `${arch}.`;
      const enc = new PostNormEncoder(w, arch, config, prefix);
      const head = withHead ? new BertFamilyHead(arch, w, enc.hidden, labels.length, config) : null;
      encodeT = (t, train) => enc.forward(t, train);
      headT = (h, _t, train) => (head as BertFamilyHead).forward(h, train);
      linears = () => {
        const m = enc.linears();
        if (head) for (const l of head.linears) m.set(l.name, l);
        return m;
      };
    }
  } catch (e) {
    w.dispose();
    throw e;
  }
  return {
    architecture: arch,
    config,
    labels,
    params: w.params,
    forward(ids, mask, train) {
      if (!withHead) throw new Error('this model has no classification head');
      const t = toTokenBatch(ids, mask);
      return headT(encodeT(t, train), t, train);
    },
    encode(ids, mask, train) {
      return encodeT(toTokenBatch(ids, mask), train);
    },
    linears,
    addLora(targets, cfg) {
      const out: Tensor[] = [];
      for (const [name, lin] of linears()) {
        if (!selectsModule(targets, null, name)) continue;
        const { A, B } = lin.attachLora(w, cfg);
        out.push(A, B);
      }
      if (out.length === 0) throw new Error(`addLora: no linear matches ${typeof targets === 'string' ? targets : targets.join(', ')}`);
      return out;
    },
    dispose() {
      w.dispose();
    },
  };
}

/** A sequence classifier (BERT, RoBERTa, DistilBERT, ModernBERT) from HF files. All parameters start frozen. */
export function loadClassifier(files: ModelFiles, backend: Backend): SequenceClassifier {
  return build(files, backend, true);
}

/** A bare encoder (e.g. a BertModel checkpoint for embeddings): use `encode`. */
export function loadEncoder(files: ModelFiles, backend: Backend): SequenceClassifier {
  return build(files, backend, false);
}
