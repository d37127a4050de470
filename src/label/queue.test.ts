import { describe, expect, it } from 'vitest';
import { rankRows, textMatcher, topTwo, uncertainty } from './queue';

// Four rows, three classes; hand-computed scores:
//   row  p                  1 − max   −(p1 − p2)   entropy
//   0    .70 .20 .10        .30       −.50         .8018
//   1    .40 .35 .25        .60       −.05         1.0805
//   2    .50 .50 .00        .50        0           .6931
//   3    .90 .05 .05        .10       −.85         .3944
const probs = [0.7, 0.2, 0.1, 0.4, 0.35, 0.25, 0.5, 0.5, 0, 0.9, 0.05, 0.05];
const rows = [3, 0, 2, 1];

describe('active-learning queue', () => {
  it('scores rows as hand-computed', () => {
    expect(uncertainty([0.7, 0.2, 0.1], 'least-confidence')).toBeCloseTo(0.3, 12);
    expect(uncertainty([0.4, 0.35, 0.25], 'margin')).toBeCloseTo(-0.05, 12);
    expect(uncertainty([0.4, 0.35, 0.25], 'entropy')).toBeCloseTo(1.0805, 4);
    expect(uncertainty([0.5, 0.5, 0], 'entropy')).toBeCloseTo(Math.LN2, 12);
    expect(topTwo([0.2, 0.5, 0.3])).toEqual([1, 2]);
    expect(topTwo([1])).toEqual([0, -1]);
  });

  it('orders by least confidence, margin and entropy', () => {
    expect(rankRows({ rows, probs, k: 3, strategy: 'least-confidence' })).toEqual([1, 2, 0, 3]);
    expect(rankRows({ rows, probs, k: 3, strategy: 'margin' })).toEqual([2, 1, 0, 3]);
    expect(rankRows({ rows, probs, k: 3, strategy: 'entropy' })).toEqual([1, 0, 2, 3]);
  });

  it('keeps row order for ties, file order, and file order before any model', () => {
    const tied = [0.5, 0.5, 0.8, 0.2, 0.5, 0.5];
    expect(rankRows({ rows: [2, 0, 1], probs: tied, k: 2, strategy: 'least-confidence' })).toEqual([0, 2, 1]);
    expect(rankRows({ rows, probs, k: 3, strategy: 'file' })).toEqual([0, 1, 2, 3]);
    expect(rankRows({ rows, probs: null, k: 3, strategy: 'entropy' })).toEqual([0, 1, 2, 3]);
  });

  it('shuffles with a seed: the same seed gives the same order, another seed another', () => {
    const many = Array.from({ length: 50 }, (_, i) => i);
    const a = rankRows({ rows: many, probs: null, k: 2, strategy: 'random', seed: 1 });
    expect(rankRows({ rows: [...many].reverse(), probs: null, k: 2, strategy: 'random', seed: 1 })).toEqual(a);
    expect(rankRows({ rows: many, probs: null, k: 2, strategy: 'random', seed: 2 })).not.toEqual(a);
    expect([...a].sort((x, y) => x - y)).toEqual(many);
    expect(a).not.toEqual(many);
  });

  it('filters by keyword (case-insensitive) or regex, and rejects a bad regex clearly', () => {
    const kw = textMatcher('FREE');
    expect([kw('Free entry'), kw('freedom'), kw('nothing'), kw(null)]).toEqual([true, true, false, false]);
    const re = textMatcher({ pattern: '^win\\b', regex: true });
    expect([re('Win a prize'), re('we win'), re('winner')]).toEqual([true, false, false]);
    expect(textMatcher({ pattern: 'a', regex: true, flags: 'g' })('a')).toBe(true);
    expect(textMatcher({ pattern: 'a', regex: true, flags: 'g' })('a')).toBe(true); // no lastIndex state
    expect(() => textMatcher({ pattern: '(', regex: true })).toThrow('The filter /(/ is not a valid regular expression');
  });

  it('a top-k selection gives the first rows of the full order, ties included', () => {
    const n = 2000;
    const p: number[] = [];
    for (let r = 0; r < n; r++) {
      const a = [0.5, 0.6, 0.9, 0.75][r % 4] + ((r * 7919) % 13) / 1000; // many exact ties
      p.push(Math.min(a, 1), 1 - Math.min(a, 1));
    }
    const rows = Array.from({ length: n }, (_, i) => n - 1 - i);
    for (const strategy of ['least-confidence', 'margin', 'entropy'] as const) {
      const full = rankRows({ rows, probs: p, k: 2, strategy });
      for (const limit of [1, 20, 100]) expect(rankRows({ rows, probs: p, k: 2, strategy, limit })).toEqual(full.slice(0, limit));
    }
    expect(rankRows({ rows, probs: null, k: 2, strategy: 'file', limit: 3 })).toEqual([0, 1, 2]);
  });
});
