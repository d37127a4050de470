import { describe, expect, it } from 'vitest';
import { GpuOutOfMemoryError, isGpuOutOfMemory } from '../../errors';
import { BufferPool } from './pool';

/** The pool's accounting is host-side: a device whose buffers only record their size and whether they were destroyed. */
function fakeDevice() {
  const made: { size: number; destroyed: boolean; destroy(): void }[] = [];
  const device = {
    createBuffer: ({ size }: { size: number }) => {
      const b = { size, destroyed: false, destroy: () => void (b.destroyed = true) };
      made.push(b);
      return b;
    },
  } as unknown as GPUDevice;
  return { device, made };
}

describe('BufferPool memory budget', () => {
  it('refuses past the budget with a typed gpu_oom error, and works again once buffers are released', () => {
    const { device } = fakeDevice();
    const pool = new BufferPool(device, 0, Infinity, 4096);
    const a = pool.acquire(2048);
    pool.acquire(2048);
    let err: unknown;
    try {
      pool.acquire(256);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GpuOutOfMemoryError);
    expect((err as GpuOutOfMemoryError).code).toBe('gpu_oom');
    expect(isGpuOutOfMemory(err)).toBe(true);
    expect((err as Error).message).toMatch(/exceed the memory budget of 4096 bytes \(4096 in use\)/);
    pool.release(a);
    expect(() => pool.acquire(256)).not.toThrow(); // the pooled 2048 buffer is destroyed to make room
    expect(pool.stats()).toMatchObject({ buffers: 0, bytes: 0, usedBytes: 2048 + 256 });
  });

  it('frees pooled buffers before refusing: pool + live never exceed the budget', () => {
    const { device, made } = fakeDevice();
    const pool = new BufferPool(device, 0, Infinity, 8192);
    const bufs = [pool.acquire(1024), pool.acquire(1024), pool.acquire(2048)];
    for (const b of bufs) pool.release(b);
    expect(pool.stats()).toMatchObject({ bytes: 4096, usedBytes: 0 });
    pool.acquire(6144); // needs 2048 of the 4096 pooled bytes
    const s = pool.stats();
    expect(s.usedBytes + s.bytes).toBeLessThanOrEqual(8192);
    expect(made.filter((b) => b.destroyed).length).toBeGreaterThan(0);
    expect(() => pool.acquire(4096)).toThrow(GpuOutOfMemoryError);
  });

  it('counts reserved (staging) bytes, and exempt scratch never throws', () => {
    const { device } = fakeDevice();
    const pool = new BufferPool(device, 0, Infinity, 1024);
    pool.reserve(768);
    expect(() => pool.acquire(512)).toThrow(GpuOutOfMemoryError);
    expect(() => pool.acquire(512, false)).not.toThrow();
    pool.unreserve(768);
    expect(pool.stats().usedBytes).toBe(512);
  });
});
