/**
 * What the inference worker exposes (plain async functions; Comlink carries them). Loaded models stay warm
 * between calls, keyed by what was asked for; the least recently used is released beyond two.
 */
import { Classifier, type LoadOptions, type ModelInfo } from './onnx-classifier';
import type { RowPrediction } from './head';
import { listServedModels } from '../nn/model-files';
import { NativeClassifier, type BatchMemory } from './native-classifier';

type AnyClassifier = Classifier | NativeClassifier;

const KEEP = 2;
const loaded = new Map<string, Promise<AnyClassifier>>();

function keyOf(o: LoadOptions): string {
  const ref =
    o.ref.kind === 'local'
      ? { kind: 'local', name: o.ref.model.name, files: Object.entries(o.ref.model.files).map(([p, b]) => [p, b.size]) }
      : o.ref;
  return JSON.stringify([ref, o.backend, o.dtype ?? null, o.maxLength ?? null, o.engine ?? 'onnx', o.adapter?.modelId ?? null, o.memoryBudgetBytes ?? null]);
}

async function classifier(key: string): Promise<AnyClassifier> {
  const c = loaded.get(key);
  if (!c) throw new Error('The model is no longer loaded; run again.');
  return c;
}

export const inferApi = {
  /** Loads (or reuses) a model; returns the key for `classify` and what was loaded. */
  async load(options: LoadOptions): Promise<{ key: string; info: ModelInfo }> {
    const key = keyOf(options);
    let c = loaded.get(key);
    if (!c) {
      c = options.engine === 'native' || options.adapter ? NativeClassifier.load(options) : Classifier.load(options);
      loaded.set(key, c);
      c.catch(() => loaded.delete(key));
    } else {
      loaded.delete(key); // re-insert: most recently used last
      loaded.set(key, c);
    }
    const info = (await c).info;
    while (loaded.size > KEEP) {
      const [oldKey, old] = loaded.entries().next().value!;
      loaded.delete(oldKey);
      void old.then((m) => m.release()).catch(() => undefined);
    }
    return { key, info };
  },

  async classify(key: string, texts: string[]): Promise<{ predictions: RowPrediction[]; ms: number; memory?: BatchMemory }> {
    const c = loaded.get(key);
    try {
      return await (await classifier(key)).classify(texts);
    } catch (e) {
      // A model whose run failed (a lost device, a broken session) is dropped: the next call loads it afresh.
      if (c && loaded.get(key) === c) {
        loaded.delete(key);
        void c.then((m) => m.release()).catch(() => undefined);
      }
      throw e;
    }
  },

  /** Fault injection (tests): destroys the GPU device of every loaded model on our engine; how many it destroyed. */
  async loseGpuDevice(): Promise<number> {
    let n = 0;
    for (const c of loaded.values()) {
      const m = await c.catch(() => null);
      if (m instanceof NativeClassifier && m.loseDevice()) n++;
    }
    return n;
  },

  listServedModels,
};

export type InferApi = typeof inferApi;
