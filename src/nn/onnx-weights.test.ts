import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel, tensorFloats } from './onnx-proto';
import { locateWeights, replaceWeights } from './onnx-weights';
import { parseSafetensors, type F32Entry } from './safetensors';

const dir = path.resolve(__dirname, '../../../shared/models/bert-tiny-sentiment');
const load = () => {
  const model = decodeModel(new Uint8Array(fs.readFileSync(path.join(dir, 'onnx/model.onnx'))));
  const file = parseSafetensors(new Uint8Array(fs.readFileSync(path.join(dir, 'model.safetensors'))));
  const base = new Map<string, F32Entry>([...file.tensors.keys()].map((n) => [n, { shape: file.tensors.get(n)!.shape, data: file.getFloat32(n) }]));
  return { model, base };
};

describe('locating HF weights in a PyTorch ONNX export', () => {
  it('finds kept names as they are and renamed MatMul weights transposed, and replaces them', () => {
    const { model, base } = load();
    const names = ['bert.encoder.layer.0.attention.self.query.weight', 'bert.encoder.layer.1.attention.self.value.weight', 'classifier.weight', 'bert.pooler.dense.weight'];
    const found = locateWeights(model.graph!, base, names);
    expect(found.get('bert.encoder.layer.0.attention.self.query.weight')!.tensor.name).toMatch(/^onnx::MatMul_/);
    expect(found.get('bert.encoder.layer.0.attention.self.query.weight')!.transposed).toBe(true);
    expect(found.get('classifier.weight')).toMatchObject({ transposed: false });
    expect(found.get('classifier.weight')!.tensor.name).toBe('classifier.weight');

    const q = base.get('bert.encoder.layer.0.attention.self.query.weight')!;
    const changed = { shape: q.shape, data: q.data.map((v, i) => v + (i === 1 ? 1 : 0)) }; // row 0, column 1
    replaceWeights(new Map([['q', found.get('bert.encoder.layer.0.attention.self.query.weight')!]]), new Map([['q', changed]]));
    const stored = tensorFloats(found.get('bert.encoder.layer.0.attention.self.query.weight')!.tensor); // [in, out]
    const out = q.shape[0];
    expect(stored[1 * out + 0]).toBeCloseTo(q.data[1] + 1, 6);
  });

  it('fails loudly when a weight is not in the graph, or the graph holds other values', () => {
    const { model, base } = load();
    const q = base.get('bert.encoder.layer.0.attention.self.query.weight')!;
    base.set('bert.encoder.layer.0.attention.self.query.weight', { shape: q.shape, data: q.data.map((v) => v * 1.01) });
    expect(() => locateWeights(model.graph!, base, ['bert.encoder.layer.0.attention.self.query.weight'])).toThrow(/no initializer holds bert\.encoder\.layer\.0\.attention\.self\.query\.weight/);
    const c = base.get('classifier.weight')!;
    base.set('classifier.weight', { shape: c.shape, data: c.data.map((v) => v + 0.5) });
    expect(() => locateWeights(model.graph!, base, ['classifier.weight'])).toThrow(/differs from model\.safetensors/);
    expect(() => locateWeights(model.graph!, base, ['bert.encoder.layer.9.attention.self.query.weight'])).toThrow(/no parameter/);
  });
});
