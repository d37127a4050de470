/**
 * The queue and the suggestions from whichever probabilities answer for a label column (TF-IDF's, an embedding
 * head's or a classifier's): the candidate rows (text, unlabelled, matching the filter), their order by the
 * strategy, and each row's suggestion with its runner-up. Pure: `Suggesters` (./suggesters) supplies the answer.
 */
import { rankRows, rowOf, textMatcher, topTwo, uncertainty } from '../label/queue';
import type { QueueOptions, SuggestOptions, Suggestion } from '../label/types';

/** Per-row probabilities in the order of `classes`. */
export interface Answer {
  probs: ArrayLike<number>;
  classes: string[];
}

/** Rows with text that match the filter (unlabelled ones only unless `includeLabelled`), in file order. */
export function queueCandidates(texts: readonly (string | null)[], labels: readonly (string | null)[], filter: QueueOptions['filter'], includeLabelled: boolean): number[] {
  const match = textMatcher(filter);
  const rows: number[] = [];
  for (let r = 0; r < texts.length; r++) {
    const t = texts[r];
    if (t === null || t.trim() === '' || (!includeLabelled && labels[r] !== null && labels[r] !== undefined)) continue;
    if (match(t)) rows.push(r);
  }
  return rows;
}

/** The candidates in queue order by the strategy (file order where there are no probabilities yet). */
export function queueOrder(rows: number[], answer: Answer | null, o: QueueOptions): number[] {
  const strategy = o.strategy ?? 'least-confidence';
  return limitTo(rankRows({ rows, probs: answer?.probs ?? null, k: answer?.classes.length ?? 0, strategy, seed: o.seed, limit: o.limit }), o.limit);
}

/** Each row's suggestion: its best class, confidence, runner-up and uncertainty score. */
export function rankSuggestions({ order, answer }: { order: number[]; answer: Answer | null }, strategy: SuggestOptions['strategy']): Suggestion[] {
  const k = answer?.classes.length ?? 0;
  return order.map((row) => {
    if (answer === null) return { row, label: null, confidence: 0, runnerUp: null, score: 0, probabilities: [], classes: [] };
    const { classes } = answer;
    const p = rowOf(answer.probs, row, k);
    const [a, b] = topTwo(p);
    return {
      row,
      label: classes[a],
      confidence: p[a],
      runnerUp: b < 0 ? null : { label: classes[b], confidence: p[b] },
      score: uncertainty(p, strategy ?? 'least-confidence'),
      probabilities: p,
      classes,
    };
  });
}

function limitTo<T>(items: T[], limit: number | undefined): T[] {
  if (limit === undefined) return items;
  if (!Number.isInteger(limit) || limit < 0) throw new Error(`limit must be a non-negative integer (got ${limit}).`);
  return items.slice(0, limit);
}
