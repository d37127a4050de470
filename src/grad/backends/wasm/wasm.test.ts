import { afterAll, describe, expect, it } from 'vitest';
import { conformanceCases } from '../../conformance';
import { createWasmBackend, type WasmBackend } from './index';

const made: WasmBackend[] = [];
afterAll(() => made.forEach((b) => b.close()));

describe.each([1, 2])('wasm backend conformance, %i thread(s)', (threads) => {
  let be: WasmBackend;
  it('starts', async () => {
    be = await createWasmBackend({ threads, parallelMin: 0 });
    made.push(be);
    expect(be.threads).toBe(threads);
  });
  it.each(conformanceCases().map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const err = await c.run(be);
    expect(err).toBeLessThanOrEqual(c.tol);
  });
});
