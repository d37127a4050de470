import { describe, expect, it } from 'vitest';
import { readLabelled } from '../label/datasets.test-util';
import { SuggesterCore } from '../label/suggester';
import { Suggesters, type SuggestEndpoint } from './suggesters';
import { uncertainty } from '../label/queue';
import type { SuggesterStatus } from '../label/types';

/** The suggest worker's API in this process; each call yields first, as a worker round trip would. */
function inProcess(): SuggestEndpoint & { calls: string[] } {
  const core = new SuggesterCore();
  const calls: string[] = [];
  const later = <T>(name: string, f: () => T) =>
    new Promise<T>((resolve, reject) =>
      setTimeout(() => {
        calls.push(name);
        try {
          resolve(f());
        } catch (e) {
          reject(e);
        }
      }, 0),
    );
  return {
    calls,
    dead: new Promise<never>(() => {}),
    remote: {
      setTexts: (k, t) => later('setTexts', () => core.setTexts(k, t)),
      train: (r) => later('train', () => core.train(r)),
      score: (k, t) => later('score', () => core.score(k, t)),
      similar: (k, r, n) => later('similar', () => core.similar(k, r, n)),
      forget: (k) => later('forget', () => core.forget(k)),
    },
  };
}

async function setup(rows = 400) {
  const data = await readLabelled('uci-sentiment.csv');
  const texts = data.texts.slice(0, rows);
  const gold = data.labels.slice(0, rows);
  const labels: (string | null)[] = new Array(rows).fill(null);
  const endpoint = inProcess();
  const s = new Suggesters({ texts: () => texts, labels: () => labels }, () => endpoint);
  const updates: SuggesterStatus[] = [];
  s.onUpdate((u) => updates.push(u));
  const key = { source: 'uci', labelColumn: 'label', textColumn: 'text' };
  const label = (rs: number[]) => {
    for (const r of rs) labels[r] = gold[r];
    s.labelsChanged('uci', 'label', rs.length);
  };
  const version = (v: number) => new Promise<void>((resolve) => {
    const check = () => (s.status(key).version >= v && !s.status(key).training ? resolve() : setTimeout(check, 5));
    check();
  });
  return { s, key, labels, gold, label, updates, endpoint, version };
}

const firstOf = (gold: string[], cls: string, n: number, skip = 0) => gold.map((g, i) => (g === cls ? i : -1)).filter((i) => i >= 0).slice(skip, skip + n);

