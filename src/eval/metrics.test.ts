import { describe, expect, it } from 'vitest';
import { classificationMetrics } from './metrics';

describe('classificationMetrics', () => {
  it('matches metrics worked out by hand', () => {
    // gold: a a a b b c ; predicted: a a b b c c
    const gold = ['a', 'a', 'a', 'b', 'b', 'c'];
    const pred = ['a', 'a', 'b', 'b', 'c', 'c'];
    const m = classificationMetrics(gold.map((g, i) => ({ gold: g, predicted: pred[i] })));
    expect(m.accuracy).toBeCloseTo(4 / 6, 15);
    // a: tp 2, predicted 2, support 3 → P 1, R 2/3, F1 0.8
    expect(m.perClass.a).toEqual({ precision: 1, recall: 2 / 3, f1: 0.8, support: 3 });
    // b: tp 1, predicted 2, support 2 → P 0.5, R 0.5, F1 0.5
    expect(m.perClass.b).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    // c: tp 1, predicted 2, support 1 → P 0.5, R 1, F1 2/3
    expect(m.perClass.c.precision).toBe(0.5);
    expect(m.perClass.c.recall).toBe(1);
    expect(m.perClass.c.f1).toBeCloseTo(2 / 3, 15);
    expect(m.macroF1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 15);
    expect(m.confusion).toEqual({ labels: ['a', 'b', 'c'], matrix: [[2, 1, 0], [0, 1, 1], [0, 0, 1]] });
    expect(m.count).toBe(6);
  });
  it('a class only predicted (never gold) counts in macro-F1 with F1 0; 0/0 is 0', () => {
    const m = classificationMetrics([
      { gold: 'x', predicted: 'x' },
      { gold: 'x', predicted: 'y' },
    ]);
    expect(m.perClass.y).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(m.perClass.x.f1).toBeCloseTo(2 / 3, 15);
    expect(m.macroF1).toBeCloseTo(1 / 3, 15);
  });
  it('no rows: zeros, not NaN', () => {
    const m = classificationMetrics([]);
    expect(m.accuracy).toBe(0);
    expect(m.macroF1).toBe(0);
  });
});
