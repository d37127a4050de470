// CPU matmul throughput of the grad engine: `node bench/grad-matmul.mjs [sizes…]` (default 256 512 1024).
// Prints GFLOP/s (2·n³ flops per product) for float32, plain and with a transposed operand (x·Wᵀ).
import { loadGrad } from './grad-load.mjs';

const g = await loadGrad();
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const be = new g.CpuBackend('f32');
const rows = [];
for (const n of sizes.length ? sizes : [256, 512, 1024]) {
  const rng = new g.Rng(n);
  const a = g.Tensor.fromData(be, rng.fillUniform(new Float32Array(n * n), -1, 1), [n, n]);
  const b = g.Tensor.fromData(be, rng.fillUniform(new Float32Array(n * n), -1, 1), [n, n]);
  const row = [n];
  for (const opts of [{}, { transB: true }]) {
    g.matmul(a, b, opts).dispose(); // warm up the JIT
    let reps = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 1000 || reps < 2) {
      g.matmul(a, b, opts).dispose();
      reps++;
    }
    const ms = (performance.now() - t0) / reps;
    row.push(`${((2 * n ** 3) / (ms * 1e6)).toFixed(2)} (${ms.toFixed(1)} ms)`);
  }
  rows.push(row);
  a.dispose();
  b.dispose();
}
console.log('\n### grad CPU matmul, float32, single thread\n');
console.log('| n | A·B GFLOP/s | A·Bᵀ GFLOP/s |\n| --- | --- | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
