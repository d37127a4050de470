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
const WORD_CHAR = /^[\p{L}\p{N}_]$/u;
const SPACE_CHAR = /^\s$/u;

/** murmur3's finaliser: spreads FNV's low bits before the modulo. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * fmix(h) mod `buckets`. NOTE: fmix's unsigned result is a double to V8 and `%` on it is slow: for a power of two
 * (the default) the low bits of the int32 are the same number.
 */
function bucketOf(h: number, buckets: number, mask: number): number {
  return mask >= 0 ? fmixInt(h) & mask : fmix(h) % buckets;
}

function fmixInt(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

// Character classes of UTF-16 code units, filled in on first sight (0 unknown, 1 yes, 2 no): `\w`-like word
// characters (`[\p{L}\p{N}_]`, BMP only; astral code points are tested one by one) and `\s` (all in the BMP).
const wordClass = new Uint8Array(0x10000);
const spaceClass = new Uint8Array(0x10000);

function isSpace(c: number): boolean {
  let k = spaceClass[c];
  if (k === 0) k = spaceClass[c] = SPACE_CHAR.test(String.fromCharCode(c)) ? 1 : 2;
  return k === 1;
}

/** Code units of the word character at `i` of `s` (1, or 2 for an astral one), 0 when it is none. */
function wordCharAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d < 0xe000) return WORD_CHAR.test(s.slice(i, i + 2)) ? 2 : 0;
  }
  let k = wordClass[c];
  if (k === 0) k = wordClass[c] = WORD_CHAR.test(String.fromCharCode(c)) ? 1 : 2;
  return k === 1 ? 1 : 0;
}

class Growable {
  data: Int32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Int32Array(Math.max(16, capacity));
  }
  push(v: number): void {
    if (this.length === this.data.length) this.grow();
    this.data[this.length++] = v;
  }
  grow(): void {
    const next = new Int32Array(this.data.length * 2);
    next.set(this.data);
    this.data = next;
  }
}

/**
 * Term counts being built, one row after another: `add(id)` counts one occurrence in the current row. A dense
 * table over ids holds each id's position in `ids` — below the row's start it is a stale one from an earlier row,
 * so nothing is reset between rows and nothing is sorted.
 */
class TermRows {
  ids: Growable;
  counts: Growable;
  private readonly at: Int32Array;
  private start = 0;
  constructor(features: number, capacity: number) {
    this.ids = new Growable(capacity);
    this.counts = new Growable(capacity);
    this.at = new Int32Array(features).fill(-1);
  }
  startRow(): void {
    this.start = this.ids.length;
  }
  add(id: number): void {
    const i = this.at[id];
    if (i >= this.start) this.counts.data[i]++;
    else {
      this.at[id] = this.ids.length;
      this.ids.push(id);
      this.counts.push(1);
    }
  }
}

/**
 * The hashed feature ids of one text, one `out.add` per occurrence, word n-grams first. `words` is scratch
 * (the text's word hashes). Hashes run over the lowercased text's UTF-16 code units in place: no string per
 * n-gram. Tokens as scikit-learn's: words are maximal runs of ≥ 2 word code points (`[\p{L}\p{N}_]{2,}`),
 * `char_wb` tokens are the runs between `\s`, padded with one space each side.
 */
export function hashTerms(text: string, out: TermRows, o: Required<FeatureOptions>, words = new Growable()): void {
  const s = text.toLowerCase();
  const len = s.length;
  const B = o.buckets;
  const mask = (B & (B - 1)) === 0 && B <= 2 ** 30 ? B - 1 : -1;
  const [w1, w2] = o.wordNgrams;
  words.length = 0;
  for (let i = 0; i < len; ) {
    let w = wordCharAt(s, i);
    if (w === 0) {
      i++;
      continue;
    }
    let h = FNV_OFFSET;
    let points = 0;
    while (w !== 0) {
      h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
      if (w === 2) h = Math.imul(h ^ s.charCodeAt(i + 1), FNV_PRIME);
      i += w;
      points++;
      w = i < len ? wordCharAt(s, i) : 0;
    }
    if (points >= 2) words.push(h);
  }
  const wh = words.data;
  for (let n = w1; n <= w2; n++) {
    for (let i = 0; i + n <= words.length; i++) {
      let h = FNV_OFFSET ^ n;
      for (let k = 0; k < n; k++) h = Math.imul(h ^ wh[i + k], FNV_PRIME);
      out.add(bucketOf(h, B, mask));
    }
  }
  const [c1, c2] = o.charNgrams;
  for (let a = 0; a < len; ) {
    if (isSpace(s.charCodeAt(a))) {
      a++;
      continue;
    }
    let e = a + 1;
    while (e < len && !isSpace(s.charCodeAt(e))) e++;
    // The padded token ` s[a..e) `: position p is a space at 0 and m − 1, else s[a + p − 1].
    const m = e - a + 2;
    for (let i = 0; i < m; i++) {
      let h = FNV_OFFSET;
      for (let k = 0; k < c2 && i + k < m; k++) {
        const p = i + k;
        h = Math.imul(h ^ (p === 0 || p === m - 1 ? 32 : s.charCodeAt(a + p - 1)), FNV_PRIME);
        if (k + 1 >= c1) out.add(B + bucketOf(h, B, mask));
      }
      // NOTE: as scikit-learn's char_wb, a padded word shorter than an n is emitted whole once, not per start.
      if (i + c2 >= m) break;
    }
    a = e;
  }
}

export function resolveOptions(o: FeatureOptions = {}): Required<FeatureOptions> {
  return { buckets: o.buckets ?? DEFAULT_BUCKETS, wordNgrams: o.wordNgrams ?? [1, 2], charNgrams: o.charNgrams ?? [2, 5] };
}

/**
 * Term counts of each text (null / empty texts have no features). Ids within a row are unique, in order of first
 * occurrence: the word block's (< buckets) before the character block's.
 */
export function countTerms(texts: readonly (string | null | undefined)[], options: FeatureOptions = {}): TermCounts {
  const o = resolveOptions(options);
  const ptr = new Int32Array(texts.length + 1);
  // NOTE: about 2 distinct features per character of text (SMS rows); growing by doubling from small cost 10 %.
  let chars = 0;
  for (const t of texts) chars += t?.length ?? 0;
  const rows = new TermRows(2 * o.buckets, Math.ceil(2.25 * chars) + 1024);
  const words = new Growable();
  for (let d = 0; d < texts.length; d++) {
    rows.startRow();
    hashTerms(texts[d] ?? '', rows, o, words);
    ptr[d + 1] = rows.ids.length;
  }
  const { ids, counts } = rows;
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
    while (split < end && terms.ids[split] < buckets) split++; // the word block comes first
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
