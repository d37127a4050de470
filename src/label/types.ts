/**
 * The labelling workbench's API types (issue #9): suggestions, the active-learning queue, the background
 * suggester's status, and bulk label edits. `Database` (src/api/database.ts, also `window.jammi`) implements:
 *
 *   suggest(options: SuggestOptions): Promise<Suggestion[]>
 *   labelQueue(options: QueueOptions): Promise<number[]>
 *   suggesterStatus(key: SuggesterKey): SuggesterStatus
 *   onSuggesterUpdate(cb: (status: SuggesterStatus) => void): () => void      // returns unsubscribe
 *   retrainSuggester(key: SuggesterKey & { textColumn: string }): Promise<SuggesterStatus>
 *   setSuggesterOptions(options: SuggesterOptions): void                       // retrainEvery, text column, which suggester (+ classifierSource)
 *   cancelSuggesterEmbedding(key: SuggesterKey): void                          // stops an embedding suggester's embedding pass
 *   useLocalEmbeddingModel({ name, files }): string                            // a picked folder as embedding model 'local:<name>'
 *   setLabels(source, column, edits: LabelEditsInput): Promise<LabelChange>    // bulk; returns what it replaced
 *   infer({ source, model: suggesterModelId(source, labelColumn), columns: [textColumn] })   // newest suggester
 */

/** Queue orders. Uncertainty strategies put the most uncertain rows first; `random` is seeded; `file` is row order. */
export type QueueStrategy = 'least-confidence' | 'margin' | 'entropy' | 'random' | 'file';

export const QUEUE_STRATEGIES: readonly QueueStrategy[] = ['least-confidence', 'margin', 'entropy', 'random', 'file'];

/** Keep only rows whose text matches: a plain keyword (case-insensitive substring) or a regular expression. */
export interface TextFilter {
  /** Keyword, or a regex source when `regex` is true (flags default to 'i'). */
  pattern: string;
  regex?: boolean;
  flags?: string;
}

export interface SuggesterKey {
  source: string;
  labelColumn: string;
}

export interface QueueOptions extends SuggesterKey {
  textColumn: string;
  /** Default 'least-confidence'. Before the first model exists the uncertainty strategies fall back to file order. */
  strategy?: QueueStrategy;
  /** A keyword or regex (a string is a keyword). */
  filter?: string | TextFilter;
  /** At most this many rows (default: all). */
  limit?: number;
  /** Seed for `random` (default 0). */
  seed?: number;
}

export interface SuggestOptions extends QueueOptions {
  /** Include rows that already carry a label (default false: unlabelled rows only). */
  includeLabelled?: boolean;
}

/** The newest model's suggestion for one row. `label` is null when no model exists yet (then confidence is 0). */
export interface Suggestion {
  row: number;
  label: string | null;
  confidence: number;
  runnerUp: { label: string; confidence: number } | null;
  /** The strategy's score: higher = earlier in the queue (least-confidence: 1 − max p; margin: −(p1 − p2); entropy: H). */
  score: number;
  /** Probabilities in the order of `classes`. */
  probabilities: number[];
  classes: string[];
}

/**
 * Which model makes the suggestions: the TF-IDF linear classifier (default, no download, retrained on the labels), a
 * softmax head retrained on an embedding model's frozen embeddings of the rows (computed once per source, column and
 * model, cached in OPFS), or any classifier's own predictions (pre-labels; it does not retrain on the labels). A
 * classifier's `model` is a served model id, a Hub id, a fine-tuned model id (`jammi:fine-tuned:…`), or the name of
 * a local folder given in `classifierSource.folder`.
 */
export type SuggesterChoice = { kind: 'tfidf' } | { kind: 'embedding'; model: string } | { kind: 'classifier'; model: string };

export interface SuggesterOptions extends SuggesterKey {
  /** The text column to train on. */
  textColumn?: string;
  /** Retrain after this many new labels (default 10). */
  retrainEvery?: number;
  /**
   * Default { kind: 'tfidf' }. An embedding `model` is a served model's id or a Hub id (as `infer` resolves it), or
   * `local:<name>` for a folder given to `useLocalEmbeddingModel`.
   */
  suggester?: SuggesterChoice;
  /** For a classifier suggester: where its model comes from (default: served, else the Hub). */
  classifierSource?: ClassifierSource;
}

/** An embedding suggester's pass over the source's rows (rows already in the cache are read back, not embedded). */
export interface EmbeddingStatus {
  model: string;
  /** `embedding` while it runs (`phase` says which step), then `ready`, `failed` or `cancelled`. */
  state: 'embedding' | 'ready' | 'failed' | 'cancelled';
  phase?: 'checking' | 'loading' | 'embedding';
  /** Rows done (embedded or read from the cache) of `total`. */
  done: number;
  total: number;
  /** Rows read back from the OPFS cache. */
  cached: number;
  /** Rows embedded in this pass (0 when the cache had them all). */
  computed: number;
  /** Seconds the pass took (when ready). */
  seconds?: number;
  error?: string;
}

export interface LearningCurvePoint {
  /** Labels the model was trained on at this retrain. */
  labels: number;
  /** Accuracy on the held-out / cross-validated part of the labels. */
  accuracy: number;
}

