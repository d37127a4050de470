/**
 * "Export as model": a fine-tuned model as a Hub-layout folder that runs without this app —
 * `config.json` (the trained id2label / label2id), the tokenizer files, `onnx/model.onnx` and `model.safetensors`.
 *
 * - Encoder target: the LoRA update merged into the base weights (W + s·B·A) and the trained head, written into the
 *   base model's own ONNX graph (its initializers replaced) and into its safetensors (HF names, loadable by PyTorch).
 * - Head target: the base embedding model's graph with pooling, L2 normalisation, the projection (identity + s·B·A,
 *   merged) and the classifier appended (`logits`); the safetensors hold the encoder plus
 *   `jammi_head.projection.weight` and `jammi_head.classifier.weight` / `.bias`.
 */
import { strToU8, zipSync } from 'fflate';
import { JammiError } from '../errors';
import { adapterLabels, labelMaps, readAdapter, type EncoderAdapterConfig, type HeadAdapterConfig } from './adapter-files';
import { mergeEncoderAdapter, projectionHeadParts, readAll } from './adapter-merge';
import { appendProjectionHead, HEAD_PARAMS, logitsOutput } from './onnx-head';
import { decodeModel, encodeModel, OnnxError } from './onnx-proto';
import { locateWeights, replaceWeights } from './onnx-weights';
import { writeSafetensors, type F32Entry } from './safetensors';

/** The tokenizer files copied from the base when it has them (WordPiece, BPE and SentencePiece layouts). */
export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.txt',
  'vocab.json',
  'merges.txt',
  'sentencepiece.bpe.model',
  'spiece.model',
];

/** Reads one file of the base model; null when the model has no such file. */
export type ReadBaseFile = (file: string) => Promise<Uint8Array | null>;

/** A base model or adapter that cannot be exported (a missing file, a weight not found in the graph). */
export class ExportError extends JammiError {
  constructor(message: string) {
    super('model_config', message);
  }
}

export interface ExportInfo {
  /** The fine-tuned model's id, written into config.json as provenance. */
  modelId: string;
  /** The base model's name. */
  baseModel: string;
}

const json = (value: unknown) => strToU8(JSON.stringify(value, null, 2) + '\n');

async function need(read: ReadBaseFile, file: string): Promise<Uint8Array> {
  const bytes = await read(file);
  if (!bytes) throw new ExportError(`Export needs the base model's ${file}, which it does not have.`);
  return bytes;
}

/** The exported folder's files by path (`onnx/model.onnx` …), from the base model's files and the adapter's two. */
export async function exportModelFolder(read: ReadBaseFile, adapterFiles: Record<string, Uint8Array>, info: ExportInfo): Promise<Record<string, Uint8Array>> {
  const adapter = readAdapter(adapterFiles);
  const baseConfig = JSON.parse(new TextDecoder().decode(await need(read, 'config.json'))) as Record<string, unknown>;
  const onnxBytes = await need(read, 'onnx/model.onnx');
  const weights = await need(read, 'model.safetensors');
  const model = decodeModel(onnxBytes);
  const out: Record<string, Uint8Array> = {};
  let config: Record<string, unknown>;
  let tensors: Map<string, F32Entry>;

  try {
    if ('peft_type' in adapter.config) {
      const ac = adapter.config as EncoderAdapterConfig;
      const merged = mergeEncoderAdapter({ config: baseConfig, weights }, ac, adapter.tensors);
      tensors = readAll(merged.weights);
      // What changed: every weight LoRA touched, and every head tensor the adapter carries.
      const changed = [...adapter.tensors.keys()].map((n) => n.replace(/\.lora_[AB]\.weight$/, '.weight'));
      const names = [...new Set(changed)];
      replaceWeights(locateWeights(model.graph!, readAll(weights, names), names), tensors);
      const classes = merged.config.num_labels as number;
      const logits = (model.graph!.output ?? []).find((o) => o.name === 'logits');
      if (!logits) throw new OnnxError('the base graph has no "logits" output: is it a sequence-classification model?');
      const batch = logits.type?.tensorType?.shape?.dim?.[0]?.dimParam || 'batch_size';
      model.graph!.output = model.graph!.output!.map((o) => (o === logits ? logitsOutput(batch, classes) : o));
      config = { ...merged.config };
    } else {
      const hc = adapter.config as HeadAdapterConfig;
      // A missing tensor throws a plain Error, which the catch below turns into an ExportError.
      const { A, B, W, bias, r, dim, classes, s } = projectionHeadParts(hc, adapter.tensors);
      const projection = new Float32Array(dim * dim);
      for (let i = 0; i < dim; i++) {
        for (let j = 0; j < dim; j++) {
          let v = i === j ? 1 : 0;
          for (let k = 0; k < r; k++) v += s * B.data[i * r + k] * A.data[k * dim + j];
          projection[i * dim + j] = v;
        }
      }
      appendProjectionHead(model, { pooling: hc.pooling, projection, classifierWeight: W.data, classifierBias: bias.data, classes, dim });
      tensors = readAll(weights);
      tensors.set(HEAD_PARAMS.projection, { shape: [dim, dim], data: projection });
      tensors.set(HEAD_PARAMS.weight, W);
      tensors.set(HEAD_PARAMS.bias, bias);
      const labels = adapterLabels(adapter);
      config = {
        ...baseConfig,
        ...labelMaps(labels),
        num_labels: labels.length,
        jammi_head: {
          pooling: hc.pooling,
          normalize: true,
          ops: 'logits = jammi_head.classifier(jammi_head.projection(l2_normalize(pool(last_hidden_state, attention_mask))))',
        },
      };
    }
  } catch (e) {
    if (e instanceof JammiError) throw e;
    throw new ExportError((e as Error).message);
  }
  config.problem_type = 'single_label_classification';
  const target = 'peft_type' in adapter.config ? 'encoder' : 'head';
  config.jammi = { fine_tuned: info.modelId, base_model: info.baseModel, target };
  model.producerName = 'jammi-web';
  model.docString = `${info.modelId}: ${target}-target fine-tune of ${info.baseModel}`;

  out['config.json'] = json(config);
  for (const file of TOKENIZER_FILES) {
    const bytes = await read(file);
    if (bytes) out[file] = bytes;
  }
  if (!out['tokenizer.json']) throw new ExportError("Export needs the base model's tokenizer.json, which it does not have.");
  out['onnx/model.onnx'] = encodeModel(model);
  out['model.safetensors'] = writeSafetensors(Object.fromEntries(tensors), { format: 'pt' });
  return out;
}

/** The folder as one zip, under a top folder `name/` (deterministic: fixed timestamps). */
export function zipModelFolder(name: string, files: Record<string, Uint8Array>): Uint8Array {
  const entries: Record<string, Uint8Array> = {};
  for (const [path, bytes] of Object.entries(files)) entries[`${name}/${path}`] = bytes;
  return zipSync(entries, { mtime: new Date('2000-01-01T00:00:00Z'), level: 6 });
}

