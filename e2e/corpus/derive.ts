/**
 * The corpus cases that are not committed files: derived at test time from ../shared/models (model folders and
 * adapters) or generated (big CSVs, training tables), so no copy of a big file enters the repository.
 * Runs in Node (vitest and the Playwright runner); the browser gets the bytes through a routed URL.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { writeSafetensors, type F32Entry } from '../../src/nn/safetensors';
import { writeAdapter, zipAdapter, type EncoderAdapterConfig } from '../../src/nn/adapter-files';

const here = path.dirname(fileURLToPath(import.meta.url));
export const corpusDir = here;
export const sharedModels = path.resolve(here, '../../../shared/models');

export interface Case {
  id: string;
  file?: string;
  derive?: string;
  hubId?: string;
  code?: string;
  error?: string;
  warning?: string;
  rows?: number;
  cells?: Record<string, string[]>;
  formula?: boolean;
  engine?: 'onnx' | 'native';
  baseModel?: string;
  accepted?: boolean;
  labels?: string[];
}

export interface Corpus {
  csv: Case[];
  model: Case[];
  adapter: Case[];
  training: Case[];
}

export const corpus: Corpus = JSON.parse(fs.readFileSync(path.join(here, 'cases.json'), 'utf8'));
export const caseCount = corpus.csv.length + corpus.model.length + corpus.adapter.length + corpus.training.length;

const enc = new TextEncoder();
const json = (v: unknown) => enc.encode(JSON.stringify(v));

// ---- CSV ----

/** A CSV case's bytes: its committed file, or a generated one. */
export function csvBytes(c: Case): Uint8Array {
  if (c.file) return new Uint8Array(fs.readFileSync(path.join(here, c.file)));
  switch (c.derive) {
    case 'single-line-50mib': {
      // 50 MiB with no line break at all: "a,b,c,…" (a mis-picked log or minified file).
      const out = new Uint8Array(50 << 20).fill(0x61);
      for (let i = 1; i < out.length; i += 2) out[i] = 0x2c;
      return out;
    }
    case 'columns-20000': {
      const header = Array.from({ length: 20000 }, (_, i) => `c${i}`).join(',');
      const row = Array.from({ length: 20000 }, (_, i) => String(i)).join(',');
      return enc.encode(`${header}\n${row}\n`);
    }
  }
  throw new Error(`no CSV for case ${c.id}`);
}

// ---- model folders ----

export const BASE = 'bert-tiny-sentiment';
const MODEL_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'model.safetensors', 'onnx/model.onnx'];

export function modelFolder(name = BASE): Record<string, Uint8Array> {
  return Object.fromEntries(MODEL_FILES.map((f) => [f, new Uint8Array(fs.readFileSync(path.join(sharedModels, name, f)))]));
}

function header(bytes: Uint8Array): { n: number; h: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { n, h: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) };
}

/** The same data block under a new header (padded with spaces to the old header's length, as the format allows). */
function withHeader(bytes: Uint8Array, edit: (h: ReturnType<typeof header>['h']) => void): Uint8Array {
  const { n, h } = header(bytes);
  edit(h);
  const text = JSON.stringify(h);
  if (text.length > n) throw new Error('edited header is longer than the original');
  const out = bytes.slice();
  out.set(enc.encode(text.padEnd(n, ' ')), 8);
  return out;
}

