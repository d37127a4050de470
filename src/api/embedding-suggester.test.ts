import { describe, expect, it } from 'vitest';
import { ensureEmbeddings } from '../data/embedding-cache';
import { MemoryDirectory } from '../data/opfs-memory.test-util';
import { readLabelled, split, type Labelled } from '../label/datasets.test-util';
import { featureStats, nearestRows, predictHead, trainHead } from '../label/embedding-head';
import { SuggesterCore } from '../label/suggester';
import { uncertainty } from '../label/queue';
import type { SuggesterStatus } from '../label/types';
import { inProcessEndpoints, nodeEmbedder } from './embedding.test-util';
import { Suggesters, type SuggestEndpoint } from './suggesters';

const MODEL = 'bert-mini-mlm-embed';

function tfidfEndpoint(): SuggestEndpoint {
  const core = new SuggesterCore();
  const later = <T>(f: () => T) => new Promise<T>((resolve) => setTimeout(() => resolve(f()), 0));
  return {
    dead: new Promise<never>(() => {}),
    remote: {
      setTexts: (k, t) => later(() => core.setTexts(k, t)),
      train: (r) => later(() => core.train(r)),
      score: (k, t) => later(() => core.score(k, t)),
      similar: (k, r, n) => later(() => core.similar(k, r, n)),
      forget: (k) => later(() => core.forget(k)),
    },
  };
}

