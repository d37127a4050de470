import { expect, test } from '@playwright/test';
import { watchCsp } from './csp';

/**
 * Out-of-memory on our own WebGPU backend, on SwiftShader with tiny sizes: a `memoryBudgetBytes` cap makes OOM real
 * (typed, code 'gpu_oom', nothing leaked, the backend usable afterwards), and an out-of-memory error reported by the
 * device's error scope (injected: SwiftShader will not run out) surfaces as the same typed error at the next read.
 */
test('WebGPU engine: memory budget → typed gpu_oom, no leak, usable after; device OOM from an error scope is typed too', async ({ page }) => {
  test.setTimeout(180_000);
  const csp = await watchCsp(page);
  await page.goto('/lab.html');
  await page.waitForFunction(() => window.jammiLab);
  const out = await page.evaluate(async () => {
    const { grad, webgpu } = window.jammiLab!;
    const caught = async (f: () => unknown) => {
      try {
        await f();
        return null;
      } catch (e) {
        return { name: (e as Error).name, code: (e as { code?: string }).code ?? null, message: (e as Error).message };
      }
    };
    // 64 KiB: room for a few 16 KiB tensors (4096 floats), not for a 64×64 · 64×64 matmul chain of them.
    const gpu = await webgpu.createWebGpuBackend({ memoryBudgetBytes: 64 * 1024 });
    const a = grad.Tensor.fromData(gpu, new Float32Array(4096).fill(0.5), [64, 64]);
    const b = grad.Tensor.fromData(gpu, new Float32Array(4096).fill(0.25), [64, 64]);
    const product = async () => {
      const m = grad.matmul(a, b);
      try {
        return Array.from(await m.read()).slice(0, 2);
      } finally {
        m.dispose();
      }
    };
    const baseline = gpu.liveBuffers();
    const small = await product();
    const tooMuch = await caught(() =>
      grad.tidy(() => {
        // Every intermediate is kept alive until tidy ends: 6 × 16 KiB > 64 KiB.
        let x = a;
        for (let i = 0; i < 6; i++) x = grad.add(grad.matmul(x, b), a);
        return x.keep();
      }),
    );
    const leakedAfterOom = gpu.liveBuffers() - baseline;
    const stats = gpu.poolStats();
    const again = await product();

    // A device-reported OOM: the next popped error scope says "out of memory", once.
    const unlimited = await webgpu.createWebGpuBackend();
    const u = unlimited.device;
    const upop = u.popErrorScope.bind(u);
    let uinject = true;
    u.popErrorScope = async () => {
      const real = await upop();
      if (!uinject) return real;
      uinject = false;
      return { message: 'injected: out of memory while allocating' } as GPUError;
    };
    const ua = grad.Tensor.fromData(unlimited, Float32Array.from([1, 2, 3]), [3]);
    const scoped = await caught(() => grad.tidy(() => grad.exp(ua).keep()).read());
    const afterScoped = Array.from(await grad.tidy(() => grad.exp(ua).keep()).read());
    gpu.destroy();
    unlimited.destroy();
    return { small, tooMuch, leakedAfterOom, stats, again, scoped, afterScoped };
  });
  expect(out.small).toEqual([8, 8]); // 64 × 0.5 × 0.25
  expect(out.tooMuch).toMatchObject({ name: 'GpuOutOfMemoryError', code: 'gpu_oom' });
  expect(out.tooMuch!.message).toMatch(/exceed the memory budget of 65536 bytes/);
  expect(out.leakedAfterOom).toBe(0);
  expect(out.stats.usedBytes + out.stats.bytes).toBeLessThanOrEqual(64 * 1024);
  expect(out.again).toEqual([8, 8]);
  expect(out.scoped).toMatchObject({ name: 'GpuOutOfMemoryError', code: 'gpu_oom' });
  expect(out.scoped!.message).toMatch(/injected: out of memory/);
  expect(out.afterScoped.map((v) => Math.round(v * 1000) / 1000)).toEqual([2.718, 7.389, 20.086]);
  expect(await csp.violations()).toEqual([]);
});
