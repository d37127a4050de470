/**
 * A classifier as the suggester, in Node: the real bert-tiny-sentiment (our engine's JS backend, the code the
 * inference worker runs for `engine: 'native'`) classifies real UCI sentences into infer's result table; the queue,
 * the suggestions and `probabilities` must be exactly that table's `all_scores_json`, computed here independently.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Table } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { readLabelled } from '../label/datasets.test-util';
import { NativeClassifier } from '../infer/native-classifier';
import { JammiError } from '../errors';
import { sharedDir } from '../train/sms-fixture';
import { resultTable } from './infer-table';
import type { InferOptions } from './infer';
import { Suggesters } from './suggesters';
import type { ScoreStore } from './classifier-suggester';
import type { ChoiceStore, SavedChoice } from './suggester-choice';
import type { StoredScores } from '../data/score-cache';

const folder = (name: string) => {
  const dir = path.join(sharedDir, 'models', name);
  const files: Record<string, Blob> = {};
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'model.safetensors']) {
    if (fs.existsSync(path.join(dir, f))) files[f] = new Blob([fs.readFileSync(path.join(dir, f))]);
  }
  return { name, files };
};

/** `Database.infer` for a model by name over a column, in this process: real model, infer's own result table. */
function inProcessInfer(texts: readonly (string | null)[]) {
  const calls: InferOptions[] = [];
  const results: Table[] = [];
  const infer = async (o: InferOptions): Promise<Table> => {
    calls.push(o);
    const name = typeof o.model === 'string' ? o.model : o.model.name;
    const model = await NativeClassifier.load({ ref: { kind: 'local', model: folder(name) }, backend: 'js' });
    const n = texts.length;
    const todo = texts.map((t, r) => ((t ?? '').trim() ? r : -1)).filter((r) => r >= 0);
    const [labels, confidence, scores] = [new Array(n).fill(null), new Array(n).fill(null), new Array(n).fill(null)];
    for (let i = 0; i < todo.length; i += 16) {
      if (o.signal?.aborted) throw Object.assign(new Error('Classification was cancelled.'), { name: 'AbortError' });
      const rows = todo.slice(i, i + 16);
      const { predictions } = await model.classify(rows.map((r) => texts[r]!));
      rows.forEach((r, j) => ([labels[r], confidence[r], scores[r]] = [predictions[j].label, predictions[j].confidence, predictions[j].allScoresJson]));
      o.onProgress?.({ rows: i + rows.length, total: n, rowsPerSecond: 0 });
    }
    const status = texts.map((t) => ((t ?? '').trim() ? 'ok' : 'error'));
    const table = resultTable({
      rowIds: texts.map((_, r) => String(r)),
      source: o.source,
      info: model.info,
      status,
      errors: status.map((s) => (s === 'ok' ? null : 'Empty or null text input')),
      latency: new Float32Array(n),
      labels,
      confidence,
      scores,
      memory: { halvings: 0, gpuBytes: null, recreated: null },
    });
    await model.release();
    results.push(table);
    return table;
  };
  return { infer, calls, results };
}

const memoryStores = () => {
  const scores = new Map<string, StoredScores>();
  const choices = new Map<string, SavedChoice>();
  const scoreStore: ScoreStore = {
    load: async (s, k) => scores.get(JSON.stringify([s, k])) ?? null,
    save: async (s, k, v) => void scores.set(JSON.stringify([s, k]), v),
    remove: async (s) => [...scores.keys()].forEach((k) => JSON.parse(k)[0] === s && scores.delete(k)),
  };
  const choiceStore: ChoiceStore = {
    get: (s, l) => choices.get(JSON.stringify([s, l])) ?? null,
    set: (s, l, c) => (c ? choices.set(JSON.stringify([s, l]), c) : choices.delete(JSON.stringify([s, l]))),
    forget: (s) => [...choices.keys()].forEach((k) => JSON.parse(k)[0] === s && choices.delete(k)),
  };
  return { scoreStore, choiceStore, scores };
};

