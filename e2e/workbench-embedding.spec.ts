import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { sharedDir } from './helpers';
import { addClasses, currentRow, leastConfidentByInfer, loadCsv, openAt, press, settledModel, shownQueue, smsSample, labelPanel } from './workbench-helpers';

// The embedding suggester: a softmax head on bert-mini-mlm-embed's frozen embeddings (served with the app), picked in
// the workbench's suggester picker (the second of its three kinds). The rows are embedded once (with progress), the queue comes from the head, a
// reload reads the embeddings back from OPFS instead of embedding again, and "similar rows" uses their cosine.
const MODEL = 'bert-mini-mlm-embed';
const ROWS = 160;
const sms = smsSample(ROWS);
const keyFor = (row: number) => (sms.gold[row] === 'spam' ? '2' : '1');

/** The picker's second kind, by keyboard: focus the TF-IDF radio, arrow down. */
async function pickEmbeddingKind(page: Page) {
  await labelPanel(page).getByRole('radio', { name: 'TF-IDF (no download)' }).focus();
  await page.keyboard.press('ArrowDown');
  await expect(labelPanel(page).getByRole('radio', { name: 'An embedding model (head on frozen embeddings)' })).toBeChecked();
}

/** Every embedding status the page's suggesters report, collected from here on. */
async function recordEmbedding(page: Page) {
  await page.evaluate(() => {
    const w = window as unknown as { embeddingLog: unknown[] };
    w.embeddingLog = [];
    window.jammi!.onSuggesterUpdate((s) => s.embedding && w.embeddingLog.push(s.embedding));
  });
  return () => page.evaluate(() => (window as unknown as { embeddingLog: { state: string; done: number; total: number; computed: number; cached: number }[] }).embeddingLog);
}

