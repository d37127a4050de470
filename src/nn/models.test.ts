import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsBackend, tidy } from '../grad';
import { loadClassifier, loadEncoder, maskedMean, toTokenBatch } from './index';

const MODELS = path.resolve(__dirname, '../../../shared/models');

interface Reference {
  input_ids: number[][];
  attention_mask: number[][];
  logits?: number[][];
  last_hidden_state_cls?: number[][];
  mean_pooled?: number[][];
}

function files(name: string) {
  const dir = path.join(MODELS, name);
  return {
    config: JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>,
    weights: new Uint8Array(readFileSync(path.join(dir, 'model.safetensors'))),
    ref: JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8')) as Reference,
  };
}

function maxAbsDiff(got: ArrayLike<number>, want: number[][]): number {
  const flat = want.flat();
  expect(got.length).toBe(flat.length);
  let m = 0;
  for (let i = 0; i < flat.length; i++) m = Math.max(m, Math.abs(got[i] - flat[i]));
  return m;
}

const backend = new JsBackend('f32');

describe('encoders vs PyTorch reference logits', () => {
  it.each(['bert-tiny-sentiment', 'distilbert-tiny-emotion', 'roberta-tiny-spam', 'modernbert-tiny-cls', 'modernbert-tiny-mean'])('%s', (name) => {
    const { config, weights, ref } = files(name);
    const model = loadClassifier({ config, weights }, backend);
    const live = backend.liveBuffers();
    const logits = tidy(() => Float32Array.from(model.forward(ref.input_ids, ref.attention_mask).dataSync()));
    expect(backend.liveBuffers()).toBe(live);
    const err = maxAbsDiff(logits, ref.logits as number[][]);
    console.log(`${name}: max |logit − reference| = ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-4);
    model.dispose();
  });

  it.each(['bert-tiny-sentiment', 'roberta-tiny-spam', 'modernbert-tiny-cls'])('%s: too long an input or an unknown token id is a clear error', (name) => {
    const { config, weights } = files(name);
    const model = loadClassifier({ config, weights }, backend);
    const long = [Array.from({ length: 129 }, () => 1000)];
    expect(() => tidy(() => model.forward(long, [long[0].map(() => 1)]))).toThrow(/129 tokens exceed the model's maximum of 128/);
    expect(() => tidy(() => model.forward([[101, 40000, 102]], [[1, 1, 1]]))).toThrow(/index 40000 out of range/);
    model.dispose();
    expect(backend.liveBuffers()).toBe(0);
  });

  it('unsupported configs fail at load with a clear message and free what was loaded', () => {
    const { config, weights } = files('bert-tiny-sentiment');
    expect(() => loadClassifier({ config: { ...config, hidden_act: 'quick_gelu' }, weights }, backend)).toThrow(/activation "quick_gelu" is not supported/);
    expect(() => loadClassifier({ config: { ...config, position_embedding_type: 'relative_key' }, weights }, backend)).toThrow(/relative_key/);
    expect(() => loadClassifier({ config: { ...config, model_type: 'gpt2' }, weights }, backend)).toThrow(/unsupported model_type "gpt2"/);
    expect(() => loadClassifier({ config: { ...config, hidden_size: 48 }, weights }, backend)).toThrow(/has shape \[32\], expected \[48\]/);
    expect(backend.liveBuffers()).toBe(0);
    const ok = loadClassifier({ config: { ...config, hidden_act: 'gelu_new' }, weights }, backend);
    const ref = files('bert-tiny-sentiment').ref;
    const err = tidy(() => maxAbsDiff(ok.forward(ref.input_ids, ref.attention_mask).dataSync(), ref.logits as number[][]));
    expect(err).toBeGreaterThan(1e-6); // a different activation really is used …
    expect(err).toBeLessThan(0.1); // … and it is close to erf-GELU
    ok.dispose();
  });

  it('bert-tiny-embed: CLS hidden state and mean pooling', () => {
    const { config, weights, ref } = files('bert-tiny-embed');
    const model = loadEncoder({ config, weights }, backend);
    tidy(() => {
      const t = toTokenBatch(ref.input_ids, ref.attention_mask);
      const h = model.encode(t);
      const [b, s, d] = h.shape;
      const all = h.dataSync();
      const cls = new Float32Array(b * d);
      for (let i = 0; i < b; i++) cls.set(all.subarray(i * s * d, i * s * d + d), i * d);
      const e1 = maxAbsDiff(cls, ref.last_hidden_state_cls as number[][]);
      const e2 = maxAbsDiff(maskedMean(h, t).dataSync(), ref.mean_pooled as number[][]);
      console.log(`bert-tiny-embed: max err cls ${e1.toExponential(2)}, mean ${e2.toExponential(2)}`);
      expect(e1).toBeLessThan(1e-4);
      expect(e2).toBeLessThan(1e-4);
    });
    model.dispose();
  });
});
