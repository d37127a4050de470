import { describe, expect, it } from 'vitest';
import { sizeClass } from './pool';
import { grid } from './kernels';

describe('WebGPU host-side arithmetic', () => {
  it('size classes cover the request with at most 25% slack, 4 per doubling, ≥ 256 bytes, multiples of 4', () => {
    expect(sizeClass(0)).toBe(256);
    expect(sizeClass(4)).toBe(256);
    expect([257, 320, 321, 512, 513, 1000].map(sizeClass)).toEqual([320, 320, 384, 512, 640, 1024]);
    for (let b = 1; b < 1 << 22; b = Math.ceil(b * 1.37) + 4) {
      const c = sizeClass(b);
      expect(c).toBeGreaterThanOrEqual(b);
      expect(c % 4).toBe(0);
      if (b > 256) expect(c).toBeLessThanOrEqual(b * 1.25 + 4);
    }
  });

  it('a 1-D dispatch beyond the per-dimension limit folds into a 2-D grid that covers it', () => {
    expect(grid(0, 65535)).toEqual([0, 1, 1]);
    expect(grid(65535, 65535)).toEqual([65535, 1, 1]);
    expect(grid(65536, 65535)).toEqual([65535, 2, 1]);
    for (const n of [17, 255, 256]) {
      const [x, y] = grid(n, 16);
      expect(x).toBeLessThanOrEqual(16);
      expect(y).toBeLessThanOrEqual(16);
      expect(x * y).toBeGreaterThanOrEqual(n);
    }
    expect(() => grid(16 * 16 + 1, 16)).toThrow(/grid limit/);
  });
});
