/**
 * "Export as model", checked end to end in Node: train a real adapter for a few steps, export the folder, and compare
 * the exported model's probabilities with our own inference of the fine-tuned model (the path `infer` takes for
 * `jammi:fine-tuned:<id>`) on the same rows, in onnxruntime-node and in transformers.js' text-classification pipeline.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import * as ortNode from 'onnxruntime-node';
import { env, pipeline } from '@huggingface/transformers';
import { afterAll, describe, expect, it } from 'vitest';
import { JsBackend } from '../grad';
import { softmax } from '../infer/head';
import { NativeClassifier } from '../infer/native-classifier';
import { TextTokenizer } from '../infer/tokenizer';
import { readAdapter, writeAdapter, type HeadAdapterConfig } from '../nn/adapter-files';
import { applyProjectionHead, l2Normalize } from '../nn/adapter-merge';
import { exportModelFolder, zipModelFolder } from '../nn/model-export';
import { pool } from '../nn/pooling';
import { padBatch } from '../nn/token-batch';
import { resolveConfig } from './config';
import { setupEncoderTarget } from './encoder-target';
import { setupHeadTarget } from './head-target';
import { trainLoop } from './loop';
import { modelFiles, sharedDir, smsSpamSplits } from './sms-fixture';

const PYTHON = process.env.JAMMI_TORCH_PYTHON ?? '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
if (!hasTorch) console.warn(`export-model.test: PyTorch is absent (${PYTHON}): skipping the model.safetensors check in PyTorch`);

/** Probabilities from PyTorch on the exported model.safetensors (testdata/exported_torch.py), padded as one batch. */
function torchProbs(dir: string, tokenizer: TextTokenizer, texts: string[]): number[][] {
  const { seq, inputs } = padBatch(texts.map((t) => tokenizer.encode(t)), tokenizer.padId);
  const rows = (a: BigInt64Array) => texts.map((_, i) => [...a.subarray(i * seq, (i + 1) * seq)].map(Number));
  const file = path.join(dir, 'inputs.json');
  fs.writeFileSync(file, JSON.stringify({ input_ids: rows(inputs.input_ids), attention_mask: rows(inputs.attention_mask) }));
  const run = spawnSync(PYTHON, [path.resolve(__dirname, 'testdata/exported_torch.py'), path.join(sharedDir, 'tools'), dir, file], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`exported_torch.py failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jammi-export-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const baseDir = (name: string) => path.join(sharedDir, 'models', name);
const readBase = (name: string) => async (file: string) => {
  const p = path.join(baseDir(name), file);
  return fs.existsSync(p) ? new Uint8Array(fs.readFileSync(p)) : null;
};

/** A few short SMS rows (under 128 tokens, so every tokenizer keeps the same ids), both classes. */
async function sample() {
  const splits = await smsSpamSplits();
  const { data } = splits;
  const pickRows = (label: number, n: number) => splits.train.rows.filter((r) => data.labels[r] === label && data.texts[r].trim().length > 0 && data.texts[r].length < 300).slice(0, n);
  const trainRows = [...pickRows(0, 24), ...pickRows(1, 24)];
  const testRows = splits.test.rows.filter((r) => data.texts[r].trim().length > 0 && data.texts[r].length < 300).slice(0, 24);
  return { data, train: { rows: trainRows, labels: trainRows.map((r) => data.labels[r]) }, validation: { rows: testRows.slice(0, 8), labels: testRows.slice(0, 8).map((r) => data.labels[r]) }, texts: testRows.map((r) => data.texts[r]) };
}

const fewSteps = (target: 'encoder' | 'head') => resolveConfig(target, { epochs: 1, batch_size: 16, learning_rate: target === 'head' ? 5e-2 : 1e-2, warmup_ratio: 0, early_stopping_patience: 0, lora_dropout: 0 });

function writeFolder(name: string, files: Record<string, Uint8Array>): string {
  const dir = path.join(tmp, name);
  // Through the zip the app downloads: what is unzipped is what a user gets.
  for (const [p, bytes] of Object.entries(unzipSync(zipModelFolder(name, files)))) {
    fs.mkdirSync(path.dirname(path.join(tmp, p)), { recursive: true });
    fs.writeFileSync(path.join(tmp, p), bytes);
  }
  return dir;
}

/** Probabilities from onnxruntime-node on the exported onnx/model.onnx, one row at a time and as one padded batch. */
async function ortProbs(dir: string, tokenizer: TextTokenizer, texts: string[]): Promise<number[][]> {
  const session = await ortNode.InferenceSession.create(path.join(dir, 'onnx/model.onnx'));
  expect(session.outputNames).toEqual(['logits']);
  const rows = texts.map((t) => tokenizer.encode(t));
  const { seq, inputs } = padBatch(rows, tokenizer.padId);
  const feeds: Record<string, ortNode.Tensor> = {};
  for (const name of session.inputNames) feeds[name] = new ortNode.Tensor('int64', inputs[name as keyof typeof inputs], [rows.length, seq]);
  const out = (await session.run(feeds)).logits;
  const classes = out.dims[1] as number;
  const data = out.data as Float32Array;
  await session.release();
  return rows.map((_, i) => [...softmax(data.subarray(i * classes, (i + 1) * classes))]);
}

/** Probabilities from transformers.js' pipeline, by the exported config's label order. */
async function pipelineProbs(dir: string, labels: string[], texts: string[]): Promise<number[][]> {
  env.localModelPath = path.dirname(dir) + path.sep;
  env.allowLocalModels = true;
  env.allowRemoteModels = false;
  const classify = await pipeline('text-classification', path.basename(dir), { dtype: 'fp32' });
  const out = (await classify(texts, { top_k: null })) as unknown as { label: string; score: number }[][];
  await classify.dispose();
  return out.map((row) => labels.map((l) => row.find((s) => s.label === l)!.score));
}

function maxDelta(a: number[][], b: number[][]): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  a.forEach((row, i) => row.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i][j])))));
  return m;
}

const probsOf = (allScoresJson: string, labels: string[]) => {
  const s = JSON.parse(allScoresJson) as Record<string, number>;
  return labels.map((l) => s[l]);
};

describe('export as model: encoder target', () => {
  it.each(['bert-tiny-sentiment', 'modernbert-tiny-cls', 'roberta-tiny-spam', 'distilbert-tiny-emotion'])('%s: merged LoRA + head in ONNX gives the fine-tuned model’s probabilities', async (baseName) => {
    const { data, train, validation, texts } = await sample();
    const { tokenizer, ...files } = modelFiles(baseName);
    const tokens = data.texts.map((t) => tokenizer.encode(t));
    const config = fewSteps('encoder');
    const setup = setupEncoderTarget({ files, baseModel: baseName, backend: new JsBackend(), config, classes: data.classes, tokens, padId: tokenizer.padId });
    await trainLoop({ model: setup.trainable, config, train, validation, classes: data.classes });
    const adapterFiles = writeAdapter(await setup.adapter());
    setup.dispose();
    const adapter = readAdapter(adapterFiles);
    const bNorm = Math.max(...[...adapter.tensors].filter(([n]) => n.endsWith('lora_B.weight')).map(([, t]) => Math.max(...t.data.map(Math.abs))));
    expect(bNorm).toBeGreaterThan(1e-4); // a real adapter: training moved B off zero

    const modelId = `jammi:fine-tuned:test-${baseName}`;
    const exported = await exportModelFolder(readBase(baseName), adapterFiles, { modelId, baseModel: baseName });
    const dir = writeFolder(`${baseName}-export`, exported);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(cfg.id2label).toEqual({ 0: 'ham', 1: 'spam' });
    expect(cfg.label2id).toEqual({ ham: 0, spam: 1 });
    expect(cfg.num_labels).toBe(2);
    expect(fs.existsSync(path.join(dir, 'tokenizer.json'))).toBe(true);

    // Ours: the native engine with the adapter merged, as `infer` runs `jammi:fine-tuned:<id>`.
    const blobs = Object.fromEntries(fs.readdirSync(baseDir(baseName), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => {
      const full = path.join(e.parentPath, e.name);
      return [path.relative(baseDir(baseName), full), new Blob([fs.readFileSync(full)])];
    }));
    const native = await NativeClassifier.load({ ref: { kind: 'local', model: { name: baseName, files: blobs } }, backend: 'wasm', adapter: { files: adapterFiles, modelId } });
    const ours = (await native.classify(texts)).predictions.map((p) => probsOf(p.allScoresJson, data.classes));
    await native.release();

    const viaOrt = await ortProbs(dir, new TextTokenizer(JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')), JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8')), 128), texts);
    const viaPipeline = await pipelineProbs(dir, data.classes, texts);
    const dOrt = maxDelta(viaOrt, ours);
    const dPipe = maxDelta(viaPipeline, ours);
    // model.safetensors for PyTorch users: HF names, loaded strictly into a plain-PyTorch re-statement of the class.
    const dTorch = hasTorch ? maxDelta(torchProbs(dir, tokenizer, texts), ours) : NaN;
    console.log(`${baseName} encoder export: max |Δp| onnxruntime-node ${dOrt.toExponential(2)}, transformers.js ${dPipe.toExponential(2)}, PyTorch (model.safetensors) ${dTorch.toExponential(2)} over ${texts.length} rows`);
    expect(dOrt).toBeLessThan(1e-4);
    expect(dPipe).toBeLessThan(1e-4);
    if (hasTorch) expect(dTorch).toBeLessThan(1e-4);
    // The comparison can fail: the same export without the LoRA update (B = 0, head kept) is measurably off.
    const noLora = writeAdapter({ config: adapter.config, tensors: new Map([...adapter.tensors].map(([n, t]) => [n, n.endsWith('lora_B.weight') ? { shape: t.shape, data: new Float32Array(t.data.length) } : t])) });
    const dirNoLora = writeFolder(`${baseName}-export-no-lora`, await exportModelFolder(readBase(baseName), noLora, { modelId, baseModel: baseName }));
    const dNoLora = maxDelta(await ortProbs(dirNoLora, tokenizer, texts), ours);
    console.log(`${baseName}: without the LoRA merge max |Δp| would be ${dNoLora.toExponential(2)}`);
    expect(dNoLora).toBeGreaterThan(1e-3);

    // model.safetensors: merged HF names, the new head's shape.
    const st = fs.readFileSync(path.join(dir, 'model.safetensors'));
    const header = JSON.parse(st.subarray(8, 8 + Number(st.readBigUInt64LE(0))).toString('utf8'));
    expect(header.__metadata__).toEqual({ format: 'pt' });
    expect(header[baseName.startsWith('roberta') ? 'classifier.out_proj.weight' : 'classifier.weight'].shape[0]).toBe(2);
    expect(Object.keys(header).some((k) => k.includes('lora'))).toBe(false);
  }, 600_000);
});

describe('export as model: head target', () => {
  it.each([
    ['bert-tiny-embed', 'mean'],
    ['bert-mini-mlm-embed', 'mean'],
    ['bert-tiny-embed', 'cls'],
  ] as const)('%s, %s pooling: pooling + normalisation + projection + classifier appended to the graph', async (baseName, pooling) => {
    const { data, train, validation, texts } = await sample();
    const dir0 = baseDir(baseName);
    const tokenizer = new TextTokenizer(JSON.parse(fs.readFileSync(path.join(dir0, 'tokenizer.json'), 'utf8')), JSON.parse(fs.readFileSync(path.join(dir0, 'tokenizer_config.json'), 'utf8')), 128);
    // Base embeddings as the app's embedder computes them: the base ONNX model, then `pool` (by 1_Pooling; cls forced here).
    const session = await ortNode.InferenceSession.create(path.join(dir0, 'onnx/model.onnx'));
    const embed = async (rows: string[]) => {
      const out: Float32Array[] = [];
      for (const text of rows) {
        const { seq, inputs } = padBatch([tokenizer.encode(text)], tokenizer.padId);
        const feeds: Record<string, ortNode.Tensor> = {};
        for (const name of session.inputNames) feeds[name] = new ortNode.Tensor('int64', inputs[name as keyof typeof inputs], [1, seq]);
        const h = (await session.run(feeds)).last_hidden_state;
        out.push(pool(h.data as Float32Array, 0, inputs.attention_mask, 0, seq, h.dims[2] as number, pooling));
      }
      return out;
    };
    const allRows = [...train.rows, ...validation.rows];
    const vectors = l2Normalize(await embed(allRows.map((r) => data.texts[r])));
    // Indexed by row of the whole source (only the train and validation rows are read).
    const embeddings: Float32Array[] = Array.from({ length: data.texts.length }, () => new Float32Array(vectors[0].length));
    allRows.forEach((r, i) => (embeddings[r] = vectors[i]));
    const config = fewSteps('head');
    const setup = setupHeadTarget({ backend: new JsBackend(), config, classes: data.classes, embeddings, baseModel: baseName, pooling });
    await trainLoop({ model: setup.trainable, config, train, validation, classes: data.classes });
    const adapterFiles = writeAdapter(await setup.adapter());
    setup.dispose();
    const adapter = readAdapter(adapterFiles);
    expect(Math.max(...adapter.tensors.get('projection.lora_B.weight')!.data.map(Math.abs))).toBeGreaterThan(1e-3); // the projection trained

    const modelId = `jammi:fine-tuned:test-${baseName}`;
    const exported = await exportModelFolder(readBase(baseName), adapterFiles, { modelId, baseModel: baseName });
    const dir = writeFolder(`${baseName}-${pooling}-head-export`, exported);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(cfg.id2label).toEqual({ 0: 'ham', 1: 'spam' });
    expect(cfg.jammi_head).toMatchObject({ pooling, normalize: true });
    const st = fs.readFileSync(path.join(dir, 'model.safetensors'));
    const names = Object.keys(JSON.parse(st.subarray(8, 8 + Number(st.readBigUInt64LE(0))).toString('utf8')));
    expect(names).toEqual(expect.arrayContaining(['jammi_head.projection.weight', 'jammi_head.classifier.weight', 'jammi_head.classifier.bias', 'embeddings.word_embeddings.weight']));
    expect(names).not.toContain('classifier.weight'); // HF's sequence-classification head would take it for its own

    // Ours: base embeddings, then the saved head on the CPU, as `infer` runs a head-target fine-tune.
    const ours = applyProjectionHead(adapter.config as HeadAdapterConfig, adapter.tensors, await embed(texts)).map((l) => [...softmax(l)]);
    await session.release();
    const viaOrt = await ortProbs(dir, tokenizer, texts);
    const viaPipeline = await pipelineProbs(dir, data.classes, texts);
    const dOrt = maxDelta(viaOrt, ours);
    const dPipe = maxDelta(viaPipeline, ours);
    // The comparison can fail: without the projection's update (B = 0) the exported head is measurably off.
    const noLora = writeAdapter({ config: adapter.config, tensors: new Map([...adapter.tensors].map(([n, t]) => [n, n === 'projection.lora_B.weight' ? { shape: t.shape, data: new Float32Array(t.data.length) } : t])) });
    const dirNoLora = writeFolder(`${baseName}-${pooling}-head-export-no-lora`, await exportModelFolder(readBase(baseName), noLora, { modelId, baseModel: baseName }));
    const dNoLora = maxDelta(await ortProbs(dirNoLora, tokenizer, texts), ours);
    console.log(`${baseName} (${pooling}): without the projection's update max |Δp| would be ${dNoLora.toExponential(2)}`);
    expect(dNoLora).toBeGreaterThan(1e-3);
    console.log(`${baseName} head export (${pooling}): max |Δp| onnxruntime-node ${dOrt.toExponential(2)}, transformers.js ${dPipe.toExponential(2)} over ${texts.length} rows`);
    expect(dOrt).toBeLessThan(1e-4);
    expect(dPipe).toBeLessThan(1e-4);
  }, 600_000);
});