/** Uncertainty from an all_scores_json cell, as a reader of infer's table computes it. */
function expectedOrder(table: Table, labels: (string | null)[], score: (p: number[]) => number): number[] {
  const json = [...table.getChild('all_scores_json')!] as (string | null)[];
  const rows = json.map((j, r) => (j !== null && labels[r] === null ? r : -1)).filter((r) => r >= 0);
  const u = new Map(rows.map((r) => [r, score(Object.values(JSON.parse(json[r]!) as Record<string, number>))]));
  return rows.sort((a, b) => u.get(b)! - u.get(a)! || a - b);
}
const leastConfidence = (p: number[]) => 1 - Math.max(...p);
const margin = (p: number[]) => {
  const [a, b] = [...p].sort((x, y) => y - x);
  return -(a - b);
};
const entropy = (p: number[]) => -p.reduce((h, x) => h + (x > 0 ? x * Math.log(x) : 0), 0);

const noTfidf = () => {
  throw new Error('the TF-IDF worker was started');
};

async function setup(rows = 96) {
  const data = await readLabelled('uci-sentiment.csv');
  const texts: (string | null)[] = data.texts.slice(0, rows);
  texts[5] = ''; // an empty row: no prediction, never queued
  const gold = data.labels.slice(0, rows);
  const labels: (string | null)[] = new Array(rows).fill(null);
  const run = inProcessInfer(texts);
  const stores = memoryStores();
  const host = { texts: () => texts, labels: () => labels };
  const make = () => new Suggesters(host, noTfidf, { infer: run.infer, scores: stores.scoreStore, choices: stores.choiceStore });
  const key = { source: 'uci', labelColumn: 'label', textColumn: 'text' };
  const ready = async (s: Suggesters) => {
    for (let i = 0; i < 2000 && s.status(key).classifier?.state === 'running'; i++) await new Promise((r) => setTimeout(r, 10));
    return s.status(key);
  };
  return { texts, gold, labels, run, stores, make, key, ready };
}

