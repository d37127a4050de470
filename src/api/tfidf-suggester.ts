/**
 * The TF-IDF suggester's page side: the suggest worker (workers/suggest.worker.ts) through the one worker bridge,
 * the corpora (a source's text column) sent to it, and its train / score / similar calls. `Suggesters`
 * (./suggesters) decides when to train; this only talks to the worker.
 */
import type { SuggestApi } from '../../workers/suggest.worker';
import type { TrainResult } from '../label/suggester';
import { WorkerBridge } from './worker-bridge';

/** The suggest worker as the suggesters use it (tests pass an in-process one). */
export interface SuggestEndpoint {
  remote: { [K in 'setTexts' | 'train' | 'score' | 'similar' | 'forget']: (...args: Parameters<SuggestApi[K]>) => Promise<ReturnType<SuggestApi[K]>> };
  /** Rejects when the worker dies. */
  dead: Promise<never>;
}

/** The suggest worker through the one worker bridge; a crash (the bridge starts a new worker) forgets the corpora sent. */
export function suggestWorker(onDead: () => void): SuggestEndpoint {
  const bridge = new WorkerBridge<SuggestApi>(() => new Worker(new URL('../../workers/suggest.worker.ts', import.meta.url), { type: 'module', name: 'jammi-suggest' }), {
    what: 'The suggester',
    crashMessage: (detail) => `The suggest worker failed: ${detail}`,
  });
  const call = <T>(job: Parameters<typeof bridge.call<T>>[0]) =>
    bridge.call(job).catch((e: unknown) => {
      if ((e as { code?: string })?.code === 'worker_crashed') onDead();
      throw e;
    });
  return {
    dead: new Promise<never>(() => {}),
    remote: {
      setTexts: (k, t) => call((api) => api.setTexts(k, t)),
      train: (r) => call((api) => api.train(r)),
      score: (k, t) => call((api) => api.score(k, t)),
      similar: (k, r, n) => call((api) => api.similar(k, r, n)),
      forget: (k) => call((api) => api.forget(k)),
    },
  };
}

const corpusOf = (source: string, textColumn: string) => JSON.stringify([source, textColumn]);

/** The TF-IDF models in the suggest worker, keyed by `modelKey` (one per label column). */
export class TfidfSuggester {
  private worker: (SuggestEndpoint & { corpora: Set<string> }) | null = null;

  constructor(
    private readonly texts: (source: string, column: string) => readonly (string | null)[],
    private readonly connect: (onDead: () => void) => SuggestEndpoint = suggestWorker,
  ) {}

  private ensureWorker() {
    if (!this.worker) this.worker = { ...this.connect(() => (this.worker = null)), corpora: new Set() };
    return this.worker;
  }

  /** The worker with the source's text column sent to it (once per worker). */
  private async withCorpus(source: string, textColumn: string) {
    const w = this.ensureWorker();
    const corpus = corpusOf(source, textColumn);
    if (!w.corpora.has(corpus)) {
      await Promise.race([w.remote.setTexts(corpus, [...this.texts(source, textColumn)]), w.dead]);
      w.corpora.add(corpus);
    }
    return { w, corpus };
  }

  async train(o: { source: string; textColumn: string; modelKey: string; rows: number[]; labels: string[] }): Promise<TrainResult> {
    const { w, corpus } = await this.withCorpus(o.source, o.textColumn);
    return Promise.race([w.remote.train({ modelKey: o.modelKey, corpusKey: corpus, rows: o.rows, labels: o.labels }), w.dead]);
  }

  /** Scores any texts with the newest model under `modelKey`. */
  score(modelKey: string, texts: (string | null)[]): Promise<{ version: number; classes: string[]; probs: Float32Array }> {
    const w = this.ensureWorker();
    return Promise.race([w.remote.score(modelKey, texts), w.dead]);
  }

  /** Rows like `row` by TF-IDF cosine, best first. */
  async similar(source: string, textColumn: string, row: number, limit: number): Promise<{ row: number; similarity: number }[]> {
    const { w, corpus } = await this.withCorpus(source, textColumn);
    return Promise.race([w.remote.similar(corpus, row, limit), w.dead]);
  }

  forgetSource(source: string): void {
    if (this.worker) for (const c of [...this.worker.corpora]) if ((JSON.parse(c) as string[])[0] === source) {
      this.worker.corpora.delete(c);
      void this.worker.remote.forget(c);
    }
  }
}
