import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../grad';
import { ingestCsv } from '../data/ingest';
import { TextTokenizer } from '../infer/tokenizer';
import { loadClassifier } from '../nn/classifier';
import { readAdapter, writeAdapter, type EncoderAdapterConfig } from './adapter';
import { resolveConfig } from './config';
import { labelledExamples, stratifiedSplit } from './data';
import { mergeEncoderAdapter } from './encoder-model';
import { setupEncoderTarget, tokenBatch } from './encoder-target';
import { evaluateRows, trainLoop } from './loop';

const shared = path.resolve(__dirname, '../../../shared');
const modelDir = path.join(shared, 'models/bert-tiny-sentiment');
const readJson = (p: string) => JSON.parse(fs.readFileSync(p, 'utf8'));

async function smsSpam() {
  const { table } = await ingestCsv(new Blob([fs.readFileSync(path.join(shared, 'datasets/sms-spam.csv'))]));
  return labelledExamples(table, 'text', 'label');
}

describe('encoder target on bert-tiny-sentiment', () => {
  it('learns SMS spam: test accuracy ≥ 0.90 on a seeded 80/20 split, and the merged adapter predicts the same', async () => {
    const data = await smsSpam();
    const tok = new TextTokenizer(readJson(path.join(modelDir, 'tokenizer.json')), readJson(path.join(modelDir, 'tokenizer_config.json')), 128);
    const tokens = data.texts.map((t) => tok.encode(t));
    const { train: trainAll, validation: test } = stratifiedSplit(data.labels, 0.2, 7);
    const labels = trainAll.map((r) => data.labels[r]);
    const { train: trainRows, validation: valRows } = stratifiedSplit(labels, 0.1, 42);
    const config = resolveConfig('encoder', { epochs: 3 });
    const files = { config: readJson(path.join(modelDir, 'config.json')), weights: new Uint8Array(fs.readFileSync(path.join(modelDir, 'model.safetensors'))) };
    const backend = new CpuBackend();
    const setup = setupEncoderTarget({ files, baseModel: 'bert-tiny-sentiment', backend, config, classes: data.classes, tokens, padId: tok.padId });
    const t0 = Date.now();
    const result = await trainLoop({
      model: setup.trainable,
      config,
      train: { rows: trainRows.map((i) => trainAll[i]), labels: trainRows.map((i) => labels[i]) },
      validation: { rows: valRows.map((i) => trainAll[i]), labels: valRows.map((i) => labels[i]) },
      classes: data.classes,
    });
    const seconds = (Date.now() - t0) / 1000;
    const testEval = await evaluateRows(setup.trainable, test, test.map((r) => data.labels[r]), 64, data.classes);
    console.log(`encoder target: ${seconds.toFixed(1)} s, test accuracy ${testEval.accuracy.toFixed(4)}, epochs`, result.metrics);
    expect(testEval.accuracy).toBeGreaterThanOrEqual(0.9);

    // The adapter files round-trip and, merged into the base, give the same logits as the trained model.
    const adapter = readAdapter(writeAdapter(await setup.adapter()));
    const merged = loadClassifier(mergeEncoderAdapter(files, adapter.config as EncoderAdapterConfig, adapter.tensors), backend);
    expect(merged.labels).toEqual(['ham', 'spam']);
    const sample = test.slice(0, 16).map((r) => tokens[r]);
    const a = await setup.model.forward(tokenBatch(sample, tok.padId)).read();
    const b = await merged.forward(tokenBatch(sample, tok.padId)).read();
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-4);
    setup.dispose();
    merged.dispose();
  }, 600_000);
});