export interface SuggesterStatus extends SuggesterKey {
  /** 0 before the first model; +1 for each model trained. */
  version: number;
  /** Labels the newest model was trained on. */
  labelsUsed: number;
  /** Classes of the newest model (sorted), or the classes seen so far before it. */
  classes: string[];
  /** A (re)train is running in the background. */
  training: boolean;
  /** New labels since the newest model. */
  pendingLabels: number;
  /** Retrain after this many new labels (default 10). */
  retrainEvery: number;
  learningCurve: LearningCurvePoint[];
  /** Why there is no model yet (e.g. "every class needs 2 labels") or why the last train failed. */
  error?: string;
  /** The suggester chosen for this label column (default { kind: 'tfidf' }). */
  suggester?: SuggesterChoice;
  /** With `suggester.kind === 'embedding'`: its embedding pass over the text column (see EmbeddingStatus). */
  embedding?: EmbeddingStatus;
  /** With `suggester.kind === 'classifier'`: its run over the text column (see ClassifierSuggesterStatus). */
  classifier?: ClassifierSuggesterStatus;
}

/** Where a classifier suggester's model comes from, as `infer` takes it (default: served, else the Hub). */
export interface ClassifierSource {
  modelSource?: 'auto' | 'served' | 'hub';
  hubHost?: string;
  revision?: string;
  /** A local model folder (files by path, as `infer` takes a `LocalModel`); `model` is then its name. */
  folder?: { name: string; files: Record<string, Blob> };
}

/** A classifier suggester's run over a source's text column: `infer` once, its probabilities kept per row. */
export interface ClassifierSuggesterStatus {
  model: string;
  /** Where it comes from (a folder by name only). */
  source: Omit<ClassifierSource, 'folder'> & { folder?: string };
  textColumn: string | null;
  /** `running`: `infer` is classifying the rows; `ready`: its probabilities answer `suggest` and `labelQueue`. */
  state: 'idle' | 'running' | 'ready' | 'failed';
  rows: number;
  total: number;
  /** The model's classes (its id2label, in class order), once it has run. */
  classes: string[];
  /** Where the probabilities came from: this run, this visit's memory, or the browser's storage (an earlier visit). */
  from?: 'run' | 'memory' | 'storage';
  /** Accuracy of its predictions on the rows labelled so far (it never saw them: every label is held out). */
  accuracy?: LearningCurvePoint;
  error?: string;
}

/** Bulk label edits: row index → label (null or '' clears). */
export type LabelEditsInput = Record<number, string | null>;

/** What `setLabels` replaced: `previous[row]` is the label the row had before (null: none). Apply it to undo. */
export interface LabelChange {
  source: string;
  column: string;
  previous: Record<number, string | null>;
  /** The labels as set (trimmed; null = cleared). */
  next: Record<number, string | null>;
}

export const DEFAULT_RETRAIN_EVERY = 10;

const SUGGESTER_PREFIX = 'jammi:suggester:';

/** The model id `infer` accepts for the newest suggester of a source's label column. */
export function suggesterModelId(source: string, labelColumn: string): string {
  return `${SUGGESTER_PREFIX}${source}/${labelColumn}`;
}

/** Parses a suggester model id (the label column is after the LAST '/', so source names may contain '/'). */
export function parseSuggesterModelId(model: unknown): SuggesterKey | null {
  if (typeof model !== 'string' || !model.startsWith(SUGGESTER_PREFIX)) return null;
  const rest = model.slice(SUGGESTER_PREFIX.length);
  const cut = rest.lastIndexOf('/');
  if (cut <= 0 || cut === rest.length - 1) return null;
  return { source: rest.slice(0, cut), labelColumn: rest.slice(cut + 1) };
}

/** The workbench methods of `Database` (and `window.jammi`), as label-ui builds against them. */
export interface LabelApi {
  /** Suggestions of the newest suggester, in queue order (unlabelled rows only unless `includeLabelled`). */
  suggest(options: SuggestOptions): Promise<Suggestion[]>;
  /** Unlabelled row indices in queue order. */
  labelQueue(options: QueueOptions): Promise<number[]>;
  /** The suggester of one source's label column (version 0, no model, when none was trained yet). */
  suggesterStatus(key: SuggesterKey): SuggesterStatus;
  /** Called on every status change of any suggester (training started, new version, error); returns unsubscribe. */
  onSuggesterUpdate(cb: (status: SuggesterStatus) => void): () => void;
  /** Retrains now (in the background worker) on all labels of the column; resolves with the new status. */
  retrainSuggester(key: SuggesterKey & { textColumn: string }): Promise<SuggesterStatus>;
  /**
   * Retrain after every `retrainEvery` new labels (default 10); also names the text column to train on. `suggester`
   * picks the model that suggests (kept per source and label column across reloads): an embedding model's frozen
   * embeddings are computed once (progress, `cancelSuggesterEmbedding`) and cached in OPFS; a classifier runs over
   * the text column in the background (`classifierSource` says where its model comes from). Choosing another one
   * cancels an embedding pass or a classifier run still going.
   */
  setSuggesterOptions(options: SuggesterOptions): void;
  /** Stops an embedding suggester's embedding pass (what was embedded stays cached; the suggester keeps its model). */
  cancelSuggesterEmbedding(key: SuggesterKey): void;
  /** The label of one row without building the table (O(1); `getSource` rebuilds label columns after each edit). */
  labelOf(source: string, column: string, row: number): string | null;
  /** Rows per label of a label column (O(rows), no table build). */
  labelCounts(source: string, column: string): Record<string, number>;
  /**
   * Rows most like `row`, best first, `row` itself left out; default limit 50. By cosine of the cached embeddings when
   * an embedding suggester is chosen for this source and text column (and its embeddings are ready), else of TF-IDF
   * vectors (no download).
   */
  similarRows(options: { source: string; textColumn: string; row: number; limit?: number }): Promise<{ row: number; similarity: number }[]>;
  /** Bulk label edits, one mechanism for UI and API; resolves with what they replaced (for one-step undo). */
  setLabels(source: string, column: string, labels: LabelEditsInput): Promise<LabelChange>;
}
