/**
 * The active-learning queue: pure functions from class probabilities to an order of rows. Uncertainty sampling
 * (Settles 2009): least confidence 1 − p₁, margin −(p₁ − p₂), entropy −Σ p ln p — the highest score first;
 * ties keep row order. `random` is a seeded shuffle, `file` is row order. A keyword / regex filter narrows the
 * candidates first.
 */
import { Rng } from '../grad/rng';
import type { QueueStrategy, TextFilter } from './types';

/** The queue score of one probability row (higher = more uncertain = earlier). 0 for random / file. */
export function uncertainty(p: ArrayLike<number>, strategy: QueueStrategy): number {
  switch (strategy) {
    case 'least-confidence': {
      let best = 0;
      for (let i = 0; i < p.length; i++) best = Math.max(best, p[i]);
      return 1 - best;
    }
    case 'margin': {
      const [p1, p2] = topTwo(p);
      return -(p[p1] - (p2 < 0 ? 0 : p[p2]));
    }
    case 'entropy': {
      let h = 0;
      for (let i = 0; i < p.length; i++) if (p[i] > 0) h -= p[i] * Math.log(p[i]);
      return h;
    }
    case 'random':
    case 'file':
      return 0;
    default:
      throw new Error(`Unknown queue strategy "${strategy satisfies never}"`);
  }
}

/** Indices of the largest and second largest entries (-1 when there is no second). Ties: the lower index first. */
export function topTwo(p: ArrayLike<number>): [number, number] {
  let a = -1;
  let b = -1;
  for (let i = 0; i < p.length; i++) {
    if (a < 0 || p[i] > p[a]) {
      b = a;
      a = i;
    } else if (b < 0 || p[i] > p[b]) b = i;
  }
  return [a, b];
}

export interface RankInput {
  /** Candidate rows (e.g. the unlabelled ones), any order. */
  rows: readonly number[];
  /** Probabilities of row r: probs[r·k … r·k + k), indexed by ROW (not by position in `rows`); null: no model yet. */
  probs: ArrayLike<number> | null;
  k: number;
  strategy: QueueStrategy;
  seed?: number;
  /** Only the first `limit` rows of the order are wanted (a top-k selection instead of a full sort). */
  limit?: number;
}

/**
 * Candidate rows in queue order. Without a model the uncertainty strategies fall back to file order
 * (every row is equally unknown).
 */
export function rankRows({ rows, probs, k, strategy, seed = 0, limit }: RankInput): number[] {
  // NOTE: candidates usually come in row order already (a scan of the source): sort only when they do not.
  let ascending = true;
  for (let i = 1; i < rows.length && ascending; i++) ascending = rows[i - 1] < rows[i];
  const byRow = ascending ? [...rows] : [...rows].sort((a, b) => a - b);
  const cut = (order: number[]) => (limit === undefined ? order : order.slice(0, limit));
  if (strategy === 'file') return cut(byRow);
  if (strategy === 'random') return cut(shuffled(byRow, seed));
  if (probs === null) return cut(byRow);
  const score = new Float64Array(probs.length / k);
  const p = new Array<number>(k);
  for (const r of byRow) {
    for (let j = 0; j < k; j++) p[j] = probs[r * k + j];
    score[r] = uncertainty(p, strategy);
  }
  if (limit !== undefined && limit < byRow.length / 8) return topRows(byRow, score, limit);
  // NOTE: Array.prototype.sort is stable, so equal scores stay in row order.
  return byRow.sort((a, b) => score[b] - score[a]);
}

/** The `limit` highest-scoring rows, best first, ties in row order (`byRow` ascending): what the full sort would start with. */
function topRows(byRow: readonly number[], score: Float64Array, limit: number): number[] {
  const top: number[] = [];
  for (const r of byRow) {
    if (top.length === limit && score[r] <= score[top[top.length - 1]]) continue;
    let i = top.length;
    while (i > 0 && score[top[i - 1]] < score[r]) i--; // equal scores: the earlier row stays ahead
    top.splice(i, 0, r);
    if (top.length > limit) top.pop();
  }
  return top;
}

export function rowOf(probs: ArrayLike<number>, r: number, k: number): number[] {
  const out = new Array<number>(k);
  for (let j = 0; j < k; j++) out[j] = probs[r * k + j];
  return out;
}

/** Fisher–Yates with the engine's seeded generator. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const rng = new Rng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** A predicate over texts: a keyword (case-insensitive substring) or a regular expression (flags default 'i'). */
export function textMatcher(filter: string | TextFilter | undefined): (text: string | null) => boolean {
  if (filter === undefined) return () => true;
  const f: TextFilter = typeof filter === 'string' ? { pattern: filter } : filter;
  if (f.pattern === '') return () => true;
  if (f.regex) {
    let re: RegExp;
    try {
      re = new RegExp(f.pattern, (f.flags ?? 'i').replace(/[gy]/g, ''));
    } catch (e) {
      throw new Error(`The filter /${f.pattern}/ is not a valid regular expression: ${(e as Error).message}`);
    }
    return (text) => text !== null && re.test(text);
  }
  const needle = f.pattern.toLowerCase();
  return (text) => text !== null && text.toLowerCase().includes(needle);
}
