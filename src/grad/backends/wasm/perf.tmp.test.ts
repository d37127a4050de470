import { it } from 'vitest';
import { createWasmBackend } from './index';
it('perf', async () => {
  for (const threads of [1]) {
    const be = await createWasmBackend({ threads });
    for (const n of [256, 512, 1024]) {
      const a = be.upload(new Float32Array(n * n).map((_, i) => (i % 13) / 13));
      const b = be.upload(new Float32Array(n * n).map((_, i) => (i % 11) / 11));
      const d = { batch: 1, m: n, n, k: n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
      be.dispose(be.matmul(a, b, d));
      let runs = 0; const t0 = performance.now(); const c0 = process.cpuUsage();
      do { be.dispose(be.matmul(a, b, d)); runs++; } while (performance.now() - t0 < 1500);
      const cu = process.cpuUsage(c0); const cpu = (cu.user + cu.system) / 1e6 / runs;
      const s = (performance.now() - t0) / 1000 / runs;
      console.log(`${be.name} n=${n}: wall ${(2 * n ** 3 / s / 1e9).toFixed(2)} GFLOP/s, per cpu-second ${(2 * n ** 3 / cpu / 1e9).toFixed(2)}`);
      be.dispose(a); be.dispose(b);
    }
    be.close();
  }
}, 120000);
