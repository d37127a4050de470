/** The suggest worker's API (workers/suggest.worker.ts exposes it): one SuggesterCore per worker. */
import { transfer } from 'comlink';
import { SuggesterCore, type TrainRequest, type TrainResult } from './suggester';
import { embeddingSuggestApi } from './embedding-suggest-api';

const core = new SuggesterCore();

export const suggestApi = {
  ...embeddingSuggestApi,
  setTexts(corpusKey: string, texts: (string | null)[]): void {
    core.setTexts(corpusKey, texts);
  },
  hasTexts(corpusKey: string): boolean {
    return core.hasTexts(corpusKey);
  },
  train(req: TrainRequest): TrainResult {
    const result = core.train(req);
    return transfer(result, [result.probs.buffer]);
  },
  score(modelKey: string, texts: (string | null)[]): { version: number; classes: string[]; probs: Float32Array } {
    const result = core.score(modelKey, texts);
    return transfer(result, [result.probs.buffer]);
  },
  similar(corpusKey: string, row: number, limit: number): { row: number; similarity: number }[] {
    return core.similar(corpusKey, row, limit);
  },
  forget(corpusKey: string): void {
    core.forget(corpusKey);
  },
};

export type SuggestApi = typeof suggestApi;