/** The k nearest rows to `row` by dot product of the cached (unit) embeddings, read from OPFS in the page. */
async function cosineFromCache(page: Page, source: string, row: number, k: number): Promise<number[]> {
  return page.evaluate(
    async ([source, row, k]) => {
      const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('embeddings');
      const dir = await root.getDirectoryHandle(encodeURIComponent(source));
      const folders: FileSystemDirectoryHandle[] = [];
      for await (const h of (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values()) if (h.kind === 'directory') folders.push(h as FileSystemDirectoryHandle);
      if (folders.length !== 1) throw new Error(`expected one cached model folder, found ${folders.length}`);
      const meta = JSON.parse(await (await (await folders[0].getFileHandle('meta.json')).getFile()).text()) as { rows: number; dim: number; chunkRows: number };
      const data = new Float32Array(meta.rows * meta.dim);
      for (let i = 0; i * meta.chunkRows < meta.rows; i++) data.set(new Float32Array(await (await (await folders[0].getFileHandle(`c${i}.f32`)).getFile()).arrayBuffer()), i * meta.chunkRows * meta.dim);
      const dot = (a: number, b: number) => {
        let s = 0;
        for (let j = 0; j < meta.dim; j++) s += data[a * meta.dim + j] * data[b * meta.dim + j];
        return s;
      };
      return [...Array(meta.rows).keys()].filter((r) => r !== row).map((r) => ({ r, s: dot(row as number, r) })).sort((a, b) => b.s - a.s || a.r - b.r).slice(0, k as number).map((x) => x.r);
    },
    [source, row, k] as const,
  );
}

/** The files of a source's one cached model folder in OPFS. */
async function cacheFiles(page: Page, source: string): Promise<string[]> {
  return page.evaluate(async (source) => {
    const dir = await (await (await navigator.storage.getDirectory()).getDirectoryHandle('embeddings')).getDirectoryHandle(encodeURIComponent(source));
    const names: string[] = [];
    for await (const h of (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values()) {
      if (h.kind === 'directory') for await (const f of (h as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(f);
    }
    return names.sort();
  }, source);
}

test('an embedding suggester: embedded once with progress, the queue by its probabilities, a reload reuses the cache, similar rows by its cosine', async ({ page }) => {
  test.setTimeout(400_000);
  await openAt(page, '#label?source=sms&label=label&text=text');
  await loadCsv(page, 'sms', sms.csv, ROWS);
  await addClasses(page, ['ham', 'spam']);
  const tfidfSimilar = await page.evaluate(() => window.jammi!.similarRows({ source: 'sms', textColumn: 'text', row: 0, limit: 10 }));

  // Pick the suggester by keyboard: the kind's radio (arrow down from TF-IDF), then the model in its select.
  const log = await recordEmbedding(page);
  await pickEmbeddingKind(page);
  const picker = labelPanel(page).getByRole('combobox', { name: 'Embedding model' });
  await expect(picker.locator('option', { hasText: MODEL })).toHaveCount(1);
  await picker.focus();
  await picker.selectOption({ label: MODEL });
  await expect(labelPanel(page).getByTestId('active-suggester')).toHaveAttribute('data-model', MODEL);
  const embedding = labelPanel(page).getByTestId('embedding-status');
  await expect(embedding).toHaveAttribute('data-state', 'ready', { timeout: 180_000 });
  await expect(embedding).toHaveAttribute('data-computed', String(ROWS));
  const first = await log();
  const progress = first.filter((e) => e.state === 'embedding' && e.done > 0 && e.done < ROWS);
  expect(progress.length, 'progress while embedding').toBeGreaterThan(0);
  expect(first.filter((e) => e.state === 'ready')).toHaveLength(1);
  const seconds = await page.evaluate(() => window.jammi!.suggesterStatus({ source: 'sms', labelColumn: 'label' }).embedding?.seconds);
  console.log(`embedded ${ROWS} rows with ${MODEL} in ${seconds?.toFixed(1)} s (embed worker, ONNX Runtime wasm)`);

  // Label by keyboard until the head trains, then once more past N = 10.
  await page.getByRole('group', { name: 'Focused labelling' }).focus();
  for (let i = 0; i < 24; i++) await press(page, keyFor(await currentRow(page)));
  const version = await settledModel(page);
  expect(version).toBeGreaterThanOrEqual(2);
  // Two or more retrains, one embedding pass.
  const afterRetrains = await log();
  const later = afterRetrains.slice(first.length);
  expect(later.length).toBeGreaterThan(0);
  for (const e of later) expect(e).toMatchObject({ state: 'ready', computed: ROWS, cached: 0 });
  await expect(embedding).toHaveAttribute('data-computed', String(ROWS));

  // The queue on screen is the least-confident order by jammi.infer's probabilities for the newest suggester.
  const shown = await shownQueue(page);
  const byInfer = await leastConfidentByInfer(page, 'sms', 'label', 'text', 20);
  expect(byInfer.version).toBe(version);
  expect(shown).toHaveLength(20);
  shown.forEach((row, i) => expect(Math.abs(byInfer.uncertainty.get(row)! - byInfer.uncertainty.get(byInfer.order[i])!)).toBeLessThan(1e-6));
  const metadata = await page.evaluate(async () => (await window.jammi!.infer({ source: 'sms', model: 'jammi:suggester:sms/label', columns: ['text'] })).schema.metadata.get('jammi.suggester_version'));
  expect(Number(metadata)).toBe(version);

  // Similar rows now come from the embeddings' cosine: not TF-IDF's neighbours, similarities of unit vectors.
  const similar = await page.evaluate(() => window.jammi!.similarRows({ source: 'sms', textColumn: 'text', row: 0, limit: 10 }));
  expect(similar).toHaveLength(10);
  expect(similar.map((s) => s.row)).not.toEqual(tfidfSimilar.map((s) => s.row));
  for (const s of similar) expect(Math.abs(s.similarity)).toBeLessThanOrEqual(1 + 1e-5);
  expect(similar.every((s, i) => i === 0 || s.similarity <= similar[i - 1].similarity)).toBe(true);
  // The same neighbours as a cosine the test computes itself from the cache files in OPFS.
  expect(similar.map((s) => s.row)).toEqual(await cosineFromCache(page, 'sms', 0, 10));

  // A reload keeps the choice, and the retrain after it reads the embeddings from the cache: none computed.
  await page.reload();
  await expect.poll(() => page.evaluate(() => Boolean(window.jammi))).toBe(true);
  const again = await recordEmbedding(page);
  await expect(labelPanel(page).getByTestId('active-suggester')).toHaveAttribute('data-model', MODEL);
  await expect(labelPanel(page).getByRole('radio', { name: 'An embedding model (head on frozen embeddings)' })).toBeChecked();
  await settledModel(page);
  await expect(embedding).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  await expect(embedding).toHaveAttribute('data-computed', '0');
  await expect(embedding).toHaveAttribute('data-cached', String(ROWS));
  // Each status after the reload: checking the cache, or ready with every row from it; never rows being embedded.
  const afterReload = await again();
  for (const e of afterReload) {
    if (e.state === 'ready') expect(e).toMatchObject({ computed: 0, cached: ROWS });
    else expect(e.done === 0 || e.done === e.cached, `no row embedded after the reload: ${JSON.stringify(e)}`).toBe(true);
  }
  await expect(embedding).toContainText('read from the cache');
  const reloaded = await page.evaluate(() => window.jammi!.similarRows({ source: 'sms', textColumn: 'text', row: 0, limit: 10 }));
  expect(reloaded.map((s) => s.row)).toEqual(similar.map((s) => s.row));

  // Back to TF-IDF.
  await labelPanel(page).getByRole('radio', { name: 'TF-IDF (no download)' }).check();
  await expect(labelPanel(page).getByTestId('active-suggester')).toHaveAttribute('data-kind', 'tfidf');
});

test('cancelling the embedding pass stops it; the next retrain embeds only the rows not cached yet', async ({ page }) => {
  test.setTimeout(400_000);
  const big = smsSample(1100);
  await openAt(page, '#label?source=big&label=label&text=text');
  await loadCsv(page, 'big', big.csv, 1100);
  // Two labels of each class, so that a retrain can start (and with it the embedding pass).
  const rows = (cls: string) => big.gold.map((g, r) => (g === cls ? r : -1)).filter((r) => r >= 0).slice(0, 2);
  await page.evaluate((edits) => window.jammi!.setLabels('big', 'label', edits), Object.fromEntries([...rows('ham').map((r) => [r, 'ham']), ...rows('spam').map((r) => [r, 'spam'])]));
  await pickEmbeddingKind(page);
  await labelPanel(page).getByRole('combobox', { name: 'Embedding model' }).selectOption({ label: MODEL });
  const embedding = labelPanel(page).getByTestId('embedding-status');
  const done = () => page.evaluate(() => window.jammi!.suggesterStatus({ source: 'big', labelColumn: 'label' }).embedding?.done ?? 0);
  // Past the first cached chunk (512 rows), cancel by keyboard.
  await expect.poll(done, { timeout: 240_000, intervals: [100] }).toBeGreaterThan(560);
  await labelPanel(page).getByRole('button', { name: 'Cancel embedding' }).focus();
  await page.keyboard.press('Enter');
  await expect(embedding).toHaveAttribute('data-state', 'cancelled');
  const stopped = await done();
  expect(stopped).toBeLessThan(1100);
  // The worker stopped: long after the cancel (the second chunk would have taken ~5 s; the worker is terminated only if it ignores the cancel for 2 s), OPFS holds the first chunk only.
  await page.waitForTimeout(8000);
  expect(await done(), 'no progress after the cancel').toBe(stopped);
  expect(await cacheFiles(page, 'big')).toEqual(['c0.f32', 'meta.json']);

  // Retrain now: the chunks embedded before the cancel are read back, the rest embedded.
  await labelPanel(page).getByRole('button', { name: 'Retrain now' }).click();
  await expect(embedding).toHaveAttribute('data-state', 'ready', { timeout: 240_000 });
  const status = await page.evaluate(() => window.jammi!.suggesterStatus({ source: 'big', labelColumn: 'label' }));
  // Exactly the first chunk: the worker stopped before it finished the second (rows 512–1023).
  expect(status.embedding!.cached).toBe(512);
  expect(status.embedding!.cached + status.embedding!.computed).toBe(1100);
  await expect.poll(() => page.evaluate(() => window.jammi!.suggesterStatus({ source: 'big', labelColumn: 'label' }).version), { timeout: 60_000 }).toBeGreaterThan(0);
  console.log(`cancelled at ${stopped} / 1100 rows; the retrain read ${status.embedding!.cached} from the cache and embedded ${status.embedding!.computed} in ${status.embedding!.seconds?.toFixed(1)} s`);
});

test('a picked model folder as the embedding model: embedded from the folder, the head trains on it', async ({ page }) => {
  test.setTimeout(300_000);
  const small = smsSample(80);
  await openAt(page, '#label?source=mini&label=label&text=text');
  await loadCsv(page, 'mini', small.csv, 80);
  const rows = (cls: string) => small.gold.map((g, r) => (g === cls ? r : -1)).filter((r) => r >= 0).slice(0, 2);
  await page.evaluate((edits) => window.jammi!.setLabels('mini', 'label', edits), Object.fromEntries([...rows('ham').map((r) => [r, 'ham']), ...rows('spam').map((r) => [r, 'spam'])]));
  await pickEmbeddingKind(page);
  await labelPanel(page).getByRole('combobox', { name: 'Embedding model' }).selectOption({ label: 'A local model folder…' });
  await labelPanel(page).getByLabel('Embedding model folder').setInputFiles(path.join(sharedDir, 'models', MODEL));
  await expect(labelPanel(page).getByTestId('active-suggester')).toHaveAttribute('data-model', `local:${MODEL}`);
  const embedding = labelPanel(page).getByTestId('embedding-status');
  await expect(embedding).toHaveAttribute('data-state', 'ready', { timeout: 180_000 });
  await expect(embedding).toHaveAttribute('data-computed', '80');
  await expect.poll(() => page.evaluate(() => window.jammi!.suggesterStatus({ source: 'mini', labelColumn: 'label' }).version), { timeout: 60_000 }).toBeGreaterThan(0);
  const status = await page.evaluate(() => window.jammi!.suggesterStatus({ source: 'mini', labelColumn: 'label' }));
  expect(status).toMatchObject({ suggester: { kind: 'embedding', model: `local:${MODEL}` }, labelsUsed: 4, classes: ['ham', 'spam'] });
});

