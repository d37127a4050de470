/**
 * Adapters applied to a model, shared by training and inference. Encoder (PEFT LoRA): model surgery done on weight
 * files so the engine's loader stays the only loader — a fresh classification layer for the training labels, and
 * the adapter merged into the base. Projection head: applied to pooled embeddings on the host.
 */
import { Rng } from '../grad/rng';
import { architectureOf, type Architecture, type ModelFiles } from './sequence-classifier';
import { parseSafetensors, writeSafetensors, type F32Entry } from './safetensors';
import { adapterLabels, labelMaps, type EncoderAdapterConfig, type HeadAdapterConfig } from './adapter-files';
import { selectsModule } from './lora-targets';

/** The head modules trained in full (PEFT's `modules_to_save`). */
export const MODULES_TO_SAVE: Record<Architecture, string[]> = {
  bert: ['classifier'],
  roberta: ['classifier'],
  distilbert: ['pre_classifier', 'classifier'],
  modernbert: ['head', 'classifier'],
};

/** The last, label-sized layer of each head: replaced for the training labels. */
const OUTPUT_LAYER: Record<Architecture, string> = {
  bert: 'classifier',
  roberta: 'classifier.out_proj',
  distilbert: 'classifier',
  modernbert: 'classifier',
};

export const isHeadParam = (arch: Architecture, name: string) => MODULES_TO_SAVE[arch].some((m) => name.startsWith(`${m}.`));

/** Decoded tensors of a safetensors file: all of them, or only `names` (a big model need not be decoded whole). */
export function readAll(weights: Uint8Array, names?: readonly string[]): Map<string, F32Entry> {
  const file = parseSafetensors(weights);
  const out = new Map<string, F32Entry>();
  for (const [name, info] of file.tensors) if (!names || names.includes(name)) out.set(name, { shape: info.shape, data: file.getFloat32(name) });
  return out;
}

function toFiles(config: Record<string, unknown>, tensors: Map<string, F32Entry>): ModelFiles {
  return { config, weights: writeSafetensors(Object.fromEntries(tensors)) };
}

/**
 * The base model with its output layer re-initialised for `classes` (weights N(0, 0.02) seeded by name, as HF
 * initialises a new head; bias 0) and id2label set to them. The rest of the head starts from the base.
 */
export function withFreshHead(files: ModelFiles, classes: readonly string[], seed: number): ModelFiles {
  const arch = architectureOf(files.config);
  const tensors = readAll(files.weights);
  const out = OUTPUT_LAYER[arch];
  const weight = tensors.get(`${out}.weight`);
  if (!weight) throw new Error(`The base model has no ${out}.weight: it is not a ${arch} sequence classifier.`);
  const hidden = weight.shape[1];
  const n = classes.length;
  tensors.set(`${out}.weight`, { shape: [n, hidden], data: Rng.forKey(seed, `${out}.weight`).fillNormal(new Float32Array(n * hidden), 0.02) });
  tensors.set(`${out}.bias`, { shape: [n], data: new Float32Array(n) });
  return toFiles({ ...files.config, ...labelMaps(classes), num_labels: n }, tensors);
}

/**
 * Base weights with the adapter applied: W ← W + s·B·A for every LoRA pair (s = alpha/r, or alpha/√r with rsLoRA),
 * head modules replaced by the adapter's, id2label from the adapter. The result runs on the engine as a plain model.
 */
