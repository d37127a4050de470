/**
 * TF-IDF features over a hashed vocabulary, as scikit-learn's `TfidfVectorizer` (sublinear tf, smooth idf, L2
 * norm), two blocks side by side like a `FeatureUnion`: word uni+bi-grams (`\w\w+` tokens, lowercased) and
 * character n-grams inside word boundaries (`char_wb`, words padded with one space). Each block is L2-normalised
 * on its own. Feature ids: word block in [0, buckets), char block in [buckets, 2·buckets).
 *
 * No vocabulary to fit or store: a feature is the 32-bit FNV-1a hash of its text, avalanched, mod `buckets`.
 */

export interface FeatureOptions {
  /** Hash buckets per block (default 2^18). */
  buckets?: number;
  /** Word n-gram sizes, inclusive (default [1, 2]). */
  wordNgrams?: readonly [number, number];
  /** Character n-gram sizes inside words, inclusive (default [2, 5]). */
  charNgrams?: readonly [number, number];
}

export const DEFAULT_BUCKETS = 1 << 18;

/** Hashed term counts of documents, compressed rows: features of doc d are ids[ptr[d] .. ptr[d+1]). */
export interface TermCounts {
  ptr: Int32Array;
  ids: Int32Array;
  counts: Float32Array;
}

/** Weighted sparse rows (same layout), values after tf-idf and normalisation. */
export interface SparseRows {
  ptr: Int32Array;
  ids: Int32Array;
  values: Float32Array;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const WORD = /[\p{L}\p{N}_]{2,}/gu;
const SPACE = /\s+/u;

/** murmur3's finaliser: spreads FNV's low bits before the modulo. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function fnv(s: string, h = FNV_OFFSET): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

class Growable {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
}

/** The hashed feature ids of one text, with repeats (one id per occurrence), appended to `out`. */
export function hashTerms(text: string, out: Growable, o: Required<FeatureOptions>): void {
  const lower = text.toLowerCase();
  const B = o.buckets;
  const [w1, w2] = o.wordNgrams;
  const words = lower.match(WORD) ?? [];
  const wh = words.map((w) => fnv(w));
  for (let n = w1; n <= w2; n++) {
    for (let i = 0; i + n <= wh.length; i++) {
      let h = FNV_OFFSET ^ n;
      for (let k = 0; k < n; k++) h = Math.imul(h ^ wh[i + k], FNV_PRIME);
      out.push(fmix(h) % B);
    }
  }
  const [c1, c2] = o.charNgrams;
  for (const token of lower.split(SPACE)) {
    if (token === '') continue;
    const w = ` ${token} `;
    for (let i = 0; i < w.length; i++) {
      let h = FNV_OFFSET;
      for (let k = 0; k < c2 && i + k < w.length; k++) {
        h = Math.imul(h ^ w.charCodeAt(i + k), FNV_PRIME);
        if (k + 1 >= c1) out.push(B + (fmix(h) % B));
      }
      // NOTE: as scikit-learn's char_wb, a padded word shorter than an n is emitted whole once, not per start.
      if (i + c2 >= w.length) break;
    }
  }
}

export function resolveOptions(o: FeatureOptions = {}): Required<FeatureOptions> {
  return { buckets: o.buckets ?? DEFAULT_BUCKETS, wordNgrams: o.wordNgrams ?? [1, 2], charNgrams: o.charNgrams ?? [2, 5] };
}

/** Term counts of each text (null / empty texts have no features). Ids within a row are sorted and unique. */
export function countTerms(texts: readonly (string | null | undefined)[], options: FeatureOptions = {}): TermCounts {
  const o = resolveOptions(options);
  const ptr = new Int32Array(texts.length + 1);
  const ids = new Growable();
  const counts = new Growable();
  const scratch = new Growable();
  for (let d = 0; d < texts.length; d++) {
    scratch.length = 0;
    hashTerms(texts[d] ?? '', scratch, o);
    const row = scratch.data.subarray(0, scratch.length).sort();
    for (let i = 0; i < row.length; ) {
      let j = i + 1;
      while (j < row.length && row[j] === row[i]) j++;
      ids.push(row[i]);
      counts.push(j - i);
      i = j;
    }
    ptr[d + 1] = ids.length;
  }
  return { ptr, ids: ids.data.slice(0, ids.length), counts: Float32Array.from(counts.data.subarray(0, counts.length)) };
}

/** Documents containing each feature id (size 2·buckets), and the number of documents. */
export function documentFrequencies(terms: TermCounts, buckets = DEFAULT_BUCKETS): { df: Int32Array; docs: number } {
  const df = new Int32Array(2 * buckets);
  for (let i = 0; i < terms.ids.length; i++) df[terms.ids[i]]++;
  return { df, docs: terms.ptr.length - 1 };
}

/** Smooth idf as scikit-learn: ln((1 + n) / (1 + df)) + 1. */
export function inverseDocumentFrequencies(df: Int32Array, docs: number): Float32Array {
  const idf = new Float32Array(df.length);
  for (let i = 0; i < df.length; i++) idf[i] = Math.log((1 + docs) / (1 + df[i])) + 1;
  return idf;
}

/**
 * (1 + ln tf) · idf, then each block of each row scaled to unit L2 norm. With `known` (a table over ids, < 0 =
 * not in the model) unknown features get 0 and do not count in the norm — as a fitted vocabulary drops them.
 */
export function tfidf(terms: TermCounts, idf: Float32Array, buckets = DEFAULT_BUCKETS, known?: Int32Array): SparseRows {
  const values = new Float32Array(terms.ids.length);
  for (let d = 0; d + 1 < terms.ptr.length; d++) {
    const start = terms.ptr[d];
    const end = terms.ptr[d + 1];
    let split = start;
    while (split < end && terms.ids[split] < buckets) split++; // ids are sorted: word block first
    for (const [a, b] of [[start, split], [split, end]]) {
      let norm = 0;
      for (let i = a; i < b; i++) {
        const v = known && known[terms.ids[i]] < 0 ? 0 : (1 + Math.log(terms.counts[i])) * idf[terms.ids[i]];
        values[i] = v;
        norm += v * v;
      }
      const s = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let i = a; i < b; i++) values[i] *= s;
    }
  }
  return { ptr: terms.ptr, ids: terms.ids, values };
}

/** The rows `rows` of term counts, in that order. */
export function selectTerms(t: TermCounts, rows: readonly number[]): TermCounts {
  const ptr = new Int32Array(rows.length + 1);
  for (let i = 0; i < rows.length; i++) ptr[i + 1] = ptr[i] + (t.ptr[rows[i] + 1] - t.ptr[rows[i]]);
  const ids = new Int32Array(ptr[rows.length]);
  const counts = new Float32Array(ptr[rows.length]);
  for (let i = 0; i < rows.length; i++) {
    const a = t.ptr[rows[i]];
    const b = t.ptr[rows[i] + 1];
    ids.set(t.ids.subarray(a, b), ptr[i]);
    counts.set(t.counts.subarray(a, b), ptr[i]);
  }
  return { ptr, ids, counts };
}