/** A model folder with one defect. */
export function derivedModel(c: Case): Record<string, Uint8Array> {
  const files = modelFolder();
  const config = JSON.parse(new TextDecoder().decode(files['config.json']));
  const st = files['model.safetensors'];
  switch (c.derive) {
    case 'no-config':
      delete files['config.json'];
      break;
    case 'config-without-id2label':
      delete config.id2label;
      delete config.label2id;
      files['config.json'] = json(config);
      break;
    case 'truncated-onnx':
      files['onnx/model.onnx'] = files['onnx/model.onnx'].slice(0, files['onnx/model.onnx'].length >> 1);
      break;
    case 'onnx-outputs-mismatch':
      config.id2label = { 0: 'a', 1: 'b', 2: 'c' };
      config.label2id = { a: 0, b: 1, c: 2 };
      files['config.json'] = json(config);
      break;
    case 'tokenizer-other-vocab': {
      const tok = JSON.parse(new TextDecoder().decode(files['tokenizer.json']));
      for (let i = 0; i < 500; i++) tok.model.vocab[`[extra${i}]`] = 30522 + i;
      files['tokenizer.json'] = json(tok);
      break;
    }
    case 'safetensors-overlap':
      files['model.safetensors'] = withHeader(st, (h) => {
        h['classifier.bias'].data_offsets = [h['classifier.weight'].data_offsets[0], h['classifier.weight'].data_offsets[0] + 8];
      });
      break;
    case 'safetensors-out-of-bounds':
      files['model.safetensors'] = withHeader(st, (h) => {
        const [b, e] = h['classifier.weight'].data_offsets;
        h['classifier.weight'].data_offsets = [b + 1_000_000, e + 1_000_000];
      });
      break;
    case 'safetensors-header-too-long': {
      const out = st.slice();
      new DataView(out.buffer).setBigUint64(0, BigInt(out.length), true);
      files['model.safetensors'] = out;
      break;
    }
    case 'safetensors-wrong-dtype':
      files['model.safetensors'] = withHeader(st, (h) => {
        h['classifier.weight'].dtype = 'I32';
      });
      break;
    case 'nan-weights': {
      const out = st.slice();
      const { n, h } = header(out);
      const at = 8 + n + h['classifier.weight'].data_offsets[0];
      new DataView(out.buffer).setFloat32(at, NaN, true);
      files['model.safetensors'] = out;
      break;
    }
    case 'missing-tokenizer':
      delete files['tokenizer.json'];
      break;
    default:
      throw new Error(`no model for case ${c.id}`);
  }
  return files;
}

// ---- adapters ----

/** A valid PEFT LoRA adapter (r 8 on query/value, a 2-class head) for bert-tiny-sentiment, seeded. */
export function validAdapterParts(r = 8): { config: EncoderAdapterConfig; tensors: Map<string, F32Entry> } {
  let s = 12345;
  const rand = (n: number, scale: number) => Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * scale);
  const tensors = new Map<string, F32Entry>();
  for (let layer = 0; layer < 2; layer++) {
    for (const m of ['query', 'value']) {
      const mod = `bert.encoder.layer.${layer}.attention.self.${m}`;
      tensors.set(`${mod}.lora_A.weight`, { shape: [r, 32], data: rand(r * 32, 0.2) });
      tensors.set(`${mod}.lora_B.weight`, { shape: [32, r], data: rand(32 * r, 0.2) });
    }
  }
  tensors.set('classifier.weight', { shape: [2, 32], data: rand(64, 0.5) });
  tensors.set('classifier.bias', { shape: [2], data: new Float32Array(2) });
  const config: EncoderAdapterConfig = {
    peft_type: 'LORA',
    task_type: 'SEQ_CLS',
    base_model_name_or_path: BASE,
    r,
    lora_alpha: 16,
    lora_dropout: 0,
    use_rslora: false,
    target_modules: ['query', 'value'],
    modules_to_save: ['classifier'],
    layers_to_transform: null,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    id2label: { 0: 'calm', 1: 'excited' },
    label2id: { calm: 0, excited: 1 },
  };
  return { config, tensors };
}

export const validAdapterZip = () => zipAdapter(writeAdapter(validAdapterParts()));

/** Sets a central-directory entry's declared inflated size (offset 24 of its 0x02014b50 header). */
function declareSize(zip: Uint8Array, name: string, size: number): Uint8Array {
  const out = zip.slice();
  const dv = new DataView(out.buffer);
  for (let i = 0; i + 46 < out.length; i++) {
    if (dv.getUint32(i, true) !== 0x02014b50) continue;
    const nameLen = dv.getUint16(i + 28, true);
    if (new TextDecoder().decode(out.subarray(i + 46, i + 46 + nameLen)) === name) {
      dv.setUint32(i + 24, size, true);
      return out;
    }
  }
  throw new Error(`${name} not in the zip`);
}

