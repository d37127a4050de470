import { describe, expect, it } from 'vitest';
import { countTerms, DEFAULT_BUCKETS, resolveOptions } from './features';
import { readLabelled } from './datasets.test-util';

/**
 * The reference: the features as first written, on strings (a regex for words, `split` for char_wb tokens, one
 * string per padded word), the clearest statement of what scikit-learn's TfidfVectorizer tokenises. The fast
 * hashing in features.ts runs over the text's code units in place and must give the same ids and counts.
 */
function referenceTerms(text: string, buckets = DEFAULT_BUCKETS): Map<number, number> {
  const FNV_OFFSET = 0x811c9dc5;
  const FNV_PRIME = 0x01000193;
  const fmix = (h: number) => {
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
  };
  const fnv = (s: string, h = FNV_OFFSET) => {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
    return h;
  };
  const out = new Map<number, number>();
  const add = (id: number) => out.set(id, (out.get(id) ?? 0) + 1);
  const lower = text.toLowerCase();
  const wh = (lower.match(/[\p{L}\p{N}_]{2,}/gu) ?? []).map((w) => fnv(w));
  for (let n = 1; n <= 2; n++) {
    for (let i = 0; i + n <= wh.length; i++) {
      let h = FNV_OFFSET ^ n;
      for (let k = 0; k < n; k++) h = Math.imul(h ^ wh[i + k], FNV_PRIME);
      add(fmix(h) % buckets);
    }
  }
  for (const token of lower.split(/\s+/u)) {
    if (token === '') continue;
    const w = ` ${token} `;
    for (let i = 0; i < w.length; i++) {
      let h = FNV_OFFSET;
      for (let k = 0; k < 5 && i + k < w.length; k++) {
        h = Math.imul(h ^ w.charCodeAt(i + k), FNV_PRIME);
        if (k + 1 >= 2) add(buckets + (fmix(h) % buckets));
      }
      if (i + 5 >= w.length) break;
    }
  }
  return out;
}

function expectSameTerms(texts: string[], buckets = DEFAULT_BUCKETS): void {
  const t = countTerms(texts, resolveOptions({ buckets }));
  texts.forEach((text, d) => {
    const want = [...referenceTerms(text, buckets)].sort((a, b) => a[0] - b[0]);
    const got: [number, number][] = [];
    for (let i = t.ptr[d]; i < t.ptr[d + 1]; i++) got.push([t.ids[i], t.counts[i]]);
    // The word block (ids < buckets) comes before the character block in each row.
    const blocks = got.map(([id]) => (id < buckets ? 0 : 1));
    if (blocks.some((b, i) => i > 0 && b < blocks[i - 1])) expect({ text, blocks }).toEqual({ text, blocks: [...blocks].sort() });
    got.sort((a, b) => a[0] - b[0]);
    if (JSON.stringify(got) !== JSON.stringify(want)) expect({ text, got }).toEqual({ text, got: want });
  });
}

describe('hashed TF-IDF features', () => {
  it('hash in place the same ids and counts as the string reference, on awkward texts', () => {
    const texts = [
      '',
      ' ',
      'a',
      'ab',
      'a b c',
      'Hello, World! hello   world\t\nHELLO',
      'x_y 12 3 __ é Émile naïve CAFÉ',
      'İstanbul ΣΊΣΥΦΟΣ straße', // lowercasing that changes length / context
      'emoji 😀😀 ok 👍🏽 🙂a a🙂',
      '𝐀𝐁 math 𝐀 letters', // astral letters: one code point, two code units
      '\ud83d lone \udc00 surrogates \ud83dx',
      'no\u00a0break\u2003em\u3000ideographic\ufeffbom\u200bzwsp',
      'long '.repeat(40) + 'word'.repeat(30),
      '中文字符 日本語のテキスト 한국어',
    ];
    expectSameTerms(texts);
    expectSameTerms(texts, 1000); // not a power of two: the modulo, not the mask
    expectSameTerms(texts, 1 << 10);
  });

  it('hash in place the same ids and counts as the string reference, on every row of the datasets', async () => {
    for (const file of ['sms-spam.csv', 'uci-sentiment.csv']) expectSameTerms((await readLabelled(file)).texts);
  });
});
