import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsBackend, Rng, Tensor, add, matmul, scale, tidy } from '../grad';
import { f64, gradCheck } from '../grad/test-utils';
import { Linear, WeightStore, loadClassifier, toTokenBatch, writeSafetensors } from './index';

const MODELS = path.resolve(__dirname, '../../../shared/models');

function store(backend: JsBackend, out: number, inF: number): WeightStore {
  const r = new Rng(1);
  const bytes = writeSafetensors({
    'enc.q.weight': { shape: [out, inF], data: r.fillNormal(new Float32Array(out * inF), 1) },
    'enc.q.bias': { shape: [out], data: r.fillNormal(new Float32Array(out), 1) },
  });
  return new WeightStore(bytes, backend);
}

describe('LoRA linear', () => {
  it.each([false, true])('equals x·(W + s·B·A)ᵀ + b (rslora %s), PEFT names and shapes', (rslora) => {
    const be = new JsBackend('f64');
    const w = store(be, 5, 6);
    const lin = Linear.load(w, 'enc.q', 6, 5);
    const { A, B, scaling } = lin.attachLora(w, { r: 4, alpha: 8, rslora, seed: 3 });
    expect(scaling).toBe(rslora ? 4 : 2);
    expect(A.name).toBe('enc.q.lora_A.weight');
    expect(A.shape).toEqual([4, 6]);
    expect(B.name).toBe('enc.q.lora_B.weight');
    expect(B.shape).toEqual([5, 4]);
    expect([...B.dataSync()].every((v) => v === 0)).toBe(true);
    const bound = 1 / Math.sqrt(6);
    expect([...A.dataSync()].every((v) => Math.abs(v) <= bound)).toBe(true);
    B.assign(Tensor.fromData(be, new Rng(2).fillNormal(new Float64Array(20), 1), [5, 4]));
    tidy(() => {
      const x = Tensor.fromData(be, new Rng(4).fillNormal(new Float64Array(3 * 2 * 6), 1), [3, 2, 6]);
      const merged = add(lin.weight, scale(matmul(B, A), scaling));
      const want = add(matmul(x, merged, { transB: true }), lin.bias as Tensor).dataSync();
      const got = lin.forward(x).dataSync();
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-12);
    });
    // same seed + name → same A, whatever else was created before
    const w2 = store(be, 5, 6);
    const other = new Linear('unrelated', Tensor.zeros(be, [2, 6]), null);
    other.attachLora(w2, { r: 4, alpha: 8, seed: 3 });
    const A2 = Linear.load(w2, 'enc.q', 6, 5).attachLora(w2, { r: 4, alpha: 8, seed: 3 }).A;
    expect([...A2.dataSync()]).toEqual([...A.dataSync()]);
  });

  it('gradients of the LoRA path vs central differences', () => {
    gradCheck(
      (x, W, A, B) => {
        const lin = new Linear('l', W, null);
        lin.lora = { A, B, scaling: 0.75, dropout: 0 };
        return lin.forward(x);
      },
      [[2, 3, 6], [5, 6], [2, 6], [5, 2]],
    );
    expect(f64.name).toBe('cpu-f64');
  });
});

describe('training mode', () => {
  const dir = path.join(MODELS, 'bert-tiny-sentiment');
  const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const weights = new Uint8Array(readFileSync(path.join(dir, 'model.safetensors')));
  const ref = JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8')) as { input_ids: number[][]; attention_mask: number[][] };
  const ids = ref.input_ids.slice(0, 3);
  const mask = ref.attention_mask.slice(0, 3);
  const be = new JsBackend('f32');

  it('dropout: seeded, reproducible, off in eval; zero probabilities equal eval exactly', () => {
    const model = loadClassifier({ config, weights }, be);
    const run = (train?: { rng: Rng }) => tidy(() => Float32Array.from(model.forward(ids, mask, train).dataSync()));
    const evalOut = run();
    const a = run({ rng: new Rng(5) });
    const b = run({ rng: new Rng(5) });
    const c = run({ rng: new Rng(6) });
    expect(a).toEqual(b);
    expect(a).not.toEqual(evalOut);
    expect(a).not.toEqual(c);
    model.dispose();
    const noDrop = { ...config, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 };
    const m0 = loadClassifier({ config: noDrop, weights }, be);
    expect(tidy(() => Float32Array.from(m0.forward(ids, mask, { rng: new Rng(5) }).dataSync()))).toEqual(evalOut);
    m0.dispose();
  });

  it('token_type_ids: all zeros equal the default; ones use the second segment row', () => {
    const model = loadClassifier({ config, weights }, be);
    const t = toTokenBatch(ids, mask);
    const base = tidy(() => Float32Array.from(model.forward(t).dataSync()));
    const zeros = tidy(() => Float32Array.from(model.forward({ ...t, tokenTypes: new Int32Array(t.ids.length) }).dataSync()));
    const ones = tidy(() => Float32Array.from(model.forward({ ...t, tokenTypes: new Int32Array(t.ids.length).fill(1) }).dataSync()));
    for (let i = 0; i < base.length; i++) expect(Math.abs(zeros[i] - base[i])).toBeLessThan(1e-6);
    expect(ones).not.toEqual(base);
    model.dispose();
  });
});
