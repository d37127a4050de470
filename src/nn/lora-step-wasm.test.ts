// The LoRA training step on the WebAssembly backend: against PyTorch within the tolerances lora-step.test.ts
// holds the JS backend to, on 1 and 2 threads; and byte-identical parameters after a few training steps on 1
// and 2 threads (the same seed must give the same adapter whatever the thread count).
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { AdamW, Rng, Tensor, backward, clipGradNorm, crossEntropy, tidy, zeroGrad } from '../grad';
import { createWasmBackend, type WasmBackend } from '../grad/backends/wasm';
import { CASES, setup, torchStep, type TorchStep } from './lora-step.test-util';

const PYTHON = process.env.JAMMI_TORCH_PYTHON ?? '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

const made: WasmBackend[] = [];
afterAll(() => made.forEach((b) => b.close()));
const wasm = async (threads: number, parallelMin?: number): Promise<WasmBackend> => {
  const b = await createWasmBackend({ threads, parallelMin });
  made.push(b);
  return b;
};

describe('one LoRA step on the wasm backend vs PyTorch (r = 4, head trainable)', () => {
  it.skipIf(!hasTorch).each(CASES)('%s: loss, gradients, clipped norm and AdamW update agree on 1 and 2 threads', async (name, targets, head) => {
    let torch: TorchStep | null = null;
    for (const threads of [1, 2]) {
      const backend = await wasm(threads, threads > 1 ? 0 : undefined);
      const { dir, ref, model, adapter, trainable, labels } = setup(name, targets, head, backend);
      const req = { input_ids: ref.input_ids, attention_mask: ref.attention_mask, labels, targets, head, r: 4, alpha: 8, lr: 1e-3, weight_decay: 0.01, max_grad_norm: 0.5 };
      if (torch === null) torch = torchStep(PYTHON, dir, adapter, req, 'lora-step-wasm-');
      const t = torch!;
      const opt = new AdamW(trainable, { lr: req.lr, weightDecay: req.weight_decay });
      const loss = tidy(() => {
        const l = crossEntropy(model.forward(ref.input_ids, ref.attention_mask), labels);
        backward(l);
        return l.dataSync()[0];
      });
      expect(Math.abs(loss - t.loss), `${threads} thread(s)`).toBeLessThan(1e-5);
      let worst = 0;
      for (const p of trainable) {
        const want = t.grads[p.name as string];
        const got = (p.grad as Tensor).dataSync();
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      }
      expect(worst).toBeLessThan(1e-4);
      const n = clipGradNorm(trainable, req.max_grad_norm);
      const gotNorm = n.dataSync()[0];
      n.dispose();
      expect(Math.abs(gotNorm - t.norm)).toBeLessThan(1e-5 * Math.max(1, t.norm));
      opt.update();
      zeroGrad(trainable);
      let worstUpdate = 0;
      for (const p of trainable) {
        const want = t.updated[p.name as string];
        const got = p.dataSync();
        for (let i = 0; i < want.length; i++) worstUpdate = Math.max(worstUpdate, Math.abs(got[i] - want[i]));
      }
      console.log(`${name} on ${backend.name}: |loss − torch| = ${Math.abs(loss - t.loss).toExponential(2)}, max |grad − torch| = ${worst.toExponential(2)}, max |param − torch| = ${worstUpdate.toExponential(2)}`);
      expect(worstUpdate).toBeLessThan(1e-6);
      opt.dispose();
      model.dispose();
      expect(backend.liveBuffers()).toBe(0);
    }
  });
});

describe('the same seed gives a byte-identical adapter on 1 and 2 threads', () => {
  it.each([['bert-tiny-sentiment', ['query', 'value'], ['classifier.weight', 'classifier.bias']]] as [string, string[], string[]][])('%s: 3 steps with dropout', async (name, targets, head) => {
    const bytes: Uint8Array[][] = [];
    let initial: Uint8Array[] = [];
    for (const [threads, parallelMin] of [[1, undefined], [2, 0], [2, undefined]] as [number, number | undefined][]) {
      const backend = await wasm(threads, parallelMin);
      const { ref, model, trainable, labels } = setup(name, targets, head, backend);
      const opt = new AdamW(trainable, { lr: 1e-2, weightDecay: 0.01 });
      if (initial.length === 0) initial = trainable.map((p) => new Uint8Array(Float32Array.from(p.dataSync()).buffer));
      for (let step = 0; step < 3; step++) {
        tidy(() => {
          const l = crossEntropy(model.forward(ref.input_ids, ref.attention_mask, { rng: new Rng(100 + step) }), labels);
          backward(l);
          clipGradNorm(trainable, 1.0);
          opt.update();
          zeroGrad(trainable);
        });
      }
      bytes.push(trainable.map((p) => new Uint8Array(Float32Array.from(p.dataSync()).buffer)));
      opt.dispose();
      model.dispose();
    }
    const [one, ...others] = bytes;
    for (const other of others) other.forEach((b, i) => expect(Buffer.compare(Buffer.from(b), Buffer.from(one[i])), `parameter ${i}`).toBe(0));
    // every parameter moved (the comparison is not of untouched initial values)
    one.forEach((b, i) => expect(Buffer.compare(Buffer.from(b), Buffer.from(initial[i])), `parameter ${i} moved`).not.toBe(0));
  });
});