/** An adapter case: a zip (Uint8Array) or named files. */
export function derivedAdapter(c: Case): Uint8Array | Record<string, Uint8Array> {
  const parts = validAdapterParts();
  const files = () => writeAdapter(parts);
  switch (c.derive) {
    case 'zip-bomb-ratio': {
      // 20 MiB of zeros deflate to ~20 KiB: a ratio of ~1000.
      const f = files();
      return zipSync({ 'adapter_config.json': f['adapter_config.json'], 'adapter_model.safetensors': new Uint8Array(20 << 20) }, { level: 9 });
    }
    case 'zip-bomb-size':
      // A small zip whose directory claims a 4 GiB weights file: refused from the claim, never allocated.
      return declareSize(zipAdapter(files()), 'adapter_model.safetensors', 0xfffffff0);
    case 'wrong-base-model':
      return zipAdapter(files());
    case 'wrong-rank':
      return zipAdapter(writeAdapter({ config: { ...parts.config, r: 4 }, tensors: parts.tensors }));
    case 'wrong-shape': {
      const t = new Map(parts.tensors);
      t.set('bert.encoder.layer.0.attention.self.query.lora_A.weight', { shape: [8, 31], data: new Float32Array(8 * 31) });
      return zipAdapter(writeAdapter({ config: parts.config, tensors: t }));
    }
    case 'missing-adapter-config':
      return { 'adapter_model.safetensors': files()['adapter_model.safetensors'] };
    case 'unknown-peft-type':
      return zipAdapter(writeAdapter({ config: { ...parts.config, peft_type: 'IA3' as 'LORA' }, tensors: parts.tensors }));
    case 'lora-on-missing-module': {
      const t = new Map(parts.tensors);
      const mod = 'bert.encoder.layer.0.attention.self.gate';
      t.set(`${mod}.lora_A.weight`, { shape: [8, 32], data: new Float32Array(256) });
      t.set(`${mod}.lora_B.weight`, { shape: [32, 8], data: new Float32Array(256) });
      return zipAdapter(writeAdapter({ config: { ...parts.config, target_modules: ['query', 'value', 'gate'] }, tensors: t }));
    }
    case 'nan-adapter': {
      const t = new Map(parts.tensors);
      t.set('classifier.bias', { shape: [2], data: Float32Array.from([NaN, 0]) });
      const f = files();
      f['adapter_model.safetensors'] = writeSafetensors(Object.fromEntries([...t].map(([k, v]) => [`base_model.model.${k}`, v])), { format: 'pt' });
      return zipAdapter(f);
    }
  }
  throw new Error(`no adapter for case ${c.id}`);
}

// ---- training data ----

/** A training table (CSV text, columns id,text,label) for a training case. */
export function trainingCsv(c: Case): string {
  const rows = (n: number, label: (i: number) => string, text: (i: number) => string = (i) => `message number ${i} about ${i % 2 ? 'prizes' : 'dinner'}`) =>
    ['id,text,label', ...Array.from({ length: n }, (_, i) => `${i},${text(i)},${label(i)}`)].join('\n') + '\n';
  switch (c.derive) {
    case 'one-class':
      return rows(20, () => 'spam');
    case 'all-empty-labels':
      return rows(20, () => '');
    case 'labels-5000':
      return rows(5000, (i) => `label_${i}`);
    case 'texts-1mib':
      return rows(8, (i) => (i % 2 ? 'b' : 'a'), (i) => `${i % 2 ? 'prize' : 'dinner'} `.repeat(1 << 20).slice(0, 1 << 20));
    case 'numeric-label':
      return rows(20, (i) => String(i % 2));
  }
  throw new Error(`no training data for case ${c.id}`);
}
