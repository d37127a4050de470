import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SafetensorsError, halfToFloat, parseSafetensors, writeSafetensors } from './safetensors';

const SHARED = path.resolve(__dirname, '../../../shared');

function craft(header: unknown, data: Uint8Array = new Uint8Array(0), lenOverride?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lenOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips float32 tensors and metadata', () => {
    const a = Float32Array.from([1.5, -2, 3.25, 1e-30, -0]);
    const b = Float32Array.from([7]);
    const bytes = writeSafetensors({ 'x.weight': { shape: [5], data: a }, 'a.bias': { shape: [1, 1], data: b } }, { format: 'pt' });
    const f = parseSafetensors(bytes);
    expect(f.metadata).toEqual({ format: 'pt' });
    expect([...f.tensors.keys()]).toEqual(['a.bias', 'x.weight']);
    expect(f.getFloat32('x.weight')).toEqual(a);
    expect(f.tensors.get('a.bias')?.shape).toEqual([1, 1]);
    expect((new DataView(bytes.buffer).getUint32(0, true) + 8) % 8).toBe(0);
  });

  it('reads F16 and BF16', () => {
    const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7c00, 0x3555]).buffer);
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc040, 0x4049]).buffer);
    const bytes = craft({ h: { dtype: 'F16', shape: [5], data_offsets: [0, 10] }, b: { dtype: 'BF16', shape: [3], data_offsets: [10, 16] } }, new Uint8Array([...f16, ...bf16]));
    const f = parseSafetensors(bytes);
    expect([...f.getFloat32('h', { allowNonFinite: true })]).toEqual([1, -2, 2 ** -24, Infinity, Math.fround(halfToFloat(0x3555))]);
    expect(halfToFloat(0x3555)).toBeCloseTo(0.333251953125, 12);
    expect([...f.getFloat32('b')]).toEqual([1, -3, 3.140625]);
  });

  it('reads the HF fixture in place', () => {
    const f = parseSafetensors(new Uint8Array(readFileSync(path.join(SHARED, 'models/bert-tiny-sentiment/model.safetensors'))));
    expect(f.tensors.get('bert.embeddings.word_embeddings.weight')?.shape).toEqual([30522, 32]);
    expect(f.getFloat32('classifier.weight').length).toBe(64);
  });

  const bad: [string, Uint8Array][] = [
    ['shorter than 8 bytes', new Uint8Array([1, 2, 3])],
    ['header length past the end', craft({}, new Uint8Array(0), 1000n)],
    ['huge header length', craft({}, new Uint8Array(0), 0xffffffffffffffffn)],
    ['header not JSON', craft('{"a": [1, 2')],
    ['header a JSON array', craft([1, 2])],
    ['unknown dtype', craft({ a: { dtype: 'F7', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4))],
    ['offsets past the data (truncated)', craft({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8))],
    ['size/shape mismatch', craft({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8))],
    ['negative offsets', craft({ a: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, new Uint8Array(8))],
    ['reversed offsets', craft({ a: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, new Uint8Array(8))],
    ['bad shape', craft({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, new Uint8Array(8))],
    ['entry not an object', craft({ a: 3 })],
    ['overlapping offsets', craft({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12))],
    ['a shape whose size overflows', craft({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, new Uint8Array(4))],
  ];
  it.each(bad)('rejects a crafted bad file: %s', (_, bytes) => {
    expect(() => parseSafetensors(bytes)).toThrow(SafetensorsError);
  });

  it('refuses NaN and infinite weights unless asked, naming the tensor and index', () => {
    const bytes = writeSafetensors({ w: { shape: [3], data: Float32Array.from([1, NaN, 2]) }, v: { shape: [1], data: Float32Array.from([-Infinity]) } });
    const f = parseSafetensors(bytes);
    expect(() => f.getFloat32('w')).toThrow(/w holds NaN at index 1/);
    expect(() => f.getFloat32('v')).toThrow(/v holds an infinite value at index 0/);
    expect(Number.isNaN(f.getFloat32('w', { allowNonFinite: true })[1])).toBe(true);
  });

  it('rejects a truncated real file and unknown names', () => {
    const full = new Uint8Array(readFileSync(path.join(SHARED, 'models/distilbert-tiny-emotion/model.safetensors')));
    expect(() => parseSafetensors(full.subarray(0, full.length - 100))).toThrow(/outside the .*data block/);
    expect(() => parseSafetensors(full.subarray(0, 200))).toThrow(SafetensorsError);
    expect(() => parseSafetensors(full).getFloat32('nope')).toThrow(/no tensor named nope/);
  });
});
