import type { Database } from '../../api/database';
import type {
  LabelChange,
  LabelEditsInput,
  QueueOptions,
  SuggesterKey,
  SuggesterOptions,
  SuggesterStatus,
  SuggestOptions,
  Suggestion,
} from '../../label/types';

/** The workbench part of `Database` (src/label/types.ts describes it). */
export interface LabelApi {
  suggest(options: SuggestOptions): Promise<Suggestion[]>;
  labelQueue(options: QueueOptions): Promise<number[]>;
  suggesterStatus(key: SuggesterKey): SuggesterStatus | Promise<SuggesterStatus>;
  onSuggesterUpdate(cb: (status: SuggesterStatus) => void): () => void;
  retrainSuggester(key: SuggesterKey & { textColumn: string }): Promise<SuggesterStatus>;
  setSuggesterOptions(options: SuggesterOptions): void;
  /** Stops an embedding suggester's embedding pass; absent in older databases. */
  cancelSuggesterEmbedding?(key: SuggesterKey): void;
  /** A picked model folder as an embedding model id (`local:<name>`); absent in older databases. */
  useLocalEmbeddingModel?(model: { name: string; files: Record<string, Blob> }): string;
  /** Rows most like `row` (cosine of the embeddings of a chosen embedding suggester, else of TF-IDF vectors), best first; absent in older databases. */
  similarRows?(options: { source: string; textColumn: string; row: number; limit?: number }): Promise<{ row: number; similarity: number }[]>;
}

/** The suggester API when this build's database has it (the UI still labels by hand without it). */
export function labelApi(db: Database): LabelApi | null {
  const d = db as unknown as Partial<LabelApi>;
  return typeof d.suggest === 'function' && typeof d.onSuggesterUpdate === 'function' ? (d as LabelApi) : null;
}

/**
 * `setLabels` with what it replaced: the database's own answer (it returns a LabelChange), else read from the table
 * just before (an older database; reading the table costs O(rows), so only then).
 */
export async function setLabelsWithChange(db: Database, source: string, column: string, edits: LabelEditsInput): Promise<LabelChange> {
  const answers = typeof (db as unknown as { labelOf?: unknown }).labelOf === 'function';
  const previous: Record<number, string | null> = {};
  if (!answers) {
    const before = (await db.getSource(source)).getChild(column);
    for (const row of Object.keys(edits)) previous[Number(row)] = (before?.get(Number(row)) as string | null | undefined) ?? null;
  }
  const answer = (await db.setLabels(source, column, edits)) as unknown as LabelChange | undefined;
  return answer && typeof answer === 'object' && answer.previous ? answer : { source, column, previous, next: edits };
}
