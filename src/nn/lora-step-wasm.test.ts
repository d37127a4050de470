// The LoRA training step on the WebAssembly backend: against PyTorch within the tolerances lora-step.test.ts
// holds the JS backend to, on 1 and 2 threads; and byte-identical parameters after a few training steps on 1
// and 2 threads (the same seed must give the same adapter whatever the thread count).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AdamW, Rng, Tensor, backward, clipGradNorm, crossEntropy, tidy, zeroGrad, type Backend } from '../grad';
import { createWasmBackend, type WasmBackend } from '../grad/backends/wasm';
import { loadClassifier, writeSafetensors, type F32Entry } from './index';

const MODELS = path.resolve(__dirname, '../../../shared/models');
const SCRIPT = path.resolve(__dirname, 'testdata/lora_step.py');
const PYTHON = process.env.JAMMI_TORCH_PYTHON ?? '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

const made: WasmBackend[] = [];
afterAll(() => made.forEach((b) => b.close()));
const wasm = async (threads: number, parallelMin?: number): Promise<WasmBackend> => {
  const b = await createWasmBackend({ threads, parallelMin });
  made.push(b);
  return b;
};

const CASES: [string, string[], string[]][] = [
  ['bert-tiny-sentiment', ['query', 'value'], ['classifier.weight', 'classifier.bias']],
  ['roberta-tiny-spam', ['query', 'value'], ['classifier.out_proj.weight', 'classifier.out_proj.bias']],
  ['distilbert-tiny-emotion', ['q_lin', 'v_lin'], ['classifier.weight', 'classifier.bias']],
  ['modernbert-tiny-cls', ['Wqkv', 'Wo'], ['classifier.weight', 'classifier.bias']],
  ['modernbert-tiny-mean', ['Wqkv', 'Wi'], ['classifier.weight', 'classifier.bias', 'head.dense.weight']],
];

function setup(name: string, targets: string[], head: string[], backend: Backend) {
  const dir = path.join(MODELS, name);
  const ref = JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8')) as { input_ids: number[][]; attention_mask: number[][] };
  const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const model = loadClassifier({ config, weights: new Uint8Array(readFileSync(path.join(dir, 'model.safetensors'))) }, backend);
  const lora = model.addLora(targets, { r: 4, alpha: 8, seed: 7 });
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
  return { dir, ref, model, adapter, trainable, labels };
}

describe('one LoRA step on the wasm backend vs PyTorch (r = 4, head trainable)', () => {
  it.skipIf(!hasTorch).each(CASES)('%s: loss, gradients, clipped norm and AdamW update agree on 1 and 2 threads', async (name, targets, head) => {
    let torch: { loss: number; norm: number; grads: Record<string, number[]>; updated: Record<string, number[]> } | null = null;
    for (const threads of [1, 2]) {
      const backend = await wasm(threads, threads > 1 ? 0 : undefined);
      const { dir, ref, model, adapter, trainable, labels } = setup(name, targets, head, backend);
      const req = { input_ids: ref.input_ids, attention_mask: ref.attention_mask, labels, targets, head, r: 4, alpha: 8, lr: 1e-3, weight_decay: 0.01, max_grad_norm: 0.5 };
      if (torch === null) {
        const tmp = mkdtempSync(path.join(os.tmpdir(), 'lora-step-wasm-'));
        try {
          writeFileSync(path.join(tmp, 'adapter.safetensors'), writeSafetensors(adapter));
          writeFileSync(path.join(tmp, 'req.json'), JSON.stringify(req));
          const run = spawnSync(PYTHON, [SCRIPT, dir, path.join(tmp, 'adapter.safetensors'), path.join(tmp, 'req.json'), path.join(tmp, 'out.json')], { encoding: 'utf8', timeout: 120_000 });
          expect(run.status, run.stderr).toBe(0);
          torch = JSON.parse(readFileSync(path.join(tmp, 'out.json'), 'utf8'));
        } finally {
          rmSync(tmp, { recursive: true, force: true });
        }
      }
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
