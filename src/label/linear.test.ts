import { describe, expect, it } from 'vitest';
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
});
