import { describe, expect, it } from 'vitest';
import { runHalving } from './halving';
import { isOutOfMemoryMessage } from './oom';

const oom = (e: unknown) => e instanceof Error && e.message === 'OOM';

describe('runHalving', () => {
  it('halves a batch that runs out of memory and keeps the rows in order', async () => {
    const sizes: number[] = [];
    // A device that fits at most 3 rows.
    const run = async (rows: readonly number[]) => {
      sizes.push(rows.length);
      if (rows.length > 3) throw new Error('OOM');
      return rows.map((r) => r * 10);
    };
    const out = await runHalving([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], run, oom, () => new Error('one'));
    expect(out).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(sizes).toEqual([10, 5, 3, 2, 5, 3, 2]);
  });
  it('fails clearly at one row', async () => {
    const run = async () => {
      throw new Error('OOM');
    };
    await expect(runHalving([1, 2], run, oom, (r) => new Error(`row ${r} alone does not fit`))).rejects.toThrow('row 1 alone does not fit');
  });
  it('other errors pass through without retrying', async () => {
    let calls = 0;
    const run = async () => {
      calls++;
      throw new Error('bad input');
    };
    await expect(runHalving([1, 2, 3], run, oom, () => new Error('x'))).rejects.toThrow('bad input');
    expect(calls).toBe(1);
  });
});

describe('isOutOfMemoryMessage', () => {
  it('recognises WebGPU and WASM allocation failures, not other errors', () => {
    expect(isOutOfMemoryMessage('GPUOutOfMemoryError: Failed to allocate buffer')).toBe(true);
    expect(isOutOfMemoryMessage('Out of memory')).toBe(true);
    expect(isOutOfMemoryMessage('std::bad_alloc')).toBe(true);
    expect(isOutOfMemoryMessage('Failed to allocate a buffer of size 1073741824')).toBe(true);
    expect(isOutOfMemoryMessage("input 'input_ids' has wrong dims")).toBe(false);
  });
});
