/** Test fixture (Node only) shared by lora-step.test.ts and lora-step-wasm.test.ts: the models, their LoRA set-up and the PyTorch step. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { Rng, Tensor, type Backend } from '../grad';
import { loadClassifier, writeSafetensors, type F32Entry } from './index';

const MODELS = path.resolve(__dirname, '../../../shared/models');
const SCRIPT = path.resolve(__dirname, 'testdata/lora_step.py');

export interface TorchStep {
  loss: number;
  norm: number;
  grads: Record<string, number[]>;
  updated: Record<string, number[]>;
}

/** model folder, LoRA targets, trainable head parameters */
export const CASES: [string, string[], string[]][] = [
  ['bert-tiny-sentiment', ['query', 'value'], ['classifier.weight', 'classifier.bias']],
  ['roberta-tiny-spam', ['query', 'value'], ['classifier.out_proj.weight', 'classifier.out_proj.bias']],
  ['distilbert-tiny-emotion', ['q_lin', 'v_lin'], ['classifier.weight', 'classifier.bias']],
  ['modernbert-tiny-cls', ['Wqkv', 'Wo'], ['classifier.weight', 'classifier.bias']],
  ['modernbert-tiny-mean', ['Wqkv', 'Wi'], ['classifier.weight', 'classifier.bias', 'head.dense.weight']],
];

/** Loads a model on `backend` with LoRA (r = 4, alpha = 8) on `targets` and `head` trainable; the adapter's initial values. */
export function setup(name: string, targets: string[], head: string[], backend: Backend) {
  const dir = path.join(MODELS, name);
  const ref = JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8')) as { input_ids: number[][]; attention_mask: number[][] };
  const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const model = loadClassifier({ config, weights: new Uint8Array(readFileSync(path.join(dir, 'model.safetensors'))) }, backend);
  const lora = model.addLora(targets, { r: 4, alpha: 8, seed: 7 });
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
  return { dir, ref, model, adapter, trainable, labels };
}

/** The same step in PyTorch (testdata/lora_step.py) from the same adapter and request. */
export function torchStep(python: string, dir: string, adapter: Record<string, F32Entry>, req: object, tmpPrefix: string): TorchStep {
  const tmp = mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
  try {
    writeFileSync(path.join(tmp, 'adapter.safetensors'), writeSafetensors(adapter));
    writeFileSync(path.join(tmp, 'req.json'), JSON.stringify(req));
    const run = spawnSync(python, [SCRIPT, dir, path.join(tmp, 'adapter.safetensors'), path.join(tmp, 'req.json'), path.join(tmp, 'out.json')], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    return JSON.parse(readFileSync(path.join(tmp, 'out.json'), 'utf8')) as TorchStep;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
