import { fileURLToPath } from 'node:url';

/**
 * `onnx-schema`: the ONNX protobuf schema as static protobufjs code, the file onnxruntime-web ships at
 * lib/onnxjs/ort-schema/protobuf/onnx.js (not in its package exports, hence an alias). Used by src/nn/onnx-proto.ts.
 */
export const onnxSchema = {
  id: 'onnx-schema',
  alias: { 'onnx-schema': fileURLToPath(new URL('../node_modules/onnxruntime-web/lib/onnxjs/ort-schema/protobuf/onnx.js', import.meta.url)) },
};
