import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { strToU8 } from 'fflate';
import { writeSafetensors, type F32Entry } from './safetensors';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, adapterLabels, readAdapter, unzipAdapter, writeAdapter, zipAdapter } from './adapter-files';
import { mergeEncoderAdapter } from './adapter-merge';

const base = path.resolve(__dirname, '../../../shared/models/bert-tiny-sentiment');
const baseFiles = () => ({
  config: JSON.parse(fs.readFileSync(path.join(base, 'config.json'), 'utf8')),
  weights: new Uint8Array(fs.readFileSync(path.join(base, 'model.safetensors'))),
});

/** A PEFT-style adapter as PEFT's save_pretrained writes it (no id2label), with `labels` output classes. */
function peftFiles(config: Record<string, unknown>, labels = 2, extra: Record<string, F32Entry> = {}) {
  const t = (shape: number[]) => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.01) });
  const tensors: Record<string, F32Entry> = {
    'base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight': t([4, 32]),
    'base_model.model.bert.encoder.layer.0.attention.self.query.lora_B.weight': t([32, 4]),
    'base_model.model.classifier.weight': t([labels, 32]),
    'base_model.model.classifier.bias': t([labels]),
    ...extra,
  };
  const cfg = { peft_type: 'LORA', task_type: 'SEQ_CLS', r: 4, lora_alpha: 8, target_modules: ['query', 'value'], modules_to_save: ['classifier'], base_model_name_or_path: 'bert-tiny-sentiment', ...config };
  return { [ADAPTER_CONFIG]: strToU8(JSON.stringify(cfg)), [ADAPTER_WEIGHTS]: writeSafetensors(tensors) };
}

describe('adapter files', () => {
  it('round-trip through writeAdapter/readAdapter and a zip, byte for byte', () => {
    const adapter = readAdapter(peftFiles({ id2label: { 0: 'no', 1: 'yes' } }));
    const files = writeAdapter(adapter);
    const again = writeAdapter(readAdapter(unzipAdapter(zipAdapter(files))));
    expect(again[ADAPTER_WEIGHTS]).toEqual(files[ADAPTER_WEIGHTS]);
    expect(adapterLabels(adapter)).toEqual(['no', 'yes']);
  });

  it("reads PEFT's own files: labels from the base when the head fits, else LABEL_i", () => {
    const two = readAdapter(peftFiles({}));
    expect(adapterLabels(two, { 0: 'negative', 1: 'positive' })).toEqual(['negative', 'positive']);
    const three = readAdapter(peftFiles({}, 3));
    expect(adapterLabels(three, { 0: 'negative', 1: 'positive' })).toEqual(['LABEL_0', 'LABEL_1', 'LABEL_2']);
    const merged = mergeEncoderAdapter(baseFiles(), three.config as never, three.tensors);
    expect(merged.config.id2label).toEqual({ 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' });
  });

  it.each([
    [{ use_dora: true }, 'DoRA'],
    [{ lora_bias: true }, 'LoRA biases'],
    [{ fan_in_fan_out: true }, 'fan_in_fan_out'],
    [{ rank_pattern: { query: 8 } }, 'rank_pattern'],
    [{ alpha_pattern: { query: 8 } }, 'alpha_pattern'],
    [{ r: 0 }, 'positive integer r'],
    [{ peft_type: 'IA3' }, 'Only LoRA sequence-classification adapters'],
  ])('refuses what it cannot apply faithfully: %j', (config, message) => {
    expect(() => readAdapter(peftFiles(config))).toThrow(message);
  });

  it('refuses DoRA magnitude tensors and LoRA weights for modules the config does not target', () => {
    const dora = { 'base_model.model.bert.encoder.layer.0.attention.self.query.lora_magnitude_vector': { shape: [32], data: new Float32Array(32) } };
    expect(() => readAdapter(peftFiles({}, 2, dora))).toThrow('a kind of LoRA tensor jammi-web does not support');
    const stray = readAdapter(peftFiles({ target_modules: ['value'] }));
    expect(() => mergeEncoderAdapter(baseFiles(), stray.config as never, stray.tensors)).toThrow('do not select');
  });

  it('names a missing file and a corrupted weights file', () => {
    const files = peftFiles({});
    expect(() => readAdapter({ [ADAPTER_CONFIG]: files[ADAPTER_CONFIG] })).toThrow('has no adapter_model.safetensors');
    expect(() => readAdapter({ ...files, [ADAPTER_WEIGHTS]: files[ADAPTER_WEIGHTS].slice(0, 40) })).toThrow('adapter_model.safetensors:');
  });
});
