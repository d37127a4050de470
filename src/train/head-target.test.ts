import { describe, expect, it } from 'vitest';
import { JsBackend, noGrad, tidy } from '../grad';
import { loadEncoder } from '../nn/sequence-classifier';
import { maskedMean } from '../nn/pooling';
import { readAdapter, writeAdapter, type HeadAdapterConfig } from '../nn/adapter-files';
import { resolveConfig } from './config';
import { tokenBatch } from '../nn/token-batch';
import { applyProjectionHead, l2Normalize } from '../nn/adapter-merge';
import { setupHeadTarget } from './head-target';
import { evaluateRows, trainLoop } from './loop';
import { modelFiles, smsSpamSplits } from './sms-fixture';

describe('head target on bert-tiny-embed', () => {
  it('learns SMS spam from frozen mean-pooled embeddings: test accuracy ≥ 0.92; the saved head predicts the same', async () => {
    const { data, train, validation, test } = await smsSpamSplits();
    const { tokenizer: tok, ...files } = modelFiles('bert-tiny-embed');
    const backend = new JsBackend();
    const encoder = loadEncoder(files, backend);
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

    const config = resolveConfig('head');
    const setup = setupHeadTarget({ backend, config, classes: data.classes, embeddings, baseModel: 'bert-tiny-embed', pooling: 'mean' });
    const result = await trainLoop({
      model: setup.trainable,
      config,
      train,
      validation,
      classes: data.classes,
    });
    const testEval = await evaluateRows(setup.trainable, test.rows, test.labels, 256, data.classes);
    console.log(`head target: test accuracy ${testEval.accuracy.toFixed(4)} after ${result.metrics.length} epochs (best ${result.bestEpoch}, ${result.stopped})`);
    expect(testEval.accuracy).toBeGreaterThanOrEqual(0.92);

    // Saved, read back and applied on the CPU (the inference path): the same predictions as the trained tensors.
    const adapter = readAdapter(writeAdapter(await setup.adapter()));
    const logits = applyProjectionHead(adapter.config as HeadAdapterConfig, adapter.tensors, test.rows.map((r) => raw[r]));
    const predicted = logits.map((l) => (l[1] > l[0] ? 1 : 0));
    expect(predicted).toEqual(testEval.predicted);
    setup.dispose();
  }, 600_000);
});
