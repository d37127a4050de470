// Time of one LoRA training step (forward, backward, clip, AdamW) on the CPU backend:
// `node bench/grad-lora-step.mjs [model-dir] [batch]`, default ../shared/models/bert-tiny-sentiment and 8 texts of
// reference.json (128 tokens). Compare with `/usr/bin/python3 bench/grad-lora-step.py` (same step in PyTorch).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadGrad } from './grad-load.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = process.argv[2] ?? path.resolve(here, '../../shared/models/bert-tiny-sentiment');
const batch = Number(process.argv[3] ?? 8);
const g = await loadGrad();
const be = new g.CpuBackend('f32');
const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
const model = g.nn.loadClassifier({ config, weights: new Uint8Array(fs.readFileSync(path.join(dir, 'model.safetensors'))) }, be);
const ref = JSON.parse(fs.readFileSync(path.resolve(here, '../../shared/models/bert-tiny-sentiment/reference.json'), 'utf8'));
const ids = Array.from({ length: batch }, (_, i) => ref.input_ids[i % ref.input_ids.length]);
const mask = Array.from({ length: batch }, (_, i) => ref.attention_mask[i % ref.attention_mask.length]);
const labels = ids.map((_, i) => i % model.labels.length);
const targets = model.architecture === 'distilbert' ? ['q_lin', 'v_lin'] : model.architecture === 'modernbert' ? ['Wqkv'] : ['query', 'value'];
const trainable = model.addLora(targets, { r: 4, alpha: 8 });
const head = model.architecture === 'roberta' ? 'classifier.out_proj' : 'classifier';
for (const n of [`${head}.weight`, `${head}.bias`]) {
  const p = model.params.get(n);
  p.requiresGrad = true;
  trainable.push(p);
}
const opt = new g.AdamW(trainable, { lr: 1e-3 });
const step = () =>
  g.tidy(() => {
    const loss = g.crossEntropy(model.forward(ids, mask), labels);
    g.backward(loss);
    g.clipGradNorm(trainable, 1);
    opt.update();
    g.zeroGrad(trainable);
    return loss.dataSync()[0];
  });
step();
const times = [];
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  step();
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
console.log(`${path.basename(dir)}, batch ${batch} × ${ids[0].length} tokens: LoRA step median ${times[2].toFixed(1)} ms (min ${times[0].toFixed(1)}), live buffers ${be.liveBuffers()}`);
