/**
 * The page side of the embedding suggester (`setSuggesterOptions({ suggester: { kind: 'embedding', model } })`):
 * a source column's frozen embeddings come from the embed worker (computed once per source, column and model with
 * the head target's embedder, cached in OPFS; a reload reads them back), then live in a suggest worker of their own
 * (the same workers/suggest.worker.ts), where the softmax head retrains on them after every N labels and scores
 * every row. `Suggesters` (./suggesters) calls `train`, `score` and `similar`; everything else is the same as for
 * the TF-IDF suggester. The embedding pass reports progress and can be cancelled (what it embedded stays cached).
 */
import type { EmbedApi } from '../../workers/embed.worker';
import type { SuggestApi } from '../../workers/suggest.worker';
import type { HeadTrainRequest } from '../label/embedding-core';
import type { TrainResult } from '../label/suggester';
import type { EmbeddingStatus, SuggesterChoice } from '../label/types';
import type { EmbedColumnRequest, EmbedColumnResult, EmbedProgress } from '../train/embed-api';
import { listServedModels, readModelJson, type LocalModel, type ModelRef } from '../nn/model-files';
import { deleteEmbeddings } from '../data/embedding-cache';
import { JammiError } from '../errors';
import { resolveModel } from './infer';
import { proxy, WorkerBridge } from './worker-bridge';

/** The embed worker as the embedding suggester uses it (tests pass an in-process one). */
export interface EmbedEndpoint {
  embedColumn(req: EmbedColumnRequest, onProgress: (p: EmbedProgress) => void, signal: AbortSignal): Promise<EmbedColumnResult>;
  embedTexts(ref: ModelRef, modelKey: string, texts: string[]): Promise<{ dim: number; data: Float32Array }>;
}

/** The suggest worker's head methods (tests pass an in-process one). */
export interface HeadEndpoint {
  setEmbeddings(corpusKey: string, data: Float32Array, dim: number): Promise<void>;
  trainHead(req: HeadTrainRequest): Promise<TrainResult>;
  scoreHead(modelKey: string, data: Float32Array): Promise<{ version: number; classes: string[]; probs: Float32Array }>;
  similarEmbedded(corpusKey: string, row: number, limit: number): Promise<{ row: number; similarity: number }[]>;
  forgetEmbeddings(corpusKey: string): Promise<void>;
}

export interface EmbeddingEndpoints {
  embed: EmbedEndpoint;
  head: HeadEndpoint;
  /** Resolves a model id as `infer` does (served when the app serves it, else the Hub). */
  resolve(model: string): Promise<ModelRef>;
}

/** What identifies a model's weights in the cache: where it comes from, its id and revision (a folder: its files). */
export function modelCacheKey(ref: ModelRef): string {
  if (ref.kind === 'served') return `served:${ref.id}`;
  if (ref.kind === 'hub') return `hub:${ref.host}/${ref.id}@${ref.revision}`;
  return `local:${ref.model.name}:${Object.entries(ref.model.files).map(([p, b]) => `${p}=${b.size}`).sort().join(',')}`;
}

function workers(): EmbeddingEndpoints {
  const embedBridge = new WorkerBridge<EmbedApi>(() => new Worker(new URL('../../workers/embed.worker.ts', import.meta.url), { type: 'module', name: 'jammi-embed' }), {
    what: 'Embedding the rows',
    crashMessage: (detail) => `The embed worker failed: ${detail}`,
  });
  const headBridge = new WorkerBridge<SuggestApi>(() => new Worker(new URL('../../workers/suggest.worker.ts', import.meta.url), { type: 'module', name: 'jammi-suggest-embedding' }), {
    what: 'The embedding suggester',
    crashMessage: (detail) => `The embedding suggester's worker failed: ${detail}`,
  });
  return {
    embed: {
      embedColumn: (req, onProgress, signal) => embedBridge.call((api) => api.embedColumn(req, proxy(onProgress)), { signal, stop: (api) => api.cancel() }),
      embedTexts: (ref, modelKey, texts) => embedBridge.call((api) => api.embedTexts(ref, modelKey, texts)),
    },
    head: {
      setEmbeddings: (k, d, dim) => headBridge.call((api) => api.setEmbeddings(k, d, dim)),
      trainHead: (r) => headBridge.call((api) => api.trainHead(r)),
      scoreHead: (k, d) => headBridge.call((api) => api.scoreHead(k, d)),
      similarEmbedded: (k, r, n) => headBridge.call((api) => api.similarEmbedded(k, r, n)),
      forgetEmbeddings: (k) => headBridge.call((api) => api.forgetEmbeddings(k)),
    },
    resolve: (model) => resolveModel({ model }),
  };
}

