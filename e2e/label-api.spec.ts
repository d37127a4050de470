import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { datasetPath, openApp } from './helpers';

// The label API in a real browser: the suggest worker (TF-IDF + logistic regression on our engine), the queue
// against `infer` of the newest suggester, and the label log in OPFS (reload, two tabs at once).

test('suggester trains in its worker; the queue is least-confidence by the probabilities infer gives', async ({ page }) => {
  await openApp(page);
  const csv = fs.readFileSync(datasetPath('uci-sentiment.csv'), 'utf8').split('\n').slice(0, 601).join('\n');
  await page.evaluate((text) => window.jammi!.addSource('uci', text), csv);
  const key = { source: 'uci', labelColumn: 'mine', textColumn: 'text' };
  // Label the first 40 rows with the gold labels.
  await page.evaluate(async (key) => {
    const t = await window.jammi!.getSource('uci');
    const gold = t.getChild('label')!;
    window.jammi!.setSuggesterOptions({ ...key, retrainEvery: 10 });
    const edits: Record<number, string> = {};
    for (let r = 0; r < 40; r++) edits[r] = gold.get(r);
    const change = await window.jammi!.setLabels('uci', 'mine', edits);
    if (change.previous[0] !== null || change.next[0] !== gold.get(0)) throw new Error('setLabels did not report what it replaced');
  }, key);
  await expect.poll(() => page.evaluate((key) => window.jammi!.suggesterStatus(key).version, key)).toBeGreaterThanOrEqual(1);

  const status = await page.evaluate((key) => window.jammi!.suggesterStatus(key), key);
  expect(status).toMatchObject({ labelsUsed: 40, classes: ['negative', 'positive'], training: false });
  expect(status.learningCurve).toHaveLength(1);

  const { queue, results } = await page.evaluate(async (key) => {
    const queue = await window.jammi!.labelQueue({ ...key, limit: 20 });
    const table = await window.jammi!.infer({ source: 'uci', model: `jammi:suggester:uci/mine`, columns: ['text'] });
    const gold = [...(await window.jammi!.getSource('uci')).getChild('label')!];
    return { queue, results: { status: [...table.getChild('_status')!], scores: [...table.getChild('all_scores_json')!], labels: [...table.getChild('label')!], gold } };
  }, key);
  // The test's own least-confidence order of the unlabelled rows (rows 40…599), from infer's probabilities.
  const rows = results.scores.map((s, r) => ({ r, lc: 1 - Math.max(...Object.values(JSON.parse(s as string) as Record<string, number>)) })).filter((x) => x.r >= 40);
  rows.sort((a, b) => b.lc - a.lc || a.r - b.r);
  expect(queue).toEqual(rows.slice(0, 20).map((x) => x.r));
  // Better than the majority class on the rows it never saw (40 labels: weak, but real).
  expect(results.status.every((s) => s === 'ok')).toBe(true);
  const unseen = results.labels.map((l, r) => ({ l, g: results.gold[r] })).slice(40);
  const acc = unseen.filter((x) => x.l === x.g).length / unseen.length;
  const majority = Math.max(...['positive', 'negative'].map((c) => unseen.filter((x) => x.g === c).length)) / unseen.length;
  expect(acc).toBeGreaterThan(majority);
});

test('labels survive a reload and two tabs labelling at once converge with nothing lost', async ({ context }) => {
  const a = await context.newPage();
  await openApp(a);
  const rows = 2000;
  const csv = ['id,text', ...Array.from({ length: rows }, (_, i) => `${i},message ${i}`)].join('\n');
  await a.evaluate((csv) => window.jammi!.addSource('two', csv), csv);
  const b = await context.newPage();
  await openApp(b);
  await expect.poll(() => b.evaluate(async () => (await window.jammi!.listSources()).map((s) => s.name))).toContain('two');
  // Both tabs label at once: A the even rows, B the odd rows, one edit per call, and both the same row 7 last.
  const label = (p: typeof a, parity: number, name: string) =>
    p.evaluate(
      async ({ parity, name }) => {
        for (let r = parity; r < 200; r += 2) await window.jammi!.setLabels('two', 'label', { [r]: `${name}` });
        await window.jammi!.setLabels('two', 'label', { 7: name });
      },
      { parity, name },
    );
  await Promise.all([label(a, 0, 'a'), label(b, 1, 'b')]);
  const labels = (p: typeof a) => p.evaluate(async () => [...(await window.jammi!.getSource('two')).getChild('label')!].slice(0, 200));
  await expect.poll(async () => JSON.stringify(await labels(a)) === JSON.stringify(await labels(b)), { timeout: 20_000 }).toBe(true);
  const final = await labels(a);
  for (let r = 0; r < 200; r++) if (r !== 7) expect(final[r]).toBe(r % 2 ? 'b' : 'a');
  expect(['a', 'b']).toContain(final[7]);
  await a.reload();
  await openApp(a);
  expect(await labels(a)).toEqual(final);
});

test('a reload in the same instant as the edits loses none of them (the journal replays what the log had not got)', async ({ page }) => {
  await openApp(page);
  const csv = ['id,text', ...Array.from({ length: 500 }, (_, i) => `${i},message ${i}`)].join('\n');
  await page.evaluate((csv) => window.jammi!.addSource('quick', csv), csv);
  // 40 single-row edits, none awaited, and the reload right after: the label log's worker gets at most the first
  // of them (each append waits for the one before) before the document goes.
  const reloaded = page.waitForEvent('load');
  await page.evaluate(() => {
    for (let r = 0; r < 40; r++) void window.jammi!.setLabels('quick', 'label', { [r]: r % 3 ? 'x' : 'y' }).catch(() => undefined);
    setTimeout(() => location.reload(), 0);
  });
  await reloaded;
  await expect.poll(() => page.evaluate(() => Boolean(window.jammi))).toBe(true);
  const labels = await page.evaluate(async () => [...(await window.jammi!.getSource('quick')).getChild('label')!].slice(0, 41));
  expect(labels).toEqual([...Array.from({ length: 40 }, (_, r) => (r % 3 ? 'x' : 'y')), null]);
  // Replayed into the log: the journal is empty, and a second reload reads them from the log alone.
  expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('jammi:labels-pending:')))).toEqual([]);
  await page.reload();
  await openApp(page);
  expect(await page.evaluate(async () => [...(await window.jammi!.getSource('quick')).getChild('label')!].slice(0, 40))).toEqual(labels.slice(0, 40));
});
