import { describe, expect, it } from 'vitest';
import { CpuBackend } from './backends/cpu';
import type { Backend } from './backend';
import { conformanceCases } from './conformance';

/** Add a device here (e.g. WebGPU in a browser runner) to run the same cases against it. */
const backends: [string, () => Backend][] = [['cpu-f32', () => new CpuBackend('f32')]];

describe.each(backends)('backend conformance: %s', (_, make) => {
  const be = make();
  it.each(conformanceCases().map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const err = await c.run(be);
    expect(err).toBeLessThanOrEqual(c.tol);
  });

  it('detects a wrong kernel (the suite can fail)', async () => {
    const broken = make();
    const real = broken.unary.bind(broken);
    broken.unary = (op, x) => real(op === 'tanh' ? 'sigmoid' : op, x);
    const c = conformanceCases().find((k) => k.name.startsWith('unary tanh'));
    expect(await c?.run(broken)).toBeGreaterThan(0.1);
  });
});
