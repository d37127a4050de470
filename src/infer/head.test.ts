import { describe, expect, it } from 'vitest';
import { argmax, labelOf, predict, sigmoid, softmax } from './head';

describe('softmax', () => {
  it('matches exp/sum computed by hand and sums to 1', () => {
    const p = softmax([1, 2, 3]);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const s = e[0] + e[1] + e[2];
    e.forEach((v, i) => expect(p[i]).toBeCloseTo(v / s, 15));
  });
  it('does not overflow on large logits', () => {
    const p = softmax([1000, 1000, 999]);
    expect(p[0]).toBeCloseTo(1 / (2 + Math.exp(-1)), 15);
    expect([...p].every(Number.isFinite)).toBe(true);
  });
});

describe('sigmoid', () => {
  it('is 1/(1+e^-x) on both signs without overflow', () => {
    const p = sigmoid([0, 2, -2, 800, -800]);
    expect(p[0]).toBe(0.5);
    expect(p[1]).toBeCloseTo(1 / (1 + Math.exp(-2)), 15);
    expect(p[2]).toBeCloseTo(1 / (1 + Math.exp(2)), 15);
    expect(p[3]).toBe(1);
    expect(p[4]).toBe(0);
  });
});

describe('argmax and labels', () => {
  it('sends ties to the lowest index', () => {
    expect(argmax([0.2, 0.4, 0.4])).toBe(1);
    expect(argmax([0.5, 0.5])).toBe(0);
    expect(argmax([-3])).toBe(0);
  });
  it('names a class missing from id2label LABEL_<i>', () => {
    expect(labelOf({ '0': 'neg' }, 0)).toBe('neg');
    expect(labelOf({ '0': 'neg' }, 1)).toBe('LABEL_1');
  });
});

describe('predict', () => {
  it('softmax label, confidence and scores in class-index order', () => {
    const r = predict([0.1, 2, -1], { '0': 'b', '1': 'a', '2': 'c' }, false);
    // Computed outside this module: torch.softmax(torch.tensor([0.1, 2, -1], dtype=torch.float64), 0) (PyTorch 1.13).
    const p = [0.12470747483018808, 0.8337810128778363, 0.04151151229197569];
    expect(r.label).toBe('a');
    expect(r.confidence).toBeCloseTo(p[1], 15);
    const scores = JSON.parse(r.allScoresJson) as Record<string, number>;
    expect(scores.b).toBeCloseTo(p[0], 15);
    expect(scores.a).toBeCloseTo(p[1], 15);
    expect(scores.c).toBeCloseTo(p[2], 15);
    expect(r.allScoresJson).toBe(`{"b":${scores.b},"a":${scores.a},"c":${scores.c}}`);
    expect(Object.keys(JSON.parse(r.allScoresJson))).toEqual(['b', 'a', 'c']);
  });
  it('keeps class-index order even for integer-like label names', () => {
    const r = predict([0, 1, 2], { '0': '10', '1': '2', '2': 'x' }, false);
    expect(r.allScoresJson.indexOf('"10"')).toBeLessThan(r.allScoresJson.indexOf('"2"'));
  });
  it('equal logits: the lowest class wins', () => {
    const r = predict([1, 1], { '0': 'x', '1': 'y' }, false);
    expect(r.label).toBe('x');
    expect(r.confidence).toBe(0.5);
  });
  it('multi-label: sigmoid per class, label the highest', () => {
    const r = predict([-1, 3, 2], { '0': 'p', '1': 'q' }, true);
    expect(r.label).toBe('q');
    expect(r.confidence).toBeCloseTo(1 / (1 + Math.exp(-3)), 15);
    const scores = JSON.parse(r.allScoresJson) as Record<string, number>;
    expect(Object.keys(scores)).toEqual(['p', 'q', 'LABEL_2']);
    expect(scores.LABEL_2).toBeCloseTo(1 / (1 + Math.exp(-2)), 15);
  });
});
