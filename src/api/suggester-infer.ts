/**
 * `infer` with `model: 'jammi:suggester:<source>/<labelColumn>'`: the newest background suggester (TF-IDF, an
 * embedding head, or a chosen classifier; see src/label) classifies a source's rows into Jammi's usual result table.
 * Rows of the suggester's own source and text column come from the probabilities the queue ranks by (its last
 * retrain, or the classifier's run); any other text is scored by that model (its worker, or `infer` of the
 * classifier itself).
 */
import { Field, Float32, makeData, RecordBatch, Schema, Struct, Table, Utf8 } from 'apache-arrow';
import { vectorOf } from '../data/vectors';
import type { SuggesterKey } from '../label/types';
import { JammiError } from '../errors';
import { scoresOf } from './classifier-suggester';
import type { InferOptions } from './infer';
import type { Suggesters } from './suggesters';

export interface SuggesterScores {
  version: number;
  classes: string[];
  /** [rows × classes] */
  probs: ArrayLike<number>;
}

export const EMPTY_TEXT_ERROR = 'Empty or null text input';

const cellText = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : String(v));

/** The texts `infer` would classify: the columns joined with one space, and the row ids. */
export function inferTexts(table: Table, source: string, columns: string[], key: string | undefined): { texts: string[]; rowIds: string[] } {
  const available = table.schema.fields.map((f) => f.name);
  for (const c of [...columns, ...(key !== undefined ? [key] : [])]) {
    if (!available.includes(c)) throw new JammiError('bad_input', `Unknown column "${c}" in source "${source}". Available columns: ${available.join(', ')}.`);
  }
  const cols = columns.map((c) => table.getChild(c)!);
  const keyColumn = key !== undefined ? table.getChild(key)! : null;
  const texts: string[] = new Array(table.numRows);
  const rowIds: string[] = new Array(table.numRows);
  for (let r = 0; r < table.numRows; r++) {
    texts[r] = cols.map((c) => cellText(c.get(r))).filter((t) => t !== '').join(' ');
    rowIds[r] = keyColumn ? cellText(keyColumn.get(r)) : String(r);
  }
  return { texts, rowIds };
}

/** Jammi's result table from suggester probabilities (all_scores_json in class order, as the other models). */
export function suggesterResultTable(key: SuggesterKey, model: string, source: string, texts: string[], rowIds: string[], scores: SuggesterScores): Table {
  const n = texts.length;
  const k = scores.classes.length;
  const status: string[] = new Array(n);
  const errors: (string | null)[] = new Array(n);
  const labels: (string | null)[] = new Array(n);
  const confidence: (number | null)[] = new Array(n);
  const all: (string | null)[] = new Array(n);
  for (let r = 0; r < n; r++) {
    if (texts[r].trim() === '') {
      [status[r], errors[r], labels[r], confidence[r], all[r]] = ['error', EMPTY_TEXT_ERROR, null, null, null];
      continue;
    }
    let best = 0;
    for (let j = 1; j < k; j++) if (scores.probs[r * k + j] > scores.probs[r * k + best]) best = j;
    status[r] = 'ok';
    errors[r] = null;
    labels[r] = scores.classes[best];
    confidence[r] = scores.probs[r * k + best];
    all[r] = `{${scores.classes.map((c, j) => `${JSON.stringify(c)}:${scores.probs[r * k + j]}`).join(',')}}`;
  }
  const columns = [
    ['_row_id', new Utf8(), false, rowIds],
    ['_source', new Utf8(), false, new Array(n).fill(source)],
    ['_model', new Utf8(), false, new Array(n).fill(model)],
    ['_status', new Utf8(), false, status],
    ['_error', new Utf8(), true, errors],
    ['_latency_ms', new Float32(), false, new Float32Array(n)],
    ['label', new Utf8(), true, labels],
    ['confidence', new Float32(), true, confidence],
    ['all_scores_json', new Utf8(), true, all],
  ] as const;
  const fields = columns.map(([name, type, nullable]) => new Field(name, type, nullable));
  const metadata = new Map([
    ['jammi.task', 'classification'],
    ['jammi.model', model],
    ['jammi.engine', 'suggester'],
    ['jammi.suggester_version', String(scores.version)],
    ['jammi.suggester_source', key.source],
    ['jammi.suggester_label_column', key.labelColumn],
    ['jammi.labels', JSON.stringify(scores.classes)],
    ['jammi.latency_ms', '0: the suggester scores all rows at once'],
  ]);
  const schema = new Schema(fields, metadata);
  const children = columns.map(([, type, , values]) => vectorOf(values as never, type).data[0]);
  const data = makeData({ type: new Struct(fields), length: n, nullCount: 0, children });
  return new Table(schema, new RecordBatch(schema, data));
}

/** The result table of `infer` by a suggester over `table` (the source named in `options`). */
export async function inferBySuggester(suggesters: Suggesters, key: SuggesterKey, options: InferOptions, table: Table, infer: (o: InferOptions) => Promise<Table>): Promise<Table> {
  const columns = typeof options.columns === 'string' ? [options.columns] : [...(options.columns ?? [])];
  if (columns.length === 0) throw new JammiError('bad_input', 'Choose at least one text column.');
  const { texts, rowIds } = inferTexts(table, options.source, columns, options.key);
  const model = options.model as string;
  const own = options.source === key.source && columns.length === 1;
  let scores: SuggesterScores | null = own ? suggesters.probabilities(key, columns[0]) : null;
  const classifier = suggesters.classifierFor(key);
  // A classifier suggester: its run over the column (awaited), or the model itself on other text.
  if (!scores && classifier) {
    scores = own ? await suggesters.classifierScores(key, columns[0]) : { version: suggesters.status(key).version, ...scoresOf(await infer({ ...options, ...classifier })) };
  }
  if (!scores) {
    try {
      scores = await suggesters.score(key, texts);
    } catch (e) {
      throw new JammiError('bad_input', (e as Error).message);
    }
  }
  return suggesterResultTable(key, model, options.source, texts, rowIds, scores);
}
