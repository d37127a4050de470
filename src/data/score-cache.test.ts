import { describe, expect, it } from 'vitest';
import { decodeScores, encodeScores, fnv1a } from './score-cache';

describe('stored per-row probabilities', () => {
  const probs = new Float64Array([0.1, 0.9, 1 / 3, 2 / 3, 0, 0]);
  it('come back bit for bit under their own key only', () => {
    const bytes = encodeScores('k', { classes: ['négatif', 'positive'], probs });
    expect(bytes.length % 8).toBe(0);
    const back = decodeScores('k', bytes)!;
    expect(back.classes).toEqual(['négatif', 'positive']);
    expect([...back.probs]).toEqual([...probs]);
    expect(decodeScores('other key', bytes)).toBeNull(); // a file-name hash collision is not a hit
    expect(decodeScores('k', bytes.subarray(0, bytes.length - 8))).toBeNull(); // truncated
    expect(decodeScores('k', new Uint8Array([1, 2]))).toBeNull();
  });
  it('hash like FNV-1a 32', () => {
    // Reference values of FNV-1a (32 bit): "" → 0x811c9dc5, "a" → 0xe40c292c, "foobar" → 0xbf9cf968.
    expect([fnv1a(''), fnv1a('a'), fnv1a('foobar')]).toEqual([0x811c9dc5, 0xe40c292c, 0xbf9cf968]);
  });
});