/** Held-out accuracy of the head on a seeded 80/20 split, the embeddings read through the OPFS cache. */
async function heldOut(data: Labelled, embed: Awaited<ReturnType<typeof nodeEmbedder>>) {
  const { train, test } = split(data, 0);
  const texts = [...train.texts, ...test.texts];
  const root = new MemoryDirectory();
  const key = { source: 'd', column: 'text', model: `served:${MODEL}` };
  const t0 = performance.now();
  const e = await ensureEmbeddings({ root: root.asHandle(), key, texts, embed: embed.embed });
  const seconds = (performance.now() - t0) / 1000;
  const before = embed.counter.embedded;
  const again = await ensureEmbeddings({ root: root.asHandle(), key, texts, embed: embed.embed });
  expect(embed.counter.embedded).toBe(before); // read back, not embedded again
  expect(again.computed).toBe(0);
  expect(again.data).toEqual(e.data);
  const trainRows = train.texts.map((_, i) => i);
  const testRows = test.texts.map((_, i) => train.texts.length + i);
  const model = trainHead(e.data, e.dim, trainRows, train.labels, featureStats(e.data, e.dim));
  const probs = predictHead(model, e.data, testRows);
  const k = model.classes.length;
  let right = 0;
  test.labels.forEach((gold, i) => {
    let best = 0;
    for (let j = 1; j < k; j++) if (probs[i * k + j] > probs[i * k + best]) best = j;
    right += model.classes[best] === gold ? 1 : 0;
  });
  const counts = new Map<string, number>();
  for (const l of test.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return { accuracy: right / test.labels.length, majority: Math.max(...counts.values()) / test.labels.length, rows: texts.length, seconds, testRows: test.labels.length };
}

describe('embedding suggester on bert-mini-mlm-embed (onnxruntime-node embeddings)', () => {
  it('the fixture embedder agrees with PyTorch mean pooling (reference.json)', async () => {
    const e = await nodeEmbedder(MODEL);
    const got = await e.embed(e.reference.texts.slice(0, 4)); // the last texts are longer than 128 tokens: truncation differs by design
    got.forEach((v, i) => v.forEach((x, j) => expect(Math.abs(x - e.reference.mean_pooled[i][j])).toBeLessThan(1e-4)));
    await e.release();
  });

  it('the head on frozen embeddings beats the majority class on held-out SMS spam and UCI sentiment', async () => {
    const e = await nodeEmbedder(MODEL);
    const sms = await readLabelled('sms-spam.csv');
    const smsResult = await heldOut({ texts: sms.texts.slice(0, 2000), labels: sms.labels.slice(0, 2000) }, e);
    const uci = await heldOut(await readLabelled('uci-sentiment.csv'), e);
    console.log(
      `embedding head (${MODEL}, seeded 80/20): SMS spam ${smsResult.accuracy.toFixed(4)} on ${smsResult.testRows} held out (majority ${smsResult.majority.toFixed(4)}; ${smsResult.rows} rows embedded in ${smsResult.seconds.toFixed(1)} s), ` +
        `UCI sentiment ${uci.accuracy.toFixed(4)} on ${uci.testRows} (majority ${uci.majority.toFixed(4)}; ${uci.rows} rows in ${uci.seconds.toFixed(1)} s)`,
    );
    expect(smsResult.accuracy).toBeGreaterThan(smsResult.majority + 0.05);
    expect(uci.accuracy).toBeGreaterThan(uci.majority + 0.1);
    await e.release();
  }, 300_000);
});

describe('Suggesters with an embedding suggester', () => {
  async function setup(root?: MemoryDirectory, rows = 300) {
    const data = await readLabelled('sms-spam.csv');
    const texts = data.texts.slice(0, rows);
    const gold = data.labels.slice(0, rows);
    const labels: (string | null)[] = new Array(rows).fill(null);
    const ep = await inProcessEndpoints(MODEL, root);
    const s = new Suggesters({ texts: () => texts, labels: () => labels }, tfidfEndpoint, { embedding: () => ep.endpoints, cacheEmbeddings: true });
    const updates: SuggesterStatus[] = [];
    s.onUpdate((u) => updates.push(u));
    const key = { source: 'sms', labelColumn: 'label', textColumn: 'text' };
    const label = (rs: number[]) => {
      for (const r of rs) labels[r] = gold[r];
      s.labelsChanged('sms', 'label', rs.length);
    };
    const until = (f: () => boolean, what = f.toString()) => new Promise<void>((resolve, reject) => {
      const end = Date.now() + 120_000;
      const check = () => (f() ? resolve() : Date.now() > end ? reject(new Error(`never came true: ${what}`)) : setTimeout(check, 5));
      check();
    });
    return { s, key, texts, gold, labels, label, updates, ep, until };
  }

  it('embeds the column once with progress, trains the head after N labels, ranks the queue by its probabilities, and a reload reads the cache', async () => {
    const { s, key, gold, label, updates, ep, until } = await setup();
    s.configure({ ...key, retrainEvery: 10, suggester: { kind: 'embedding', model: MODEL } });
    expect(s.status(key).suggester).toEqual({ kind: 'embedding', model: MODEL });
    await until(() => s.status(key).embedding?.state === 'ready');
    expect(ep.embedder.counter.embedded).toBe(300);
    const progress = updates.map((u) => u.embedding).filter((e) => e?.state === 'embedding').map((e) => e!.done);
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.at(-1)).toBeGreaterThan(0);
    expect(s.status(key).embedding).toMatchObject({ state: 'ready', total: 300, computed: 300, cached: 0 });

    const spam = gold.map((g, i) => (g === 'spam' ? i : -1)).filter((i) => i >= 0);
    const ham = gold.map((g, i) => (g === 'ham' ? i : -1)).filter((i) => i >= 0);
    label([...spam.slice(0, 6), ...ham.slice(0, 6)]);
    await until(() => s.status(key).version === 1 && !s.status(key).training);
    label([...spam.slice(6, 11), ...ham.slice(6, 11)]);
    await until(() => s.status(key).version === 2 && !s.status(key).training);
    expect(ep.embedder.counter.embedded).toBe(300); // two retrains, no second embedding pass
    const st = s.status(key);
    expect(st).toMatchObject({ labelsUsed: 22, classes: ['ham', 'spam'] });
    expect(st.learningCurve).toHaveLength(2);

    // The queue is the least-confident order of the head's own probabilities (recomputed here from the core).
    const own = s.probabilities(key, 'text')!;
    const direct = ep.core.score(JSON.stringify(['sms', 'label']), (await ensureEmbeddings({ root: ep.root.asHandle(), key: { source: 'sms', column: 'text', model: `served:${MODEL}` }, texts: s['host'].texts('sms', 'text'), embed: ep.embedder.embed })).data);
    expect(direct.probs).toEqual(own.probs);
    const queue = s.queue({ ...key, limit: 20 });
    const unlabelled = gold.map((_, r) => r).filter((r) => !spam.slice(0, 11).includes(r) && !ham.slice(0, 11).includes(r));
    const expected = unlabelled
      .map((r) => ({ r, u: uncertainty([own.probs[2 * r], own.probs[2 * r + 1]], 'least-confidence') }))
      .sort((a, b) => b.u - a.u || a.r - b.r)
      .slice(0, 20)
      .map((x) => x.r);
    expect(queue).toEqual(expected);

    // Scoring other texts embeds them and applies the same head.
    const other = await s.score(key, ['WINNER!! claim your free prize now, call 09061701461', 'ok see you at home later']);
    expect(other.version).toBe(2);
    expect(other.probs[1]).toBeGreaterThan(other.probs[3]); // the prize text is more spam than the chat

    // "Similar to this row" uses the cached embeddings' cosine.
    const similar = await s.similar({ source: 'sms', textColumn: 'text', row: spam[0], limit: 5 });
    const e = await ensureEmbeddings({ root: ep.root.asHandle(), key: { source: 'sms', column: 'text', model: `served:${MODEL}` }, texts: s['host'].texts('sms', 'text'), embed: ep.embedder.embed });
    expect(similar).toEqual(nearestRows(e.data, e.dim, spam[0], 5));
    expect(s.similarityOf('sms', 'text')).toBe(MODEL);

    // A reload: a fresh Suggesters over the same OPFS reads the embeddings back, embedding nothing.
    const again = await setup(ep.root);
    again.s.configure({ ...key, suggester: { kind: 'embedding', model: MODEL } });
    await again.until(() => again.s.status(key).embedding?.state === 'ready');
    expect(again.ep.embedder.counter.embedded).toBe(0);
    expect(again.s.status(key).embedding).toMatchObject({ computed: 0, cached: 300 });
    expect(again.updates.some((u) => u.embedding?.state === 'embedding' && u.embedding.done > 0 && u.embedding.done < 300)).toBe(false);
  }, 300_000);

  it('rejects a bad choice, cancels a pass, falls back to TF-IDF similarity before the embeddings are ready, and switches back to TF-IDF', async () => {
    const { s, key, gold, label, updates, until } = await setup(undefined, 600);
    expect(() => s.configure({ ...key, suggester: { kind: 'embedding', model: ' ' } })).toThrow('needs a model id');
    expect(() => s.configure({ ...key, suggester: { kind: 'nope' } as never })).toThrow('Unknown suggester');
    s.configure({ ...key, retrainEvery: 10 });
    const of = (cls: string) => gold.map((g, i) => (g === cls ? i : -1)).filter((i) => i >= 0).slice(0, 2);
    label([...of('ham'), ...of('spam')]);
    await until(() => s.status(key).version === 1 && !s.status(key).training); // TF-IDF
    s.configure({ ...key, suggester: { kind: 'embedding', model: MODEL } });
    expect(s.status(key).training).toBe(true); // the retrain with the new choice waits on its embeddings
    expect(s.similarityOf('sms', 'text')).toBe('tfidf');
    const tfidf = await s.similar({ source: 'sms', textColumn: 'text', row: 3, limit: 3 });
    expect(tfidf.length).toBeGreaterThan(0);
    await until(() => (s.status(key).embedding?.done ?? 0) > 0);
    s.cancelEmbedding(key);
    await until(() => s.status(key).embedding?.state === 'cancelled');
    const done = s.status(key).embedding!.done;
    expect(done).toBeLessThan(600);
    expect(updates.at(-1)?.embedding?.error).toContain('cancelled');
    expect(s.status(key)).toMatchObject({ version: 1, training: false });
    expect(s.status(key).error).toContain('cancelled');

    // Choosing TF-IDF while an embedding pass runs stops it, and TF-IDF trains right after.
    void s.retrain(key, 'text');
    await until(() => s.status(key).embedding?.state === 'embedding' && s.status(key).embedding!.done > 0);
    s.configure({ ...key, suggester: { kind: 'tfidf' } });
    expect(s.status(key).suggester).toEqual({ kind: 'tfidf' });
    expect(s.status(key).embedding).toBeUndefined();
    await until(() => s.status(key).version === 2 && !s.status(key).training);
    expect(s.status(key).error).toBeUndefined();
  }, 300_000);

  it('a picked model folder is an embedding model while it is open in the tab; after a reload, picking it again reads its cache', async () => {
    const folder = { name: 'my-embedder', files: { 'config.json': new Blob(['{}']), 'onnx/model.onnx': new Blob([new Uint8Array(7)]) } };
    const first = await setup(undefined, 200);
    const id = first.s.useLocalEmbeddingModel(folder);
    expect(id).toBe('local:my-embedder');
    first.s.configure({ ...first.key, suggester: { kind: 'embedding', model: id } });
    await first.until(() => first.s.status(first.key).embedding?.state === 'ready');
    expect(first.ep.embedder.counter.embedded).toBe(200);

    const again = await setup(first.ep.root, 200);
    const of = (cls: string) => again.gold.map((g, i) => (g === cls ? i : -1)).filter((i) => i >= 0).slice(0, 2);
    again.s.configure({ ...again.key, suggester: { kind: 'embedding', model: id } });
    again.label([...of('ham'), ...of('spam')]);
    await again.until(() => again.s.status(again.key).embedding?.state === 'failed');
    expect(again.s.status(again.key).embedding!.error).toContain('not open in this tab: pick it again');
    expect(again.s.status(again.key).version).toBe(0);
    again.s.useLocalEmbeddingModel(folder);
    await again.until(() => again.s.status(again.key).version === 1 && !again.s.status(again.key).training);
    expect(again.s.status(again.key).embedding).toMatchObject({ state: 'ready', computed: 0, cached: 200 });
    expect(again.ep.embedder.counter.embedded).toBe(0);
  }, 300_000);
});
