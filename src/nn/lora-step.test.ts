import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdamW, JsBackend, Rng, Tensor, backward, clipGradNorm, crossEntropy, tidy, zeroGrad } from '../grad';
import { loadClassifier, writeSafetensors, type F32Entry } from './index';
import { torchOracle } from './testdata/torch-oracle';

const MODELS = path.resolve(__dirname, '../../../shared/models');
const SCRIPT = path.resolve(__dirname, 'testdata/lora_step.py');
// JAMMI_TORCH_PYTHON overrides the interpreter (only to test the skip path); CI=true fails instead of skipping.
const { python: PYTHON, hasTorch } = torchOracle('lora-step.test');

interface TorchStep {
  loss: number;
  norm: number;
  grads: Record<string, number[]>;
  updated: Record<string, number[]>;
}

/** model folder, LoRA targets, trainable head parameters */
const CASES: [string, string[], string[]][] = [
  ['bert-tiny-sentiment', ['query', 'value'], ['classifier.weight', 'classifier.bias']],
  ['roberta-tiny-spam', ['query', 'value'], ['classifier.out_proj.weight', 'classifier.out_proj.bias']],
  ['distilbert-tiny-emotion', ['q_lin', 'v_lin'], ['classifier.weight', 'classifier.bias']],
  ['modernbert-tiny-cls', ['Wqkv', 'Wo'], ['classifier.weight', 'classifier.bias']],
  ['modernbert-tiny-mean', ['Wqkv', 'Wi'], ['classifier.weight', 'classifier.bias', 'head.dense.weight']],
];

describe('one LoRA training step vs PyTorch (r = 4, head trainable, the rest frozen)', () => {
  it.skipIf(!hasTorch).each(CASES)('%s: loss, every trainable gradient, clipped norm and the AdamW update agree', (name, targets, head) => {
    const dir = path.join(MODELS, name);
    const ref = JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8')) as { input_ids: number[][]; attention_mask: number[][] };
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const backend = new JsBackend('f32');
    const model = loadClassifier({ config, weights: new Uint8Array(readFileSync(path.join(dir, 'model.safetensors'))) }, backend);
    const r = 4;
    const alpha = 8;
    const lora = model.addLora(targets, { r, alpha, seed: 7 });
    // B starts at 0 in PEFT, which would make every lora_A gradient 0: give B random values so the check bites.
    const adapter: Record<string, F32Entry> = {};
    for (const t of lora) {
      const pname = t.name as string;
      if (pname.endsWith('lora_B.weight')) {
        const init = Tensor.fromData(backend, Rng.forKey(11, pname).fillNormal(new Float32Array(t.size), 0.3), t.shape);
        t.assign(init);
        init.dispose();
      }
      adapter[pname] = { shape: t.shape, data: Float32Array.from(t.dataSync()) };
    }
    const headParams = head.map((n) => model.params.get(n) as Tensor);
    for (const p of headParams) p.requiresGrad = true;
    const trainable = [...lora, ...headParams];
    const labels = ref.input_ids.map((_, i) => (i * 7) % model.labels.length);
    const req = { input_ids: ref.input_ids, attention_mask: ref.attention_mask, labels, targets, head, r, alpha, lr: 1e-3, weight_decay: 0.01, max_grad_norm: 0.5 };

    const tmp = mkdtempSync(path.join(os.tmpdir(), 'lora-step-'));
    let torch: TorchStep;
    try {
      writeFileSync(path.join(tmp, 'adapter.safetensors'), writeSafetensors(adapter));
      writeFileSync(path.join(tmp, 'req.json'), JSON.stringify(req));
      const run = spawnSync(PYTHON, [SCRIPT, dir, path.join(tmp, 'adapter.safetensors'), path.join(tmp, 'req.json'), path.join(tmp, 'out.json')], { encoding: 'utf8', timeout: 120_000 });
      expect(run.status, run.stderr).toBe(0);
      torch = JSON.parse(readFileSync(path.join(tmp, 'out.json'), 'utf8')) as TorchStep;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
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
