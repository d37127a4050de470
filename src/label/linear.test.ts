import { describe, expect, it } from 'vitest';
import { JsBackend } from '../grad/backends/js';
import { Tensor, backward } from '../grad/tensor';
import { segmentSum } from '../grad/ops/movement';
import { argmaxRows, predictProba, trainLinear } from './linear';
import { readLabelled, split } from './datasets.test-util';

function accuracy(probs: Float32Array, classes: string[], labels: string[]): number {
  const pred = argmaxRows(probs, classes.length);
  let right = 0;
  labels.forEach((l, i) => (right += classes[pred[i]] === l ? 1 : 0));
  return right / labels.length;
}

describe('TF-IDF + logistic regression suggester on the engine', () => {
  for (const [file, target] of [['sms-spam.csv', 0.97], ['uci-sentiment.csv', 0.83]] as const) {
    it(`reaches ${target} held-out accuracy on ${file} (seeded 80/20)`, async () => {
      const { train, test } = split(await readLabelled(file), 1);
      let t = performance.now();
      const model = trainLinear(train.texts, train.labels);
      const trainMs = performance.now() - t;
      t = performance.now();
      const probs = predictProba(model, test.texts);
      const scoreMs = performance.now() - t;
      const acc = accuracy(probs, model.classes, test.labels);
      const majority = Math.max(...model.classes.map((c) => test.labels.filter((l) => l === c).length)) / test.labels.length;
      console.log(`${file}: accuracy ${acc.toFixed(4)} (majority ${majority.toFixed(3)}), train ${train.texts.length} in ${trainMs.toFixed(0)} ms, score ${test.texts.length} in ${scoreMs.toFixed(0)} ms, ${model.vocab.length} features`);
      expect(acc).toBeGreaterThanOrEqual(target);
      expect(acc).toBeGreaterThan(majority + 0.05);
    });
  }

  it('segment-sum backward is the gather of the output gradient (central differences, f64)', () => {
    const be = new JsBackend('f64');
    const x = Tensor.fromData(be, [1, 2, 3, 4, 5, 6, 7, 8], [4, 2], true);
    const seg = Int32Array.from([2, 0, 2, 1]);
    const out = segmentSum(x, seg, 3);
    expect([...out.dataSync()]).toEqual([3, 4, 7, 8, 6, 8]);
    const weights = Tensor.fromData(be, [1, -2, 3, 0.5, -1, 4], [3, 2]);
    const loss = (t: Tensor) => [...segmentSum(t, seg, 3).dataSync()].reduce((a, v, i) => a + v * [1, -2, 3, 0.5, -1, 4][i], 0);
    backward(segmentSum(x, seg, 3), weights);
    const grad = [...x.grad!.dataSync()];
    const base = [...x.dataSync()];
    base.forEach((_, i) => {
      const h = 1e-6;
      const plus = Tensor.fromData(be, base.map((v, j) => (j === i ? v + h : v)), [4, 2]);
      const minus = Tensor.fromData(be, base.map((v, j) => (j === i ? v - h : v)), [4, 2]);
      expect(grad[i]).toBeCloseTo((loss(plus) - loss(minus)) / (2 * h), 6);
    });
  });

  it('the fused scorer gives the engine forward\'s probabilities', async () => {
    const { train, test } = split(await readLabelled('uci-sentiment.csv'), 3);
    const model = trainLinear(train.texts.slice(0, 300), train.labels.slice(0, 300), { steps: 20 });
    const texts = [...test.texts.slice(0, 200), '', null];
    const fused = predictProba(model, texts);
    const engine = predictProba(model, texts, { engine: true, chunk: 64 });
    expect(fused.length).toBe(engine.length);
    let worst = 0;
    fused.forEach((p, i) => (worst = Math.max(worst, Math.abs(p - engine[i]))));
    expect(worst).toBeLessThan(1e-5);
    const spread = Math.max(...fused) - Math.min(...fused);
    expect(spread).toBeGreaterThan(0.3); // not all the prior
  });
});