describe('a classifier as the suggester', () => {
  it("orders the queue by the classifier's own probabilities (as infer gives them), suggests its labels and never retrains", async () => {
    const { labels, gold, run, make, key, ready } = await setup();
    const s = make();
    s.configure({ ...key, suggester: { kind: 'classifier', model: 'bert-tiny-sentiment' } });
    expect(s.status(key)).toMatchObject({ suggester: { kind: 'classifier', model: 'bert-tiny-sentiment' }, classifier: { state: 'running' } });
    const status = await ready(s);
    expect(status.classifier).toMatchObject({ state: 'ready', classes: ['negative', 'positive'], from: 'run', rows: 96, total: 96 });
    expect(status).toMatchObject({ training: false, labelsUsed: 0, classes: ['negative', 'positive'] });
    expect(run.calls).toHaveLength(1);
    expect(run.calls[0]).toMatchObject({ source: 'uci', columns: ['text'], model: 'bert-tiny-sentiment' });
    const table = run.results[0];

    for (const [strategy, score] of [['least-confidence', leastConfidence], ['margin', margin], ['entropy', entropy]] as const) {
      const want = expectedOrder(table, labels, score);
      expect(want.length).toBe(95);
      expect(s.queue({ ...key, strategy, limit: 20 })).toEqual(want.slice(0, 20));
      expect(s.queue({ ...key, strategy })).toEqual(want);
    }
    // Suggestions: the model's label, confidence and runner-up, as infer's label / confidence columns say.
    const predicted = [...table.getChild('label')!] as string[];
    const json = [...table.getChild('all_scores_json')!] as string[];
    for (const sug of s.suggest({ ...key, limit: 10 })) {
      const p = JSON.parse(json[sug.row]) as Record<string, number>;
      expect(sug.label).toBe(predicted[sug.row]);
      expect(sug.confidence).toBe(Math.max(...Object.values(p)));
      expect(sug.runnerUp).toEqual({ label: predicted[sug.row] === 'positive' ? 'negative' : 'positive', confidence: Math.min(...Object.values(p)) });
      expect(sug.classes).toEqual(['negative', 'positive']);
    }
    // `infer` of jammi:suggester:… reads these probabilities: the same numbers as the classifier's table.
    const probs = s.probabilities(key, 'text')!;
    expect(probs.classes).toEqual(['negative', 'positive']);
    json.forEach((j, r) => {
      if (r === 5) return;
      const p = JSON.parse(j) as Record<string, number>;
      expect([probs.probs[2 * r], probs.probs[2 * r + 1]]).toEqual([p.negative, p.positive]);
    });

    // Labels: no retrain (the TF-IDF worker would throw), the queue drops the labelled rows, accuracy on them.
    const version = s.status(key).version;
    const first = s.queue({ ...key, limit: 30 });
    for (const r of first) labels[r] = gold[r];
    s.labelsChanged('uci', 'label', first.length);
    await expect(s.retrain(key, 'text')).resolves.toMatchObject({ version, training: false });
    expect(s.queue({ ...key, limit: 10 })).toEqual(expectedOrder(table, labels, leastConfidence).slice(0, 10));
    const right = first.filter((r) => predicted[r] === gold[r]).length;
    expect(s.status(key).classifier!.accuracy).toEqual({ labels: 30, accuracy: right / 30 });
    expect(s.status(key).learningCurve.at(-1)).toEqual({ labels: 30, accuracy: right / 30 });
    expect(run.calls).toHaveLength(1);
  });

  it('keeps the predictions for the visit and in storage, and the choice across a reload', async () => {
    const { run, make, key, ready, stores } = await setup(40);
    const s = make();
    s.configure({ ...key, suggester: { kind: 'classifier', model: 'bert-tiny-sentiment' } });
    await ready(s);
    const queue = s.queue(key);
    const before = s.status(key).version;
    s.configure({ ...key, suggester: { kind: 'tfidf' } });
    expect(s.status(key).suggester).toEqual({ kind: 'tfidf' }); // always reported, the default too
    expect(s.status(key).version).toBeGreaterThan(before); // the queue re-ranks: back to file order (no TF-IDF model yet)
    expect(s.queue(key)).toEqual([...queue].sort((a, b) => a - b));
    s.configure({ ...key, suggester: { kind: 'classifier', model: 'bert-tiny-sentiment' } });
    expect((await ready(s)).classifier).toMatchObject({ state: 'ready', from: 'memory' });
    expect(s.queue(key)).toEqual(queue);
    expect(run.calls).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(stores.scores.size).toBe(1);

    // A reload: a new Suggesters reads the choice and the stored predictions; the model does not run again.
    const after = make();
    expect(after.status(key).suggester).toEqual({ kind: 'classifier', model: 'bert-tiny-sentiment' });
    after.configure({ ...key });
    expect((await ready(after)).classifier).toMatchObject({ state: 'ready', from: 'storage' });
    expect(after.queue(key)).toEqual(queue);
    expect(run.calls).toHaveLength(1);
  });

  it('cancels a run when another suggester is chosen, and says why a model cannot suggest', async () => {
    const { make, key, ready } = await setup(40);
    let signal: AbortSignal | undefined;
    const slow = new Suggesters({ texts: () => ['a', 'b'], labels: () => [null, null] }, noTfidf, {
      infer: (o) =>
        new Promise<Table>((_, reject) => {
          signal = o.signal;
          o.signal!.addEventListener('abort', () => reject(new JammiError('cancelled', 'Classification was cancelled.')));
        }),
    });
    slow.configure({ ...key, suggester: { kind: 'classifier', model: 'bert-tiny-sentiment' } });
    expect(slow.status(key).classifier!.state).toBe('running');
    await expect.poll(() => signal).toBeDefined();
    slow.configure({ ...key, suggester: { kind: 'tfidf' } });
    expect(signal!.aborted).toBe(true);
    expect(slow.status(key).classifier).toBeUndefined();

    // A model without id2label: our engine's own error, in the status; the queue stays in file order.
    const s = make();
    s.configure({ ...key, suggester: { kind: 'classifier', model: 'bert-tiny-embed' } });
    const status = await ready(s);
    expect(status.classifier!.state).toBe('failed');
    expect(status.error).toMatch(/bert-tiny-embed could not suggest: .*id2label/);
    expect(s.queue({ ...key, limit: 3 })).toEqual([0, 1, 2]);
    expect(() => s.configure({ ...key, suggester: { kind: 'classifier', model: ' ' } })).toThrow(/needs a model/);
    expect(() => s.configure({ ...key, suggester: { kind: 'nope' } as never })).toThrow(/Unknown suggester kind "nope"/);
  });
});
