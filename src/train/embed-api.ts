/**
 * What the embed worker exposes (workers/embed.worker.ts): a source column's frozen embeddings for the embedding
 * suggester, computed with the head target's embedder (src/infer/embedder.ts) and cached in OPFS per (source, text
 * column, model) (src/data/embedding-cache.ts). Rows the cache has are read back, never embedded again; the model is
 * loaded only when some are missing. One job at a time; `cancel` stops it after the batch in flight (the chunks
 * written so far stay cached).
 */
import { transfer } from 'comlink';
import { embeddingsRoot, ensureEmbeddings, type EmbeddingKey } from '../data/embedding-cache';
import { loadEmbedder, type Embedder } from '../infer/embedder';
import { chooseOrtBackend, type ExecutionBackend } from '../infer/ort';
import { modelName, type ModelRef } from '../nn/model-files';
import { cancelledError } from '../errors';

export interface EmbedColumnRequest {
  key: EmbeddingKey;
  ref: ModelRef;
  texts: (string | null)[];
  backend?: 'auto' | 'webgpu' | 'wasm';
  /** Read and write the OPFS cache (default true). */
  cache?: boolean;
}

export interface EmbedProgress {
  phase: 'checking' | 'loading' | 'embedding';
  done: number;
  total: number;
  /** Rows read back from the cache. */
  cached: number;
}

export interface EmbedColumnResult {
  rows: number;
  dim: number;
  data: Float32Array;
  /** Rows embedded by this call (0: all came from the cache). */
  computed: number;
  ms: number;
  /** ONNX Runtime's backend, when the model was loaded. */
  backend: ExecutionBackend | null;
}

/** Jobs are numbered; `cancel` stops every job started so far (a later job is not affected). */
let jobs = 0;
let cancelledUpTo = 0;
let warm: { key: string; embedder: Promise<Embedder>; backend: ExecutionBackend } | null = null;

async function embedderFor(ref: ModelRef, modelKey: string, choice: 'auto' | 'webgpu' | 'wasm'): Promise<{ embedder: Embedder; backend: ExecutionBackend }> {
  if (warm?.key !== `${modelKey}|${choice}`) {
    const old = warm;
    warm = null;
    void old?.embedder.then((e) => e.release()).catch(() => undefined);
    const { backend } = await chooseOrtBackend(choice);
    const embedder = loadEmbedder(ref, backend);
    embedder.catch(() => (warm = null));
    warm = { key: `${modelKey}|${choice}`, embedder, backend };
  }
  return { embedder: await warm.embedder, backend: warm.backend };
}

/** Rows per embedder call: between calls the worker reads its messages (a cancel), so a cancel waits at most this. */
const SLICE = 64;

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * `embedder.embed` on slices of SLICE texts, shortest first (little padding, as the embedder's own length order),
 * yielding to the worker's message queue between slices. NOTE: ONNX Runtime's runs resolve without a macrotask, so
 * one long `embed` call would not see a cancel message until it ends.
 */
async function embedInSlices(embedder: Embedder, texts: string[], onRows: (done: number) => void, check: () => void): Promise<Float32Array[]> {
  const order = texts.map((_, i) => i).sort((a, b) => texts[a].length - texts[b].length);
  const out: Float32Array[] = new Array(texts.length);
  for (let i = 0; i < order.length; i += SLICE) {
    await nextTask();
    check();
    const rows = order.slice(i, i + SLICE);
    const vectors = await embedder.embed(rows.map((r) => texts[r]));
    rows.forEach((r, j) => (out[r] = vectors[j]));
    onRows(Math.min(order.length, i + SLICE));
  }
  return out;
}

export const embedApi = {
  /** Stops the job in flight after its current batch. */
  cancel(): void {
    cancelledUpTo = jobs;
  },

  async embedColumn(req: EmbedColumnRequest, onProgress: (p: EmbedProgress) => void): Promise<EmbedColumnResult> {
    const job = ++jobs;
    const cancelled = () => cancelledUpTo >= job;
    let backend: ExecutionBackend | null = null;
    let phase: EmbedProgress['phase'] = 'checking';
    onProgress({ phase, done: 0, total: req.texts.length, cached: 0 });
    const result = await ensureEmbeddings({
      root: req.cache === false ? null : await embeddingsRoot().catch(() => null),
      key: req.key,
      texts: req.texts,
      embed: async (texts, onRows) => {
        if (cancelled()) throw cancelledError(`Embedding with ${modelName(req.ref)}`);
        phase = 'loading';
        onProgress({ phase, done: 0, total: req.texts.length, cached: 0 });
        const loaded = await embedderFor(req.ref, req.key.model, req.backend ?? 'auto');
        backend = loaded.backend;
        phase = 'embedding';
        return embedInSlices(loaded.embedder, texts, onRows, () => {
          if (cancelled()) throw cancelledError(`Embedding with ${modelName(req.ref)}`);
        });
      },
      onProgress: (p) => onProgress({ phase, ...p }),
    });
    return transfer({ ...result, backend }, [result.data.buffer]);
  },

  /** Embeddings of any texts (not cached: e.g. another source's rows to score), [texts × dim], L2-normalised. */
  async embedTexts(ref: ModelRef, modelKey: string, texts: string[], backend: 'auto' | 'webgpu' | 'wasm' = 'auto'): Promise<{ dim: number; data: Float32Array }> {
    const result = await ensureEmbeddings({ root: null, key: { source: '', column: '', model: modelKey }, texts, embed: async (t, onRows) => (await embedderFor(ref, modelKey, backend)).embedder.embed(t, onRows) });
    return transfer({ dim: result.dim, data: result.data }, [result.data.buffer]);
  },
};

export type EmbedApi = typeof embedApi;