describe('background suggesters', () => {
  it('train once every class has 2 labels, then after every N new labels, and say why not before', async () => {
    const { s, key, gold, label, version, endpoint } = await setup();
    s.configure({ ...key, retrainEvery: 10 });
    expect(s.status(key)).toMatchObject({ version: 0, training: false });
    label([...firstOf(gold, 'positive', 3), ...firstOf(gold, 'negative', 1)]);
    expect(s.status(key).version).toBe(0);
    expect(s.status(key).error).toContain('every class has at least 2 labels ("negative" has 1)');
    label(firstOf(gold, 'negative', 1, 1));
    expect(s.status(key).training).toBe(true);
    await version(1);
    expect(s.status(key)).toMatchObject({ version: 1, labelsUsed: 5, classes: ['negative', 'positive'], pendingLabels: 0 });
    expect(s.status(key).error).toBeUndefined();

    label(firstOf(gold, 'positive', 9, 3));
    await new Promise((r) => setTimeout(r, 20));
    expect(s.status(key)).toMatchObject({ version: 1, pendingLabels: 9, training: false });
    label(firstOf(gold, 'negative', 1, 2));
    expect(s.status(key).training).toBe(true);
    await version(2);
    expect(s.status(key)).toMatchObject({ version: 2, labelsUsed: 15 });
    expect(s.status(key).learningCurve).toHaveLength(1); // 5 labels: too few for a held-out point; 15: one
    expect(s.status(key).learningCurve[0].labels).toBe(15);
    expect(endpoint.calls.filter((c) => c === 'setTexts')).toHaveLength(1); // featurised once per source column
  });

  it('answer suggestions at once from the newest model while a retrain runs; a retrain asked for during one follows it', async () => {
    const { s, key, gold, labels, label, version } = await setup();
    label([...firstOf(gold, 'positive', 10), ...firstOf(gold, 'negative', 10)]);
    s.suggest(key); // names the text column: the first train starts
    await version(1);
    const before = s.suggest({ ...key, limit: 50 });
    expect(before).toHaveLength(50);
    for (const x of before) {
      expect(labels[x.row]).toBeNull();
      expect(x.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(x.confidence).toBe(Math.max(...x.probabilities));
      expect(x.score).toBeCloseTo(1 - x.confidence, 6);
      expect(x.runnerUp!.confidence).toBe(Math.min(...x.probabilities));
    }
    for (let i = 1; i < before.length; i++) expect(before[i - 1].score).toBeGreaterThanOrEqual(before[i].score);

    const retrain = s.retrain(key, 'text');
    expect(s.status(key).training).toBe(true);
    const during = s.suggest({ ...key, limit: 50 }); // no waiting: the old model answers
    expect(during.map((x) => x.row)).toEqual(before.map((x) => x.row));
    await new Promise((r) => setTimeout(r, 0)); // the retrain is under way now
    expect(s.status(key)).toMatchObject({ training: true, version: 1 });
    const again = s.retrain(key, 'text');
    await retrain;
    await again;
    expect(s.status(key).version).toBe(3);

    // The queue is the unlabelled rows by least confidence; the most uncertain one of all rows comes first.
    const queue = s.queue(key);
    expect(queue.length).toBe(labels.filter((l) => l === null).length);
    const all = s.suggest({ ...key, includeLabelled: true });
    expect(all.length).toBe(labels.length);
    const top = all.filter((x) => labels[x.row] === null).sort((a, b) => b.score - a.score || a.row - b.row)[0];
    expect(queue[0]).toBe(top.row);
    expect(uncertainty(top.probabilities, 'least-confidence')).toBeCloseTo(top.score, 9);
    expect(s.queue({ ...key, strategy: 'file' }).slice(0, 3)).toEqual(queue.slice().sort((a, b) => a - b).slice(0, 3));
    const filtered = s.queue({ ...key, filter: 'great' });
    expect(filtered.length).toBeGreaterThan(0);
    expect(filtered.length).toBeLessThan(queue.length);
  });

  it('the suggester is better than the majority class on rows it was not trained on', async () => {
    const { s, key, gold, labels, label, version } = await setup(1000);
    label([...firstOf(gold, 'positive', 100), ...firstOf(gold, 'negative', 100)]);
    s.suggest(key);
    await version(1);
    const rest = s.suggest(key).filter((x) => labels[x.row] === null);
    const acc = rest.filter((x) => x.label === gold[x.row]).length / rest.length;
    const majority = Math.max(...['positive', 'negative'].map((c) => rest.filter((x) => gold[x.row] === c).length)) / rest.length;
    expect(acc).toBeGreaterThan(majority + 0.1);
  });

  it('finds rows similar to a row by TF-IDF cosine', async () => {
    const texts = ['Free prize now', 'win a FREE prize', 'see you at lunch', 'lunch at noon?', 'free prize now!', null];
    const s = new Suggesters({ texts: () => texts, labels: () => texts.map(() => null) }, inProcess);
    const near = await s.similar({ source: 'x', textColumn: 'text', row: 0, limit: 3 });
    expect(near.map((n) => n.row)).toEqual([4, 1, 3]);
    expect(near[0].similarity).toBeGreaterThan(0.8);
    expect(near[0].similarity).toBeLessThanOrEqual(1 + 1e-6);
    expect(near[1].similarity).toBeGreaterThan(near[2].similarity);
    await expect(s.similar({ source: 'x', textColumn: 'text', row: 9 })).rejects.toThrow('Row 9 is out of range');
  });
});