interface Pass {
  status: EmbeddingStatus;
  /** Resolves once the embeddings are in the head worker. */
  run: Promise<void> | null;
  abort: AbortController | null;
  ref: ModelRef | null;
  modelKey: string | null;
  /** Set when the head worker holds these embeddings (a crash of it clears every pass's flag). */
  loaded: boolean;
}

const passKey = (source: string, column: string, model: string) => JSON.stringify([source, column, model]);

/** The model id a picked folder goes by (`local:<folder name>`); resolved only while the folder is open in this tab. */
export const localModelId = (name: string) => `local:${name}`;

export class EmbeddingSuggesters {
  private readonly passes = new Map<string, Pass>();
  private endpoints: EmbeddingEndpoints | null = null;
  /** Folders picked in this tab, by `local:<name>` (files cannot be kept across reloads). */
  private readonly locals = new Map<string, LocalModel>();

  constructor(
    /** Called on every change of a pass's status. */
    private readonly onChange: (source: string, column: string, model: string) => void,
    private readonly connect: () => EmbeddingEndpoints = workers,
    /** Cache in OPFS (false: a database that keeps nothing across reloads). */
    private readonly cache: () => boolean = () => true,
  ) {}

  private get ep(): EmbeddingEndpoints {
    return (this.endpoints ??= this.connect());
  }

  /** Makes a picked folder usable as `local:<name>`; a pass that failed for want of it is forgotten (it runs again). */
  registerLocal(model: LocalModel): string {
    if (!model || typeof model.name !== 'string' || !model.name || !model.files) throw new JammiError('bad_input', 'A local model needs a name and its files.');
    const id = localModelId(model.name);
    this.locals.set(id, model);
    for (const [k, p] of this.passes) if ((JSON.parse(k) as string[])[2] === id && !p.run) this.passes.delete(k);
    return id;
  }

  private resolve(model: string): Promise<ModelRef> {
    if (!model.startsWith('local:')) return this.ep.resolve(model);
    const local = this.locals.get(model);
    if (!local) {
      const name = model.slice('local:'.length);
      return Promise.reject(new JammiError('bad_input', `The model folder "${name}" is not open in this tab: pick it again (a folder's files are never kept across reloads).`));
    }
    return Promise.resolve({ kind: 'local', model: local });
  }

  status(source: string, column: string | null, model: string): EmbeddingStatus | undefined {
    if (column === null) return undefined;
    const p = this.passes.get(passKey(source, column, model));
    return p ? { ...p.status } : undefined;
  }

  /** Embeddings of a column ready in the head worker: from the running pass, the cache, or a new pass. */
  prepare(source: string, column: string, model: string, texts: () => readonly (string | null)[]): Promise<void> {
    const k = passKey(source, column, model);
    let p = this.passes.get(k);
    if (p?.run) return p.run;
    if (p?.loaded) return Promise.resolve();
    const total = texts().length;
    if (!p) {
      p = { status: { model, state: 'embedding', phase: 'checking', done: 0, total, cached: 0, computed: 0 }, run: null, abort: null, ref: null, modelKey: null, loaded: false };
      this.passes.set(k, p);
    }
    const pass = p;
    const abort = (pass.abort = new AbortController());
    pass.status = { model, state: 'embedding', phase: 'checking', done: 0, total, cached: 0, computed: 0 };
    this.onChange(source, column, model);
    pass.run = (async () => {
      try {
        pass.ref ??= await this.resolve(model);
        pass.modelKey ??= modelCacheKey(pass.ref);
        const result = await this.ep.embed.embedColumn(
          { key: { source, column, model: pass.modelKey }, ref: pass.ref, texts: [...texts()], cache: this.cache() },
          (progress) => {
            if (abort.signal.aborted) return;
            pass.status = { ...pass.status, phase: progress.phase, done: progress.done, total: progress.total, cached: progress.cached };
            this.onChange(source, column, model);
          },
          abort.signal,
        );
        await this.ep.head.setEmbeddings(corpusOf(source, column, model), result.data, result.dim);
        pass.loaded = true;
        pass.status = { model, state: 'ready', done: result.rows, total: result.rows, cached: result.rows - result.computed, computed: result.computed, seconds: result.ms / 1000 };
      } catch (e) {
        const cancelled = (e as { code?: string })?.code === 'cancelled' || abort.signal.aborted;
        if ((e as { code?: string })?.code === 'worker_crashed') this.lostHead();
        pass.status = { ...pass.status, state: cancelled ? 'cancelled' : 'failed', phase: undefined, error: cancelled ? 'Embedding was cancelled; what was embedded stays cached.' : (e as Error).message };
        throw cancelled ? new JammiError('cancelled', `Embedding the rows with ${model} was cancelled; what was embedded stays cached.`) : e;
      } finally {
        pass.run = null;
        pass.abort = null;
        this.onChange(source, column, model);
      }
    })();
    pass.run.catch(() => undefined);
    return pass.run;
  }

