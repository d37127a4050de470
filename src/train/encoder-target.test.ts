import { describe, expect, it } from 'vitest';
import { JsBackend } from '../grad';
import { loadClassifier } from '../nn/sequence-classifier';
import { readAdapter, writeAdapter, type EncoderAdapterConfig } from '../nn/adapter-files';
import { resolveConfig } from './config';
import { mergeEncoderAdapter } from '../nn/adapter-merge';
import { tokenBatch } from '../nn/token-batch';
import { setupEncoderTarget } from './encoder-target';
import { evaluateRows, trainLoop } from './loop';
import { modelFiles, smsSpamSplits } from './sms-fixture';

describe('encoder target on bert-tiny-sentiment', () => {
  it('learns SMS spam: test accuracy ≥ 0.90 on a seeded 80/20 split, and the merged adapter predicts the same', async () => {
    const { data, train, validation, test } = await smsSpamSplits();
    const { tokenizer: tok, ...files } = modelFiles('bert-tiny-sentiment');
    const tokens = data.texts.map((t) => tok.encode(t));
    const config = resolveConfig('encoder');
    const backend = new JsBackend();
    const setup = setupEncoderTarget({ files, baseModel: 'bert-tiny-sentiment', backend, config, classes: data.classes, tokens, padId: tok.padId });
    const t0 = Date.now();
    const result = await trainLoop({
      model: setup.trainable,
      config,
      train,
      validation,
      classes: data.classes,
    });
    const seconds = (Date.now() - t0) / 1000;
    const testEval = await evaluateRows(setup.trainable, test.rows, test.labels, 64, data.classes);
    console.log(`encoder target: ${seconds.toFixed(1)} s, test accuracy ${testEval.accuracy.toFixed(4)}, epochs`, result.metrics);
    expect(testEval.accuracy).toBeGreaterThanOrEqual(0.9);

    // The adapter files round-trip and, merged into the base, give the same logits as the trained model.
    const adapter = readAdapter(writeAdapter(await setup.adapter()));
    const merged = loadClassifier(mergeEncoderAdapter(files, adapter.config as EncoderAdapterConfig, adapter.tensors), backend);
    expect(merged.labels).toEqual(['ham', 'spam']);
    const sample = test.rows.slice(0, 16).map((r) => tokens[r]);
    const a = await setup.model.forward(tokenBatch(sample, tok.padId)).read();
    const b = await merged.forward(tokenBatch(sample, tok.padId)).read();
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-4);
    setup.dispose();
    merged.dispose();
  }, 600_000);
});
