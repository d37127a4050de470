import { describe, expect, it } from 'vitest';
import { cachedRows, deleteEmbeddings, ensureEmbeddings, type EmbedTexts } from './embedding-cache';
import { MemoryDirectory } from './opfs-memory.test-util';

/** A stand-in embedder that records every text it embeds: 3 dims from the text's length and character codes. */
function counting() {
  const seen: string[] = [];
  const embed: EmbedTexts = async (texts, onRows) => {
    seen.push(...texts);
    const out = texts.map((t) => Float32Array.from([t.length + 1, t.charCodeAt(0) || 1, 3]));
    onRows(texts.length);
    return out;
  };
  return { seen, embed };
}

const texts = Array.from({ length: 23 }, (_, i) => (i === 4 ? null : `text number ${i}`));
const key = { source: 'reviews', column: 'text', model: 'served:bert-mini-mlm-embed' };

describe('embedding cache (OPFS)', () => {
  it('writes the embeddings once, L2-normalised, and reads them back without embedding again', async () => {
    const root = new MemoryDirectory();
    const a = counting();
    const first = await ensureEmbeddings({ root: root.asHandle(), key, texts, embed: a.embed, chunkRows: 5 });
    expect(first).toMatchObject({ rows: 23, dim: 3, computed: 23 });
    expect(a.seen).toHaveLength(23);
    expect(a.seen[4]).toBe(''); // a null text embeds as ''
    const norm = Math.hypot(...first.data.subarray(0, 3));
    expect(norm).toBeCloseTo(1, 6);
    const expected = Float32Array.from([13 + 1, 't'.charCodeAt(0), 3]);
    const n = Math.hypot(...expected);
    expect([...first.data.subarray(0, 3)].map((v) => +v.toFixed(6))).toEqual([...expected].map((v) => +(v / n).toFixed(6)));
    expect(root.paths().filter((p) => p.endsWith('.f32'))).toHaveLength(5); // ceil(23 / 5) chunks

    const b = counting();
    const progress: number[] = [];
    const again = await ensureEmbeddings({ root: root.asHandle(), key, texts, embed: b.embed, onProgress: (p) => progress.push(p.done) });
    expect(b.seen).toHaveLength(0);
    expect(again.computed).toBe(0);
    expect([...again.data]).toEqual([...first.data]);
    expect(progress).toEqual([23]);
    expect(await cachedRows(root.asHandle(), key, texts)).toBe(23);
  });

  it('embeds again when the rows changed, and keeps a folder per model', async () => {
    const root = new MemoryDirectory();
    await ensureEmbeddings({ root: root.asHandle(), key, texts, embed: counting().embed, chunkRows: 8 });
    const changed = [...texts];
    changed[10] = 'an edited row';
    expect(await cachedRows(root.asHandle(), key, changed)).toBe(0);
    const c = counting();
    const r = await ensureEmbeddings({ root: root.asHandle(), key, texts: changed, embed: c.embed });
    expect(c.seen).toHaveLength(23);
    expect(r.computed).toBe(23);
    const added = counting();
    await ensureEmbeddings({ root: root.asHandle(), key, texts: [...changed, 'one more row'], embed: added.embed });
    expect(added.seen).toHaveLength(24);

    const other = counting();
    const otherKey = { ...key, model: 'hub:someone/other-embedder@main' };
    await ensureEmbeddings({ root: root.asHandle(), key: otherKey, texts, embed: other.embed });
    expect(other.seen).toHaveLength(23);
    const firstAgain = counting();
    await ensureEmbeddings({ root: root.asHandle(), key: { ...key }, texts: [...changed, 'one more row'], embed: firstAgain.embed });
    expect(firstAgain.seen).toHaveLength(0); // the other model's folder did not replace this one
    expect(await cachedRows(root.asHandle(), { ...key, column: 'title' }, texts)).toBe(0);

    await deleteEmbeddings('reviews', root.asHandle());
    expect(root.paths()).toEqual([]);
  });

  it('a cancel mid-way keeps the finished chunks: the next run embeds only the rest', async () => {
    const root = new MemoryDirectory();
    const seen: string[] = [];
    let calls = 0;
    const failing: EmbedTexts = async (batch, onRows) => {
      if (++calls === 3) throw new Error('cancelled');
      seen.push(...batch);
      onRows(batch.length);
      return batch.map((t) => Float32Array.from([t.length + 1, 1]));
    };
    await expect(ensureEmbeddings({ root: root.asHandle(), key, texts, embed: failing, chunkRows: 5 })).rejects.toThrow('cancelled');
    expect(seen).toHaveLength(10);
    expect(await cachedRows(root.asHandle(), key, texts)).toBe(10);
    const rest = counting();
    const r = await ensureEmbeddings({ root: root.asHandle(), key, texts, embed: async (b, on) => (await rest.embed(b, on)).map((v) => v.subarray(0, 2)), chunkRows: 5 });
    expect(rest.seen).toEqual(texts.slice(10).map((t) => t ?? ''));
    expect(r).toMatchObject({ rows: 23, dim: 2, computed: 13 });
  });

  it('works without OPFS (nothing cached)', async () => {
    const c = counting();
    const r = await ensureEmbeddings({ root: null, key, texts: texts.slice(0, 3), embed: c.embed });
    expect(r).toMatchObject({ rows: 3, dim: 3, computed: 3 });
  });
});
