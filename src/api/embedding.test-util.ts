/**
 * Test fixture (Node only): the embedding suggester's worker endpoints in this process. Embeddings come from
 * onnxruntime-node on a shared model's onnx/model.onnx (mean pooling, as its 1_Pooling says), an independent path
 * from the app's onnxruntime-web embedder; the cache is an in-memory OPFS directory; the head is the worker's own
 * EmbeddingCore. Every embedded text is counted, so a test can tell a cache read from a second embedding pass.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as ortNode from 'onnxruntime-node';
import { ensureEmbeddings } from '../data/embedding-cache';
import { MemoryDirectory } from '../data/opfs-memory.test-util';
import { TextTokenizer } from '../infer/tokenizer';
import { pool } from '../nn/pooling';
import { padBatch } from '../nn/token-batch';
import { EmbeddingCore } from '../label/embedding-core';
import type { EmbeddingEndpoints } from './embedding-suggester';

export const sharedDir = path.resolve(__dirname, '../../../shared');
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

/** Mean-pooled embeddings by onnxruntime-node; `embedded` counts the texts it ran. */
export async function nodeEmbedder(model: string) {
  const dir = path.join(sharedDir, 'models', model);
  const tokenizer = new TextTokenizer(readJson(path.join(dir, 'tokenizer.json')), readJson(path.join(dir, 'tokenizer_config.json')), 128);
  const session = await ortNode.InferenceSession.create(path.join(dir, 'onnx/model.onnx'));
  const counter = { embedded: 0 };
  const embed = async (texts: string[], onRows: (done: number) => void = () => {}): Promise<Float32Array[]> => {
    counter.embedded += texts.length;
    const tokens = texts.map((t) => tokenizer.encode(t));
    const order = tokens.map((_, i) => i).sort((a, b) => tokens[a].length - tokens[b].length);
    const out: Float32Array[] = new Array(texts.length);
    for (let i = 0; i < order.length; i += 64) {
      const rows = order.slice(i, i + 64);
      const { seq, inputs } = padBatch(rows.map((r) => tokens[r]), tokenizer.padId);
      const feeds: Record<string, ortNode.Tensor> = {};
      for (const name of session.inputNames) feeds[name] = new ortNode.Tensor('int64', inputs[name], [rows.length, seq]);
      const hidden = (await session.run(feeds)).last_hidden_state;
      const dim = hidden.dims[2] as number;
      rows.forEach((r, b) => (out[r] = pool(hidden.data as Float32Array, b * seq * dim, inputs.attention_mask, b * seq, seq, dim, 'mean')));
      onRows(Math.min(order.length, i + 64));
    }
    return out;
  };
  return { embed, counter, release: () => session.release(), reference: readJson(path.join(dir, 'reference.json')) as { texts: string[]; mean_pooled: number[][] } };
}

/** The embed and head endpoints in this process, over one in-memory OPFS root (a "reload" reuses the root). */
export async function inProcessEndpoints(model: string, root = new MemoryDirectory()) {
  const embedder = await nodeEmbedder(model);
  const core = new EmbeddingCore();
  const later = <T>(f: () => T) => new Promise<T>((resolve, reject) => setTimeout(() => {
    try {
      resolve(f());
    } catch (e) {
      reject(e);
    }
  }, 0));
  const endpoints: EmbeddingEndpoints = {
    resolve: async (id) => ({ kind: 'served', id }),
    embed: {
      async embedColumn(req, onProgress, signal) {
        const r = await ensureEmbeddings({
          root: req.cache === false ? null : root.asHandle(),
          key: req.key,
          texts: req.texts,
          embed: (texts, onRows) => embedder.embed(texts, (n) => {
            if (signal.aborted) throw Object.assign(new Error('Embedding was cancelled.'), { code: 'cancelled' });
            onRows(n);
          }),
          onProgress: (p) => onProgress({ phase: 'embedding', ...p }),
          chunkRows: 128,
        });
        return { ...r, backend: null };
      },
      async embedTexts(_ref, _key, texts) {
        const r = await ensureEmbeddings({ root: null, key: { source: '', column: '', model: '' }, texts, embed: embedder.embed });
        return { dim: r.dim, data: r.data };
      },
    },
    head: {
      setEmbeddings: (k, d, dim) => later(() => core.setEmbeddings(k, d, dim)),
      trainHead: (r) => later(() => core.train(r)),
      scoreHead: (k, d) => later(() => core.score(k, d)),
      similarEmbedded: (k, r, n) => later(() => core.similar(k, r, n)),
      forgetEmbeddings: (k) => later(() => core.forget(k)),
    },
  };
  return { endpoints, embedder, root, core };
}
