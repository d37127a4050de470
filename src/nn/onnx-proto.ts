/**
 * The ONNX schema as protobufjs static code: the `onnx.js` / `onnx.d.ts` that onnxruntime-web ships, compiled from
 * onnx.proto (IR version 9) by protobufjs' `pbjs -t static-module` onto `protobufjs/minimal` (a dependency of both).
 * Static code has no reflection and no `Function`/`eval`, so it runs under a strict CSP.
 *
 * NOTE: static decoders skip fields their schema does not know (ones added to onnx.proto after IR 9). PyTorch's
 * exporter writes IR 7–8 models; an edited model is checked by loading it in ONNX Runtime (the export tests).
 */
// `onnx-schema` is an alias of that file (vite/onnx-schema.ts; types through tsconfig `paths`).
import * as generated from 'onnx-schema';
import { JammiError } from '../errors';
import type { onnx as OnnxSchema } from 'onnx-schema';

// The file is CommonJS (`module.exports = { onnx }`): a bundler gives it as named exports, Node's ESM loader as `default`.
const mod = generated as unknown as { onnx?: typeof OnnxSchema; default?: { onnx: typeof OnnxSchema } };
export const onnx: typeof OnnxSchema = mod.onnx ?? mod.default!.onnx;

export type ModelProto = OnnxSchema.ModelProto;
export type GraphProto = OnnxSchema.IGraphProto;
export type NodeProto = OnnxSchema.INodeProto;
export type TensorProto = OnnxSchema.ITensorProto;
export type AttributeProto = OnnxSchema.IAttributeProto;
export type ValueInfoProto = OnnxSchema.IValueInfoProto;

/** An ONNX model that cannot be read or edited as asked. */
export class OnnxError extends JammiError {
  constructor(message: string) {
    super('model_config', `onnx/model.onnx: ${message}`);
  }
}

/** int64 fields decode as numbers or Long objects. */
export const toInt = (v: number | { toNumber(): number } | null | undefined): number => (v == null ? 0 : typeof v === 'number' ? v : v.toNumber());

export function decodeModel(bytes: Uint8Array): ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new OnnxError(`not a readable ONNX model (${(e as Error).message})`);
  }
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const EXTERNAL = onnx.TensorProto.DataLocation.EXTERNAL;

export const tensorDims = (t: TensorProto): number[] => (t.dims ?? []).map(toInt);

/** A float32 initializer's values, from `raw_data` (little-endian bytes) or `float_data`, whichever holds them. */
export function tensorFloats(t: TensorProto): Float32Array {
  if (t.dataType !== FLOAT) throw new OnnxError(`initializer ${t.name} is of data type ${t.dataType}, not float32`);
  if (t.dataLocation === EXTERNAL) throw new OnnxError(`initializer ${t.name} keeps its data in an external file, which export does not support`);
  const count = tensorDims(t).reduce((a, d) => a * d, 1);
  const raw = t.rawData;
  let out: Float32Array;
  if (raw && raw.length > 0) {
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    out = new Float32Array(raw.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(4 * i, true);
  } else out = Float32Array.from(t.floatData ?? []);
  if (out.length !== count) throw new OnnxError(`initializer ${t.name} holds ${out.length} values for dims [${tensorDims(t)}]`);
  return out;
}

/** Replaces an initializer's values (and dims) in place, always as `raw_data`. */
export function setTensorFloats(t: TensorProto, dims: readonly number[], data: Float32Array): void {
  if (dims.reduce((a, d) => a * d, 1) !== data.length) throw new OnnxError(`${data.length} values for dims [${dims}] of ${t.name}`);
  const raw = new Uint8Array(data.length * 4);
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) dv.setFloat32(4 * i, data[i], true);
  t.dims = [...dims];
  t.dataType = FLOAT;
  t.rawData = raw;
  t.floatData = [];
}

/** A new float32 initializer. */
export function floatTensor(name: string, dims: readonly number[], data: Float32Array): TensorProto {
  const t = onnx.TensorProto.create({ name });
  setTensorFloats(t, dims, data);
  return t;
}

/** A new int64 initializer (axes, indices). */
export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): TensorProto {
  return onnx.TensorProto.create({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.INT64, int64Data: [...values] });
}
