/** The embedding suggester's part of the suggest worker's API (./suggest-api spreads it in): one EmbeddingCore. */
import { transfer } from 'comlink';
import { EmbeddingCore, type HeadTrainRequest } from './embedding-core';
import type { TrainResult } from './suggester';

const core = new EmbeddingCore();

export const embeddingSuggestApi = {
  setEmbeddings(corpusKey: string, data: Float32Array, dim: number): void {
    core.setEmbeddings(corpusKey, data, dim);
  },
  hasEmbeddings(corpusKey: string): boolean {
    return core.hasEmbeddings(corpusKey);
  },
  trainHead(req: HeadTrainRequest): TrainResult {
    const result = core.train(req);
    return transfer(result, [result.probs.buffer]);
  },
  scoreHead(modelKey: string, data: Float32Array): { version: number; classes: string[]; probs: Float32Array } {
    const result = core.score(modelKey, data);
    return transfer(result, [result.probs.buffer]);
  },
  similarEmbedded(corpusKey: string, row: number, limit: number): { row: number; similarity: number }[] {
    return core.similar(corpusKey, row, limit);
  },
  forgetEmbeddings(corpusKey: string): void {
    core.forget(corpusKey);
  },
};

export type EmbeddingSuggestApi = typeof embeddingSuggestApi;