export function mergeEncoderAdapter(base: ModelFiles, config: EncoderAdapterConfig, adapter: Map<string, F32Entry>): ModelFiles {
  const tensors = readAll(base.weights);
  const scaling = config.use_rslora ? config.lora_alpha / Math.sqrt(config.r) : config.lora_alpha / config.r;
  for (const [name, A] of adapter) {
    if (!name.endsWith('.lora_A.weight')) continue;
    const module = name.slice(0, -'.lora_A.weight'.length);
    if (!selectsModule(config.target_modules as string[] | string, config.layers_to_transform, module)) {
      throw new Error(`The adapter has LoRA weights for ${module}, which its target_modules / layers_to_transform do not select.`);
    }
    const B = adapter.get(`${module}.lora_B.weight`);
    const W = tensors.get(`${module}.weight`);
    if (!B) throw new Error(`The adapter has ${name} but no ${module}.lora_B.weight.`);
    if (!W) throw new Error(`The adapter targets ${module}, which the base model does not have: is it the right base model?`);
    const [out, inF] = W.shape;
    const r = A.shape[0];
    if (A.shape[1] !== inF || B.shape[0] !== out || B.shape[1] !== r) {
      throw new Error(`${module}: LoRA shapes A [${A.shape}] and B [${B.shape}] do not fit the weight [${W.shape}].`);
    }
    const merged = Float32Array.from(W.data);
    for (let o = 0; o < out; o++) {
      for (let k = 0; k < r; k++) {
        const b = scaling * B.data[o * r + k];
        if (b === 0) continue;
        const row = o * inF;
        const arow = k * inF;
        for (let i = 0; i < inF; i++) merged[row + i] += b * A.data[arow + i];
      }
    }
    tensors.set(`${module}.weight`, { shape: W.shape, data: merged });
  }
  for (const [name, t] of adapter) {
    if (!name.includes('.lora_A.') && !name.includes('.lora_B.')) tensors.set(name, t);
  }
  const classes = adapterLabels({ config, tensors: adapter }, base.config.id2label as Record<string, string> | undefined);
  return toFiles({ ...base.config, ...labelMaps(classes), num_labels: classes.length }, tensors);
}

/** Scales each row to unit L2 norm (a zero row stays zero). */
export function l2Normalize(rows: Float32Array[]): Float32Array[] {
  return rows.map((r) => {
    let n = 0;
    for (const v of r) n += v * v;
    n = Math.sqrt(n);
    return n === 0 ? Float32Array.from(r) : r.map((v) => v / n);
  });
}

/** A projection-head adapter's tensors, rank r, embedding dim, class count and LoRA scale s. */
export function projectionHeadParts(config: HeadAdapterConfig, tensors: Map<string, F32Entry>) {
  const get = (name: string) => {
    const t = tensors.get(name);
    if (!t) throw new Error(`The projection-head adapter has no ${name}.`);
    return t;
  };
  const A = get('projection.lora_A.weight');
  const B = get('projection.lora_B.weight');
  const W = get('classifier.weight');
  const bias = get('classifier.bias');
  const [r, dim] = A.shape;
  const classes = W.shape[0];
  const s = config.use_rslora ? config.lora_alpha / Math.sqrt(config.r) : config.lora_alpha / config.r;
  return { A, B, W, bias, r, dim, classes, s };
}

/** Applies a saved projection head to embeddings on the CPU: logits per row (the inference path). */
export function applyProjectionHead(config: HeadAdapterConfig, tensors: Map<string, F32Entry>, embeddings: Float32Array[]): Float32Array[] {
  const { A, B, W, bias, r, dim, classes: n, s } = projectionHeadParts(config, tensors);
  return l2Normalize(embeddings).map((x) => {
    if (x.length !== dim) throw new Error(`Embeddings have ${x.length} dimensions; the adapter expects ${dim}.`);
    const ax = new Float32Array(r);
    for (let k = 0; k < r; k++) for (let i = 0; i < dim; i++) ax[k] += A.data[k * dim + i] * x[i];
    const z = Float32Array.from(x);
    for (let i = 0; i < dim; i++) for (let k = 0; k < r; k++) z[i] += s * B.data[i * r + k] * ax[k];
    const logits = new Float32Array(n);
    for (let c = 0; c < n; c++) {
      let v = bias.data[c];
      for (let i = 0; i < dim; i++) v += W.data[c * dim + i] * z[i];
      logits[c] = v;
    }
    return logits;
  });
}
