import { describe, expect, it } from 'vitest';
import { AdamW, JsBackend, Tensor, backward, clipGradNorm, crossEntropy, tidy, zeroGrad } from '../grad';
import { CASES, setup, torchStep } from './lora-step.test-util';
import { torchOracle } from './testdata/torch-oracle';

// JAMMI_TORCH_PYTHON overrides the interpreter (only to test the skip path); CI=true fails instead of skipping.
const { python: PYTHON, hasTorch } = torchOracle('lora-step.test');

describe('one LoRA training step vs PyTorch (r = 4, head trainable, the rest frozen)', () => {
  it.skipIf(!hasTorch).each(CASES)('%s: loss, every trainable gradient, clipped norm and the AdamW update agree', (name, targets, head) => {
    const backend = new JsBackend('f32');
    const { dir, ref, model, adapter, trainable, labels } = setup(name, targets, head, backend);
    const r = 4;
    const alpha = 8;
    const req = { input_ids: ref.input_ids, attention_mask: ref.attention_mask, labels, targets, head, r, alpha, lr: 1e-3, weight_decay: 0.01, max_grad_norm: 0.5 };

    const torch = torchStep(PYTHON, dir, adapter, req, 'lora-step-');
    expect(Object.keys(torch.grads).sort()).toEqual(trainable.map((p) => p.name).sort());

    const live = backend.liveBuffers();
    const opt = new AdamW(trainable, { lr: req.lr, weightDecay: req.weight_decay });
    const loss = tidy(() => {
      const l = crossEntropy(model.forward(ref.input_ids, ref.attention_mask), labels);
      backward(l);
      return l.dataSync()[0];
    });
    expect(Math.abs(loss - torch.loss)).toBeLessThan(1e-5);
    let worst = 0;
    for (const p of trainable) {
      const want = torch.grads[p.name as string];
      const got = (p.grad as Tensor).dataSync();
      let m = 0;
      for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]));
      expect(m, p.name).toBeLessThan(1e-4);
      expect(Math.max(...want.map(Math.abs)), `${p.name} gradient is not trivially zero`).toBeGreaterThan(1e-4);
      worst = Math.max(worst, m);
    }
    const n = clipGradNorm(trainable, req.max_grad_norm);
    const gotNorm = n.dataSync()[0];
    n.dispose();
    expect(Math.abs(gotNorm - torch.norm)).toBeLessThan(1e-5 * Math.max(1, torch.norm));
    opt.update();
    zeroGrad(trainable);
    let worstUpdate = 0;
    for (const p of trainable) {
      const want = torch.updated[p.name as string];
      const got = p.dataSync();
      for (let i = 0; i < want.length; i++) worstUpdate = Math.max(worstUpdate, Math.abs(got[i] - want[i]));
    }
    console.log(`${name} LoRA step: |loss − torch| = ${Math.abs(loss - torch.loss).toExponential(2)}, max |grad − torch| = ${worst.toExponential(2)}, |norm − torch| = ${Math.abs(gotNorm - torch.norm).toExponential(2)} (norm ${torch.norm.toFixed(3)}), max |param after AdamW − torch| = ${worstUpdate.toExponential(2)}`);
    expect(worstUpdate).toBeLessThan(1e-6);
    expect(backend.liveBuffers()).toBe(live + 2 * trainable.length); // only AdamW's m and v
    opt.dispose();
    model.dispose();
    expect(backend.liveBuffers()).toBe(0);
  });
});
