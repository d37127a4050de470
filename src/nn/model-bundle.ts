/**
 * The one model loader: `config.json` first, then the parts asked for (tokenizer files, `model.safetensors`, an
 * ONNX file) in parallel. Used by ONNX Runtime inference, native inference, the embedder and training.
 * A missing `tokenizer_config.json` is an empty one; every other problem is a `ModelFileError` naming the file.
 */
import { ModelFileError, modelName, readModelFile, readModelJson, type ModelRef } from './model-files';

export interface BundleParts {
  tokenizer?: boolean;
  weights?: boolean;
  /** An ONNX file's path in the model folder, e.g. `onnx/model.onnx`. */
  onnx?: string;
}

export interface ModelBundle<Config> {
  name: string;
  config: Config;
  tokenizer?: { json: object; config: object };
  weights?: Uint8Array;
  onnx?: Uint8Array;
}

const bytes = (b: ArrayBuffer) => new Uint8Array(b);

export async function loadModelBundle<Config = Record<string, unknown>>(ref: ModelRef, parts: BundleParts): Promise<ModelBundle<Config>> {
  const config = await readModelJson<Config>(ref, 'config.json');
  const [json, tokConfig, weights, onnx] = await Promise.all([
    parts.tokenizer ? readModelJson<object>(ref, 'tokenizer.json') : undefined,
    parts.tokenizer
      ? readModelJson<object>(ref, 'tokenizer_config.json').catch((e) => {
          if (e instanceof ModelFileError && e.reason === 'missing') return {};
          throw e;
        })
      : undefined,
    parts.weights ? readModelFile(ref, 'model.safetensors').then(bytes) : undefined,
    parts.onnx ? readModelFile(ref, parts.onnx).then(bytes) : undefined,
  ]);
  return { name: modelName(ref), config, tokenizer: json && tokConfig ? { json, config: tokConfig } : undefined, weights, onnx };
}