  /** Stops a running pass (its finished chunks stay cached). */
  cancel(source: string, column: string, model: string): void {
    this.passes.get(passKey(source, column, model))?.abort?.abort();
  }

  /** Trains the head on the labelled rows (embedding the column first if needed). */
  async train(o: { choice: Extract<SuggesterChoice, { kind: 'embedding' }>; source: string; column: string; modelKey: string; rows: number[]; labels: string[]; version: number; texts: () => readonly (string | null)[] }): Promise<TrainResult> {
    const model = o.choice.model;
    await this.prepare(o.source, o.column, model, o.texts);
    try {
      return await this.ep.head.trainHead({ modelKey: o.modelKey, corpusKey: corpusOf(o.source, o.column, model), rows: o.rows, labels: o.labels, version: o.version });
    } catch (e) {
      if ((e as { code?: string })?.code === 'worker_crashed') this.lostHead();
      throw e;
    }
  }

  /** Probabilities of any texts by the newest head under `modelKey` (the texts are embedded, not cached). */
  async score(modelKey: string, source: string, column: string, model: string, texts: string[]): Promise<{ version: number; classes: string[]; probs: Float32Array }> {
    const p = this.passes.get(passKey(source, column, model));
    const ref = p?.ref ?? (await this.resolve(model));
    const { data } = await this.ep.embed.embedTexts(ref, modelCacheKey(ref), texts);
    return this.ep.head.scoreHead(modelKey, data);
  }

  /** Nearest rows by cosine of the embeddings, or null when they are not ready (the caller uses TF-IDF). */
  async similar(source: string, column: string, model: string, row: number, limit: number, texts: () => readonly (string | null)[]): Promise<{ row: number; similarity: number }[] | null> {
    const p = this.passes.get(passKey(source, column, model));
    if (!p || p.run || p.status.state !== 'ready') return null;
    if (!p.loaded) await this.prepare(source, column, model, texts); // the head worker restarted: read the cache back
    return this.ep.head.similarEmbedded(corpusOf(source, column, model), row, limit);
  }

  private lostHead(): void {
    for (const p of this.passes.values()) p.loaded = false;
  }

  /** Drops a removed source's passes, its embeddings in the worker and its cache. */
  forgetSource(source: string): void {
    for (const [k, p] of this.passes) {
      const [s, column, model] = JSON.parse(k) as string[];
      if (s !== source) continue;
      p.abort?.abort();
      this.passes.delete(k);
      if (p.loaded) void this.ep.head.forgetEmbeddings(corpusOf(s, column, model)).catch(() => undefined);
    }
    void deleteEmbeddings(source).catch(() => undefined);
  }
}

const corpusOf = (source: string, column: string, model: string) => JSON.stringify(['embedding', source, column, model]);

/**
 * Served models that work as embedders for the embedding suggester: encoders without a classification head
 * (`architectures` such as BertModel, not …ForSequenceClassification), e.g. sentence-embedding exports.
 */
export async function servedEmbeddingModels(): Promise<string[]> {
  const ids = await listServedModels();
  const checked = await Promise.all(
    ids.map(async (id) => {
      try {
        const config = await readModelJson<{ architectures?: string[] }>({ kind: 'served', id }, 'config.json');
        return (config.architectures ?? []).every((a) => !/For(Sequence|Token)Classification$|ForMaskedLM$/.test(a)) ? id : null;
      } catch {
        return null;
      }
    }),
  );
  return checked.filter((id): id is string => id !== null);
}
