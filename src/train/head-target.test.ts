import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CpuBackend, noGrad, tidy } from '../grad';
import { ingestCsv } from '../data/ingest';
import { TextTokenizer } from '../infer/tokenizer';
import { loadEncoder } from '../nn/classifier';
import { maskedMean } from '../nn/modernbert';
import { readAdapter, writeAdapter, type HeadAdapterConfig } from './adapter';
import { resolveConfig } from './config';
import { labelledExamples, stratifiedSplit } from './data';
import { tokenBatch } from './encoder-target';
import { applyProjectionHead, l2Normalize, setupHeadTarget } from './head-target';
import { evaluateRows, trainLoop } from './loop';

const shared = path.resolve(__dirname, '../../../shared');
const modelDir = path.join(shared, 'models/bert-tiny-embed');
const readJson = (p: string) => JSON.parse(fs.readFileSync(p, 'utf8'));

describe('head target on bert-tiny-embed', () => {
  it('learns SMS spam from frozen mean-pooled embeddings: test accuracy ≥ 0.92; the saved head predicts the same', async () => {
    const { table } = await ingestCsv(new Blob([fs.readFileSync(path.join(shared, 'datasets/sms-spam.csv'))]));
    const data = labelledExamples(table, 'text', 'label');
    const tok = new TextTokenizer(readJson(path.join(modelDir, 'tokenizer.json')), readJson(path.join(modelDir, 'tokenizer_config.json')), 128);
    const backend = new CpuBackend();
    const encoder = loadEncoder({ config: readJson(path.join(modelDir, 'config.json')), weights: new Uint8Array(fs.readFileSync(path.join(modelDir, 'model.safetensors'))) }, backend);
    const raw: Float32Array[] = new Array(data.texts.length);
    const tokens = data.texts.map((t) => tok.encode(t));
    const byLength = tokens.map((_, i) => i).sort((a, b) => tokens[a].length - tokens[b].length); // little padding
    for (let i = 0; i < byLength.length; i += 64) {
      const rows = byLength.slice(i, i + 64);
      const batch = tokenBatch(rows.map((r) => tokens[r]), tok.padId);
      const pooled = noGrad(() => tidy(() => maskedMean(encoder.encode(batch), batch).keep()));
      const values = await pooled.read();
      pooled.dispose();
      const dim = pooled.shape[1];
      rows.forEach((row, j) => (raw[row] = values.slice(j * dim, (j + 1) * dim)));
    }
    encoder.dispose();
    const embeddings = l2Normalize(raw);

    const { train: trainAll, validation: test } = stratifiedSplit(data.labels, 0.2, 7);
    const labels = trainAll.map((r) => data.labels[r]);
    const { train: trainRows, validation: valRows } = stratifiedSplit(labels, 0.1, 42);
    const config = resolveConfig('head');
    const setup = setupHeadTarget({ backend, config, classes: data.classes, embeddings, baseModel: 'bert-tiny-embed', pooling: 'mean' });
    const result = await trainLoop({
      model: setup.trainable,
      config,
      train: { rows: trainRows.map((i) => trainAll[i]), labels: trainRows.map((i) => labels[i]) },
      validation: { rows: valRows.map((i) => trainAll[i]), labels: valRows.map((i) => labels[i]) },
      classes: data.classes,
    });
    const testEval = await evaluateRows(setup.trainable, test, test.map((r) => data.labels[r]), 256, data.classes);
    console.log(`head target: test accuracy ${testEval.accuracy.toFixed(4)} after ${result.metrics.length} epochs (best ${result.bestEpoch}, ${result.stopped})`);
    expect(testEval.accuracy).toBeGreaterThanOrEqual(0.92);

    // Saved, read back and applied on the CPU (the inference path): the same predictions as the trained tensors.
    const adapter = readAdapter(writeAdapter(await setup.adapter()));
    const logits = applyProjectionHead(adapter.config as HeadAdapterConfig, adapter.tensors, test.map((r) => raw[r]));
    const predicted = logits.map((l) => (l[1] > l[0] ? 1 : 0));
    expect(predicted).toEqual(testEval.predicted);
    setup.dispose();
  }, 600_000);
});
